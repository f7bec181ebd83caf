"""The receiving side: staff of a partner organisation (`Role.partner`) answer the referrals
addressed to their organisation.

A partner sees only those referrals, and of each case only what the service needs: its code,
the service, urgency, age band and whether the person is a minor, the primary language, when it
was sent and its state. Never the alias, the notes, the assessment or the case's other
referrals. Every query is scoped in SQL by the partner's organisation; a referral of another
organisation is "not found", the same answer as one that does not exist.

An answer is a compare-and-set on the referral's state (the state the partner saw): of two
submits of the same answer (a double click, a second tab), exactly one is saved.
"""

from dataclasses import dataclass
from datetime import date
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import Case, CaseEvent, Organisation, Referral, ReferralUpdate, UserAccount
from models.base import utcnow
from models.enums import CaseEventKind, ReferralState, Role
from services.cases import workflow
from services.cases.records import refuse_personal_data
from services.cases.storage import REFERRAL_ENTITY
from services.platform import audit
from services.platform.access import require_role
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.platform.i18n import N_
from services.platform.labels import label

NO_REFERRAL = N_("There is no referral {id} for your organisation.")
NO_ORGANISATION = N_("Your account is not linked to an organisation; ask an administrator.")
ALREADY_ANSWERED = N_(
    "This referral was answered meanwhile (it is now {state}); nothing was saved."
)
NOT_A_PARTNER_ANSWER = N_("A partner may accept, decline or complete a referral.")
# What a partner may answer: withdrawing is the referring side's decision.
PARTNER_ANSWERS = frozenset(
    {ReferralState.accepted, ReferralState.declined, ReferralState.completed}
)


@dataclass(frozen=True)
class PartnerReferral:
    """One referral as its organisation sees it: the minimum the service needs."""

    id: int
    case_code: str
    service: str
    urgency: str
    age_band: str | None
    is_minor: bool
    primary_language: str
    sent_on: date
    state: str
    answered_on: date | None
    decline_reason: str | None

    @property
    def answers(self) -> list[str]:
        """The answers the partner may give now, in a stable order."""
        return [
            state for state in workflow.next_referral_states(self.state) if state in PARTNER_ANSWERS
        ]


_COLUMNS: tuple[Any, ...] = (
    col(Referral.id),
    col(Case.case_code),
    col(Referral.service),
    col(Case.urgency),
    col(Case.age_band),
    col(Case.is_minor),
    col(Case.primary_language),
    col(Referral.sent_on),
    col(Referral.state),
    col(Referral.answered_on),
    col(Referral.decline_reason),
)


def _organisation_of(actor: UserAccount | None) -> int:
    partner = require_role(actor, (Role.partner,))
    if not partner.organisation_id:
        raise PermissionDenied(NO_ORGANISATION)
    return partner.organisation_id


def list_partner_referrals(
    *, session: Session, actor: UserAccount, open_only: bool = False
) -> list[PartnerReferral]:
    """The referrals addressed to the partner's organisation, newest first."""
    organisation_id = _organisation_of(actor)
    statement = (
        sa.select(*_COLUMNS)
        .join(Case, col(Case.id) == col(Referral.case_id))
        .where(col(Referral.organisation_id) == organisation_id)
        .order_by(col(Referral.sent_on).desc(), col(Referral.id).desc())
    )
    if open_only:
        statement = statement.where(
            col(Referral.state).in_([ReferralState.pending.value, ReferralState.accepted.value])
        )
    return [_line(row) for row in session.execute(statement).all()]


def count_waiting_referrals(*, session: Session, actor: UserAccount) -> int:
    """How many referrals to the partner's organisation wait for its answer (counted in SQL)."""
    organisation_id = _organisation_of(actor)
    statement = sa.select(sa.func.count()).where(
        col(Referral.organisation_id) == organisation_id,
        col(Referral.state) == ReferralState.pending.value,
    )
    return int(session.execute(statement).scalar_one())


