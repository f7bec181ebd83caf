"""account time zone: times are shown in the person's zone (the language column exists)

The account's language is `preferred_language` (since 0001); the sidebar now saves it. This
adds `time_zone`, an IANA name; empty means the zone of the account's country.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("user_account", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True)
        )


def downgrade() -> None:
    # A plain DROP COLUMN (SQLite 3.35+): a batch "move and copy" would drop user_account,
    # which every case, event and audit row points at, and SQLite refuses that with data in it.
    op.drop_column("user_account", "time_zone")
