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


def run_migrations_offline() -> None:
    context.configure(
        url=_url(),
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        _run(connection)
        return
    engine = build_engine(_url())
    with engine.connect() as connection:
        _run(connection)
    engine.dispose()


def _run(connection) -> None:  # type: ignore[no-untyped-def]
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
