"""How far each data domain has been written: the key of every cached read, on every server."""

import sqlalchemy as sa
from sqlmodel import Field, SQLModel


class DataVersion(SQLModel, table=True):
    """One row per data domain ("cases", "courses", "accounts"): `version` goes up by one in
    every transaction that writes a table of the domain (services/platform/data_version.py),
    so a cached read keyed on it is never served after a write through any process."""

    __tablename__ = "data_version"

    domain: str = Field(sa_type=sa.String(20), primary_key=True)
    version: int = Field(default=0, sa_type=sa.BigInteger)
