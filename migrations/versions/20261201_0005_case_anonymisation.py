"""case anonymisation: referral_case.anonymised_at marks a case whose personal data was removed

Also masks, in the audit rows already written about cases and referrals, the free-text fields
that earlier versions logged in clear (identified_place, consular_post, primary_language,
return_counterpart, decline_reason, and the return event's counterpart): the log keeps that
they changed, not their text. Not undone by the downgrade.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import context, op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


MASK = "•••"
NEWLY_SENSITIVE = (
    "identified_place",
    "consular_post",
    "primary_language",
    "return_counterpart",
    "decline_reason",
    "counterpart",
)
audit_event = sa.table(
    "audit_event",
    sa.column("id", sa.Integer),
    sa.column("entity", sa.String),
    sa.column("changes", sa.JSON),
)


def _masked(value: object) -> object:
    if isinstance(value, list):
        return [MASK if item is not None else None for item in value]
    return MASK


def upgrade() -> None:
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("anonymised_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True)
        )
    if context.is_offline_mode():
        # A SQL script cannot read the rows it would mask: say so in the script instead of
        # failing, and let the online upgrade (`enlace db upgrade`) do the masking.
        op.execute(
            "-- 0005: audit rows of cases written before this revision keep their values; "
            "run this revision online to mask them"
        )
        return
    connection = op.get_bind()
    rows = connection.execute(
        sa.select(audit_event.c.id, audit_event.c.changes).where(
            audit_event.c.entity.in_(["referral_case", "case_referral"])
        )
    )
    for row_id, changes in rows.all():
        if not isinstance(changes, dict) or not set(changes) & set(NEWLY_SENSITIVE):
            continue
        masked = {
            field: (_masked(value) if field in NEWLY_SENSITIVE else value)
            for field, value in changes.items()
        }
        if masked != changes:
            connection.execute(
                audit_event.update().where(audit_event.c.id == row_id).values(changes=masked)
            )


def downgrade() -> None:
    with op.batch_alter_table("referral_case", schema=None) as batch_op:
        batch_op.drop_column("anonymised_at")
