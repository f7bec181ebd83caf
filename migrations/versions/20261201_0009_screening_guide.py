"""screening guide: the indicators an officer ticked, the guide's suggestion, and the
officer's first classification of the case

referral_case.screening_indicators holds the codes ticked in the case form's screening guide
(models.enums.ScreeningIndicator), screening_suggestion the situation they point to, and
initial_situation the first situation the officer gave (the training-impact report compares
the three). Existing cases get their first classification back from their timeline: the old
value of the first assessment change of the situation, otherwise the situation they have.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 14:30:00
"""

import json
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import context, op

revision: str = "0009"
down_revision: str | Sequence[str] | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UNDETERMINED = "undetermined"
CODE = sa.String(length=40)


def upgrade() -> None:
    # Plain ADD COLUMNs: on SQLite a batch "move and copy" of referral_case would drop the
    # search triggers of migration 0006. Existing cases start with no indicators ("[]").
    op.add_column(
        "referral_case",
        sa.Column("screening_indicators", sa.JSON(), nullable=False, server_default="[]"),
    )
    op.add_column("referral_case", sa.Column("initial_situation", CODE, nullable=True))
    op.add_column("referral_case", sa.Column("screening_suggestion", CODE, nullable=True))
    _backfill_initial_situation()


def _backfill_initial_situation() -> None:
    """The first situation other than "not yet determined" each case had: the oldest value a
    situation change on its timeline replaced, else its situation now."""
    if context.is_offline_mode():
        # A SQL script cannot read the timelines; it can still give every case its present
        # situation, which is right for every case whose situation was never changed.
        op.execute(
            "-- 0009: first classifications are taken from the present situation; run this "
            "revision online to recover them from the timelines"
        )
        case = sa.table("referral_case", sa.column("initial_situation"), sa.column("situation"))
        op.execute(
            case.update()
            .where(case.c.initial_situation.is_(None), case.c.situation != UNDETERMINED)
            .values(initial_situation=case.c.situation)
        )
        return
    connection = op.get_bind()
    first: dict[int, str] = {}
    events = connection.execute(
        sa.text(
            "SELECT case_id, details FROM case_event WHERE kind = 'assessment_updated' "
            "ORDER BY case_id, created_at, id"
        )
    )
    for case_id, details in events:
        if case_id in first:
            continue
        if isinstance(details, str):
            details = json.loads(details)
        old_new = ((details or {}).get("changes") or {}).get("situation")
        if old_new:
            old, new = old_new
            first[case_id] = old if old != UNDETERMINED else new
    update = sa.text("UPDATE referral_case SET initial_situation = :situation WHERE id = :id")
    for case_id, situation in first.items():
        if situation and situation != UNDETERMINED:
            connection.execute(update, {"situation": situation, "id": case_id})
    connection.execute(
        sa.text(
            "UPDATE referral_case SET initial_situation = situation "
            "WHERE initial_situation IS NULL AND situation <> :undetermined"
        ),
        {"undetermined": UNDETERMINED},
    )


def downgrade() -> None:
    # DROP COLUMN (SQLite 3.35+) keeps the table, and so the search triggers, in place.
    for column in ("screening_suggestion", "initial_situation", "screening_indicators"):
        op.drop_column("referral_case", column)
