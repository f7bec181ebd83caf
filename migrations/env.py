"""Alembic environment: the URL comes from the same settings as the app (ENLACE_DATABASE_URL)."""

from alembic import context
from sqlmodel import SQLModel

import models  # noqa: F401  (registers every table)
from services.platform.db import build_engine
from services.platform.settings import get_settings

config = context.config
target_metadata = SQLModel.metadata


def _url() -> str:
    # A caller (tests, the CLI) may hand over a URL or a live connection explicitly.
    return config.attributes.get("database_url") or get_settings().database_url


def _configure_and_run(**where: object) -> None:
    # One configuration for both modes: batch mode (SQLite's ALTER TABLE) and type changes.
    context.configure(
        target_metadata=target_metadata, render_as_batch=True, compare_type=True, **where
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
