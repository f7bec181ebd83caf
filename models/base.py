"""Shared metadata settings and column helpers."""

from datetime import UTC, datetime

import sqlalchemy as sa
from sqlmodel import SQLModel

# Stable constraint names so Alembic migrations match on SQLite and PostgreSQL alike.
SQLModel.metadata.naming_convention = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Enum columns are stored as their value strings: portable, and no native enum types to migrate.
CODE = sa.String(40)


def utcnow() -> datetime:
    """Aware UTC: SQLModel's datetime columns store UTC and refuse naive values."""
    return datetime.now(UTC)
