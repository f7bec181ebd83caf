"""Alembic environment: the URL comes from the same settings as the app (ENLACE_DATABASE_URL)."""

from alembic import context
from sqlmodel import SQLModel

import models
from services.platform.db import build_engine
from services.platform.settings import get_settings

models.register_tables()  # every table, for autogenerate's comparison
config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    # A caller (tests, the CLI) may hand over a URL or a live connection explicitly.
    return config.attributes.get("database_url") or get_settings().database_url


# The search indexes of migration 0006 are not models: a PostgreSQL trigram index, or a
# SQLite FTS5 table and the shadow tables SQLite keeps for it.
SEARCH_INDEX_NAMES = ("case_search_fts", "case_note_fts", "organisation_name_fts")
SEARCH_INDEX_SUFFIX = "_trgm"


def _include_name(name: str | None, type_: str, _parents: object) -> bool:
    if name is None:
        return True
    if type_ == "table":
        return not name.startswith(SEARCH_INDEX_NAMES)
    return not (type_ == "index" and name.endswith(SEARCH_INDEX_SUFFIX))


def _configure_and_run(**where: object) -> None:
    # One configuration for both modes: batch mode (SQLite's ALTER TABLE) and type changes.
    context.configure(
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
        include_name=_include_name,
        **where,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_offline() -> None:
    _configure_and_run(url=_url(), literal_binds=True)


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _configure_and_run(connection=connection)
        return
    engine = build_engine(_url())
    with engine.connect() as connection:
        _configure_and_run(connection=connection)
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
