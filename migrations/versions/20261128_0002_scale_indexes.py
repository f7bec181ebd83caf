"""scale indexes: board columns, reports by period, an officer's shared cases

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 13:20:32.630361
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.create_index(
            "ix_case_referral_cross_border_case",
            ["cross_border_country", "case_id"],
            unique=False,
        )

    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.create_index("ix_referral_case_identified_on", ["identified_on"], unique=False)
        batch_op.create_index(
            "ix_referral_case_stage_urgency",
            ["stage", "urgency", "stage_changed_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.drop_index("ix_referral_case_stage_urgency")
        batch_op.drop_index("ix_referral_case_identified_on")

    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.drop_index("ix_case_referral_cross_border_case")
