"""data version: one counter per data domain, bumped by every write, keys the cached reads

Every server process (and the command line) sees another one's writes at its next read:
the cached reads are keyed on these counters (services/platform/data_version.py).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

DOMAINS = ("accounts", "cases", "courses")


def upgrade() -> None:
    table = op.create_table(
        "data_version",
        sa.Column("domain", sa.String(length=20), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("domain", name=op.f("pk_data_version")),
    )
    op.bulk_insert(table, [{"domain": domain, "version": 0} for domain in DOMAINS])


def downgrade() -> None:
    op.drop_table("data_version")
