"""Run the Alembic migrations from code (the app and the CLI create tables only this way).

Alembic is imported only by what migrates: reading the current revision is one query, so that
every `enlace` command can check the schema without loading Alembic (~70 ms).
"""

from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from services.platform.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic's default version table (alembic.ini and migrations/env.py keep the default).
VERSION_TABLE = "alembic_version"


def alembic_config(database_url: str) -> "Config":
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current_revision(engine: Engine) -> str | None:
    """The schema's revision, None when there is no schema (as Alembic's own answer)."""
    with engine.connect() as connection:
        if not sa.inspect(connection).has_table(VERSION_TABLE):
            return None
        found: list[str] = list(
            connection.execute(
                sa.select(sa.column("version_num")).select_from(sa.table(VERSION_TABLE))
            ).scalars()
        )
    if len(found) > 1:
        # Several heads: Alembic's own message says which.
        from alembic.runtime.migration import MigrationContext

        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    return found[0] if found else None