def get_partner_referral(
    *, session: Session, actor: UserAccount, referral_id: int
) -> PartnerReferral:
    """One referral of the partner's organisation; NotFound for any other."""
    organisation_id = _organisation_of(actor)
    row = session.execute(
        sa.select(*_COLUMNS)
        .join(Case, col(Case.id) == col(Referral.case_id))
        .where(
            col(Referral.id) == referral_id,
            col(Referral.organisation_id) == organisation_id,
        )
    ).first()
    if row is None:
        raise NotFound(NO_REFERRAL, id=referral_id)
    return _line(row)


def _line(row: Any) -> PartnerReferral:
    values = dict(zip(PartnerReferral.__dataclass_fields__, row, strict=True))
    for name in ("service", "urgency", "age_band", "state"):
        if values[name] is not None:
            values[name] = str(getattr(values[name], "value", values[name]))
    return PartnerReferral(**values)


def answer_partner_referral(
    *,
    session: Session,
    actor: UserAccount,
    referral_id: int,
    answer: ReferralUpdate,
    expected_state: str,
) -> PartnerReferral:
    """Accept, decline (with the reason) or complete a referral of the partner's organisation,
    if it is still in `expected_state` (the state the partner saw); StaleVersion otherwise."""
    seen = get_partner_referral(session=session, actor=actor, referral_id=referral_id)
    if answer.state not in PARTNER_ANSWERS:
        raise Conflict(NOT_A_PARTNER_ANSWER)
    old_state = ReferralState(expected_state)
    workflow.check_referral_answer(old_state, answer.state)
    reason = (answer.decline_reason or "").strip() or None
    if answer.state != ReferralState.declined:
        reason = None
    refuse_personal_data({"decline_reason": reason})
    values: dict[str, Any] = {"state": answer.state.value, "decline_reason": reason}
    if answer.state in (ReferralState.accepted, ReferralState.declined):
        values["answered_on"] = utcnow().date()
    saved = session.exec(
        sa.update(Referral)
        .where(col(Referral.id) == referral_id, col(Referral.state) == old_state.value)
        .values(**values)
    )
    if saved.rowcount == 0:
        session.rollback()
        current = get_partner_referral(session=session, actor=actor, referral_id=referral_id)
        raise StaleVersion(ALREADY_ANSWERED, state=label(current.state))
    record_answer_on_case(
        session,
        actor=actor,
        referral_id=referral_id,
        old_state=old_state,
        new_state=answer.state,
        reason=reason,
    )
    session.flush()
    return get_partner_referral(session=session, actor=actor, referral_id=seen.id)


def record_answer_on_case(
    session: Session,
    *,
    actor: UserAccount,
    referral_id: int,
    old_state: ReferralState,
    new_state: ReferralState,
    reason: str | None,
) -> None:
    """An answer given outside the case's own forms: the case's version moves on (open forms
    on the case see that it changed), a timeline event names the outcome, and the audit row."""
    referral = session.get(Referral, referral_id)
    if referral is None:
        raise NotFound(NO_REFERRAL, id=referral_id)
    organisation = session.get(Organisation, referral.organisation_id)
    session.exec(
        sa.update(Case)
        .where(col(Case.id) == referral.case_id)
        .values(version=col(Case.version) + 1, updated_at=utcnow())
    )
    session.add(
        CaseEvent(
            case_id=referral.case_id,
            kind=CaseEventKind.referral_answered,
            author_id=actor.id,
            note=reason or "",
            details={
                "referral_id": referral_id,
                "organisation": organisation.name if organisation else None,
                "service": str(getattr(referral.service, "value", referral.service)),
                "from": old_state.value,
                "to": new_state.value,
            },
        )
    )
    before = {"state": old_state.value, "decline_reason": None}
    after = {"state": new_state.value, "decline_reason": reason}
    where: dict[str, Any] = {"entity": REFERRAL_ENTITY, "entity_id": referral_id}
    answered = audit.AuditAction.case_referral_answered
    audit.record(session, actor=actor, action=answered, changes=audit.diff(before, after), **where)
