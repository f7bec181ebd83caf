"""follow-ups: a case's next follow-up date, a referral's answer due date, each organisation's
response period, and the reminders already sent

Open cases get a follow-up date from the day they entered their stage (the periods of
services/cases/follow_ups.py when this was written); pending referrals are due ten days
after they were sent (the default response period).

Revision ID: 0007
Revises: 0005
Create Date: 2026-12-01 12:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# A copy, not an import: a migration keeps the rules of the day it was written.
STAGE_FOLLOW_UP_DAYS = {
    "identified": 3,
    "screening": 7,
    "referred": 14,
    "assistance": 30,
    "return_reintegration": 14,
}
DEFAULT_RESPONSE_DAYS = 10


referral_case = sa.table(
    "referral_case",
    sa.column("stage", sa.String),
    sa.column("stage_changed_at", sa.DateTime),
    sa.column("next_follow_up_on", sa.Date),
)
case_referral = sa.table(
    "case_referral",
    sa.column("state", sa.String),
    sa.column("sent_on", sa.Date),
    sa.column("response_due_on", sa.Date),
)


def _plus_days(dialect: str, column: sa.ColumnElement, days: int) -> sa.ColumnElement:
    if dialect == "postgresql":
        return sa.cast(column, sa.Date) + days
    return sa.func.date(column, f"+{days} days")


def upgrade() -> None:
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "response_days",
                sa.Integer(),
                nullable=False,
                server_default=str(DEFAULT_RESPONSE_DAYS),
            )
        )
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("next_follow_up_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_referral_case_next_follow_up_on"), ["next_follow_up_on"], unique=False
        )
    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.add_column(sa.Column("response_due_on", sa.Date(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_case_referral_response_due_on"), ["response_due_on"], unique=False
        )
    user_account = sa.ForeignKey(
        "user_account.id", name=op.f("fk_reminder_sent_user_id_user_account"), ondelete="CASCADE"
    )
    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), user_account, nullable=False),
        sa.Column("item_kind", sa.String(length=40), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("sent_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.UniqueConstraint(
            "user_id",
            "item_kind",
            "item_id",
            "due_on",
            name=op.f("uq_reminder_sent_user_id_item_kind_item_id_due_on"),
        ),
    )
    dialect = op.get_bind().dialect.name
    for stage, days in STAGE_FOLLOW_UP_DAYS.items():
        op.execute(
            referral_case.update()
            .where(referral_case.c.stage == stage)
            .values(next_follow_up_on=_plus_days(dialect, referral_case.c.stage_changed_at, days))
        )
    op.execute(
        case_referral.update()
        .where(case_referral.c.state == "pending")
        .values(response_due_on=_plus_days(dialect, case_referral.c.sent_on, DEFAULT_RESPONSE_DAYS))
    )


def downgrade() -> None:
    op.drop_table("reminder_sent")
    with op.batch_alter_table("case_referral", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_referral_response_due_on"))
        batch_op.drop_column("response_due_on")
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_referral_case_next_follow_up_on"))
        batch_op.drop_column("next_follow_up_on")
    with op.batch_alter_table("organisation", schema=None) as batch_op:
        batch_op.drop_column("response_days")
