"""case transfers: a case's responsibility handed to another country's officers

case_transfer holds each request and its answer; referral_case.responsible_country is the
country responsible after an accepted transfer (empty: the reporting country).

Revision ID: 0008
Revises: 0005
Create Date: 2026-12-01 12:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


FK = "fk_case_transfer_"


def _to_user(column: str) -> sa.ForeignKeyConstraint:
    """A person who asked or answered: a foreign key to user_account."""
    return sa.ForeignKeyConstraint(
        [column], ["user_account.id"], name=op.f(f"{FK}{column}_user_account")
    )


def upgrade() -> None:
    op.create_table(
        "case_transfer",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("case_id", sa.Integer(), nullable=False),
        sa.Column("from_country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("to_country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=False),
        sa.Column("state", sa.String(length=40), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested_by_id", sa.Integer(), nullable=True),
        sa.Column("requested_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("answered_by_id", sa.Integer(), nullable=True),
        sa.Column("answered_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("decline_reason", sa.Text(), nullable=True),
        _to_user("answered_by_id"),
        _to_user("requested_by_id"),
        sa.ForeignKeyConstraint(
            ["case_id"],
            ["referral_case.id"],
            name=op.f(f"{FK}case_id_referral_case"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_case_transfer")),
    )
    with op.batch_alter_table("case_transfer", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_transfer_case_id"), ["case_id"], unique=False)
        batch_op.create_index(
            "ix_case_transfer_to_country_state", ["to_country", "state"], unique=False
        )

    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "responsible_country", sqlmodel.sql.sqltypes.AutoString(length=2), nullable=True
            )
        )
        batch_op.create_index(
            batch_op.f("ix_referral_case_responsible_country"),
            ["responsible_country"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_case_responsible_country"))
        batch_op.drop_column("responsible_country")

    with op.batch_alter_table("case_transfer", schema=None) as batch_op:
        batch_op.drop_index("ix_case_transfer_to_country_state")
        batch_op.drop_index(batch_op.f("ix_case_transfer_case_id"))

    op.drop_table("case_transfer")
