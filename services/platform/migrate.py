"""Run the Alembic migrations from code (the app and the CLI create tables only this way).

Alembic is imported only by what migrates: reading the current revision is one query, so that
every `enlace` command can check the schema without loading Alembic (~70 ms).
"""

import logging
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.engine import Connection, Engine

from services.platform.db import SQLITE_BEGIN
from services.platform.settings import PROJECT_ROOT

if TYPE_CHECKING:
    from alembic.config import Config

# Alembic's default version table (alembic.ini and migrations/env.py keep the default).
VERSION_TABLE = "alembic_version"

# The PostgreSQL advisory lock every upgrade and downgrade holds for its whole transaction
# (advisory locks are per database): "enlace" in ASCII, a key no other code takes.
MIGRATION_LOCK_KEY = int.from_bytes(b"enlace", "big")

# How long a SQLite migration waits for another process's to finish (busy timeout, ms);
# PostgreSQL waits for the advisory lock without a limit.
SQLITE_MIGRATION_WAIT_MS = 15 * 60 * 1000

logger = logging.getLogger("enlace.migrate")


def alembic_config(database_url: str) -> "Config":
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "migrations"))
    config.attributes["database_url"] = database_url
    return config


@contextmanager
def migration_transaction(engine: Engine) -> Iterator[Connection]:
    """The one transaction a migration runs in, held by one process at a time: replicas that
    start together queue here, and each after the first finds the schema already current.

    PostgreSQL: a transaction-level advisory lock on MIGRATION_LOCK_KEY, released by the
    commit or rollback. SQLite: BEGIN IMMEDIATE takes the file's write lock before Alembic
    reads the version table, waiting up to SQLITE_MIGRATION_WAIT_MS for another writer."""
    if engine.dialect.name == "sqlite":
        with engine.connect() as connection:
            sqlite_connection = connection.connection.driver_connection
            assert sqlite_connection is not None
            before = sqlite_connection.execute("PRAGMA busy_timeout").fetchone()[0]
            sqlite_connection.execute(f"PRAGMA busy_timeout = {SQLITE_MIGRATION_WAIT_MS}")
            try:
                with connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}).begin():
                    yield connection
            finally:
                sqlite_connection.execute(f"PRAGMA busy_timeout = {int(before)}")
        return
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            key = {"key": MIGRATION_LOCK_KEY}
            if not connection.execute(
                sa.text("SELECT pg_try_advisory_xact_lock(:key)"), key
            ).scalar():
                logger.warning("Another process is migrating this database: waiting for it.")
                connection.execute(sa.text("SELECT pg_advisory_xact_lock(:key)"), key)
        yield connection


def upgrade(engine: Engine, revision: str = "head") -> None:
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with migration_transaction(engine) as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(engine: Engine, revision: str = "base") -> None:
    from alembic import command

    config = alembic_config(engine.url.render_as_string(hide_password=False))
    with migration_transaction(engine) as connection:
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
