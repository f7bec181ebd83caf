"""What is due for one person: the follow-ups of the cases they answer for and the referrals
of those cases still waiting for an answer past its due date. "My tasks" shows them; the
e-mail reminders send the ones due or overdue.

Whose: the follow-ups of the cases assigned to the person (an officer also answers for the
unassigned cases of their country); the answers of the referrals of those cases, and of the
referrals the person sent. Every read is in the person's scope (`access.case_scope`) and
sorted by due date in SQL. Partner staff have one kind of task: answering the pending
referrals addressed to their organisation by their due date.
"""

from dataclasses import dataclass
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Case, Organisation, Referral, ReminderSent, UserAccount
from models.base import utcnow
from models.enums import ReferralState, Role, Stage
from services.platform.access import case_scope, require_role

# The roles that have tasks; the page and the reminders are for them.
TASK_ROLES = (Role.officer, Role.coordinator, Role.admin, Role.partner)
MAX_TASKS = 200
# "My tasks" shows what falls due in the coming days too; the reminders only what is due.
SOON_DAYS = 3


class TaskKind(StrEnum):
    follow_up = "follow_up"
    referral = "referral"  # chase an organisation's answer
    answer = "answer"  # a partner's own answer to a referral to their organisation


@dataclass(frozen=True)
class Task:
    """One due item: a case's follow-up, or a referral's answer."""

    kind: TaskKind
    item_id: int  # the case (follow-up) or the referral
    case_code: str
    stage: str
    urgency: str
    due_on: date
    organisation: str | None = None
    service: str | None = None

    def days_late(self, today: date) -> int:
        """Days past due (0 if due today, negative if still to come)."""
        return (today - self.due_on).days


def responsible_for(actor: UserAccount) -> sa.ColumnElement[bool]:
    """SQL condition: the cases whose follow-ups are the actor's."""
    mine = col(Case.assigned_to_id) == actor.id
    unassigned = col(Case.assigned_to_id).is_(None)
    if actor.role == Role.officer:
        # The country that answers for the case: the reporting one, or the one it was
        # transferred to.
        country = sa.func.coalesce(col(Case.responsible_country), col(Case.reporting_country))
        return sa.or_(mine, sa.and_(unassigned, country == actor.country))
    return mine


def _not_reminded(actor: UserAccount, kind: TaskKind, item_id: Any, due_on: Any) -> Any:
    return ~sa.exists().where(
        col(ReminderSent.user_id) == actor.id,
        col(ReminderSent.item_kind) == kind.value,
        col(ReminderSent.item_id) == item_id,
        col(ReminderSent.due_on) == due_on,
    )


def list_tasks(
    *,
    session: Session,
    actor: UserAccount,
    today: date | None = None,
    soon_days: int = SOON_DAYS,
    unreminded_only: bool = False,
    limit: int = MAX_TASKS,
) -> list[Task]:
    """The actor's tasks due by `today + soon_days`, earliest first (at most `limit` of each
    kind). `unreminded_only`: leave out what an e-mail already reminded them of."""
    require_role(actor, TASK_ROLES)
    today = today or utcnow().date()
    until = today + timedelta(days=soon_days)
    # The correlated scope lets the ordered follow-up read stop early; the referrals' read
    # joins the referral table itself, so it takes the scope as a subquery.
    if actor.role == Role.partner:
        # No case of their own (no follow-ups are read): the referrals their organisation
        # is to answer.
        ours: tuple[Any, ...] = (sa.false(),)
        ours_by_referral: tuple[Any, ...] = (
            col(Referral.organisation_id) == actor.organisation_id,
        )
        referral_kind = TaskKind.answer
    else:
        ours = (case_scope(actor, correlated=True), responsible_for(actor))
        ours_by_referral = (
            case_scope(actor),
            sa.or_(responsible_for(actor), col(Referral.created_by_id) == actor.id),
        )
        referral_kind = TaskKind.referral
    follow_ups = (
        sa.select(
            *(col(column) for column in (Case.id, Case.case_code, Case.stage, Case.urgency)),
            col(Case.next_follow_up_on),
        )
        .where(
            *ours,
            col(Case.stage) != Stage.closed.value,
            col(Case.next_follow_up_on) <= until,
        )
        .order_by(col(Case.next_follow_up_on), col(Case.id))
        .limit(limit)
    )
    referrals = (
        sa.select(
            col(Referral.id),
            *(col(column) for column in (Case.case_code, Case.stage, Case.urgency)),
            col(Referral.response_due_on),
            col(Organisation.name),
            col(Referral.service),
        )
        .join(Case, col(Case.id) == col(Referral.case_id))
        .join(Organisation, col(Organisation.id) == col(Referral.organisation_id))
        .where(
            *ours_by_referral,
            col(Referral.state) == ReferralState.pending.value,
            col(Referral.response_due_on) <= until,
        )
        .order_by(col(Referral.response_due_on), col(Referral.id))
        .limit(limit)
    )
    if unreminded_only:
        follow_ups = follow_ups.where(
            _not_reminded(actor, TaskKind.follow_up, Case.id, Case.next_follow_up_on)
        )
        referrals = referrals.where(
            _not_reminded(actor, referral_kind, Referral.id, Referral.response_due_on)
        )
    tasks = [
        Task(TaskKind.follow_up, row[0], row[1], str(row[2]), str(row[3]), row[4])
        for row in (session.execute(follow_ups).all() if actor.role != Role.partner else [])
    ]
    tasks += [
        Task(referral_kind, row[0], row[1], str(row[2]), str(row[3]), row[4], row[5], row[6])
        for row in session.execute(referrals).all()
    ]
    return sorted(tasks, key=lambda task: (task.due_on, task.case_code, task.kind))
