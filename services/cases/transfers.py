"""Transfers of responsibility: a case handed to another country's consular officers, as
Primero's transfers.

The home officer, a coordinator or an administrator requests a transfer to a country; the
person's consent must cover sharing with that country (`workflow.consent_covers`, as for a
referral to its authorities). While the request is pending, that country's officers can read
the case; one of them accepts it (consent checked again: it may have been withdrawn) or declines
with a reason. On acceptance the case's responsible country becomes theirs and the accepting
officer is assigned; the reporting country's officers keep reading it. Each step bumps the
case's version, has its timeline event and its audit row.
"""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlmodel import Session, col, select

from models import Case, CaseTransfer, UserAccount
from models.base import utcnow
from models.enums import CaseEventKind, OrgType, Role, TransferState
from services.cases import workflow
from services.cases.records import refuse_personal_data
from services.cases.storage import CaseChange, case_to_change, find_case
from services.platform import audit
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.platform.i18n import N_

ENTITY = "case_transfer"
SAME_COUNTRY = N_("The case is already the responsibility of {country}.")
ALREADY_PENDING = N_("A transfer of this case is already waiting for an answer.")
NO_CONSENT = N_(
    "The person's consent does not cover sharing the case with the authorities of {country}."
)
NO_TRANSFER = N_("There is no pending transfer {id} of case {code}.")
ONLY_RECEIVING_OFFICER = N_("Only an officer of {country} may answer this transfer.")
NEEDS_REASON = N_("Give the reason for declining the transfer.")
NO_TRANSFER_ANSWER = N_("There is no transfer {id}.")
STALE_TRANSFER = N_("The transfer was answered meanwhile; nothing was saved.")


@dataclass(frozen=True)
class TransferOutcome:
    """How a transfer was answered: by whom (their name; `by_you` when it was the reader, in
    another tab), when, and which country is responsible for the case now."""

    case_code: str
    state: TransferState
    answered_by: str
    by_you: bool
    answered_at: datetime
    from_country: str
    to_country: str


def transfer_outcome(
    *, session: Session, actor: UserAccount, transfer_id: int
) -> TransferOutcome | None:
    """The answer to a transfer the actor was shown while it waited; None while it still waits.

    The receiving country's officers are told even when a decline took the case out of their
    scope (they were shown the request); anyone else, only about a case in their scope."""
    transfer = session.get(CaseTransfer, transfer_id)
    case = session.get(Case, transfer.case_id) if transfer is not None else None
    if transfer is None or case is None:
        raise NotFound(NO_TRANSFER_ANSWER, id=transfer_id)
    session.refresh(transfer)
    receiving = actor.role == Role.officer and actor.country == transfer.to_country
    if not receiving:
        find_case(session=session, actor=actor, case_code=case.case_code)
    if transfer.state == TransferState.pending or transfer.answered_at is None:
        return None
    answerer = session.get(UserAccount, transfer.answered_by_id or 0)
    return TransferOutcome(
        case_code=case.case_code,
        state=TransferState(transfer.state),
        answered_by=(answerer.display_name or answerer.email) if answerer else "",
        by_you=transfer.answered_by_id == actor.id,
        answered_at=transfer.answered_at,
        from_country=transfer.from_country,
        to_country=transfer.to_country,
    )


def pending_transfer(session: Session, case_id: int) -> CaseTransfer | None:
    """The case's transfer waiting for an answer, if any."""
    statement = select(CaseTransfer).where(
        col(CaseTransfer.case_id) == case_id,
        col(CaseTransfer.state) == TransferState.pending.value,
    )
    return session.exec(statement).first()


def list_transfers(*, session: Session, actor: UserAccount, case_code: str) -> list[CaseTransfer]:
    """The case's transfers, oldest first (the case in the actor's scope)."""
    case = find_case(session=session, actor=actor, case_code=case_code)
    statement = (
        select(CaseTransfer)
        .where(col(CaseTransfer.case_id) == case.id)
        .order_by(col(CaseTransfer.requested_at), col(CaseTransfer.id))
    )
    return list(session.exec(statement).all())


def _consent_covers(case: Case, country: str) -> bool:
    """Whether the person agreed to their case going to `country`'s consular authorities."""
    return workflow.consent_covers(
        consent_given=case.consent_given,
        consent_scope=list(case.consent_scope or []),
        organisation_country=country,
        organisation_type=OrgType.Consulate.value,
        citizenship=case.citizenship,
    )


def request_transfer(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    to_country: str,
    note: str,
    expected_version: int,
) -> CaseTransfer:
    """Ask `to_country`'s officers to take over the case."""
    action = workflow.Action.request_transfer
    change, _who = case_to_change(session, actor, case_code, action, expected_version)
    case = change.case
    home = case.responsible_country or case.reporting_country
    to_country = to_country.strip().upper()
    if to_country == home:
        raise Conflict(SAME_COUNTRY, country=to_country)
    if pending_transfer(session, case.id or 0) is not None:
        raise Conflict(ALREADY_PENDING)
    if not _consent_covers(case, to_country):
        raise Conflict(NO_CONSENT, country=to_country)
    refuse_personal_data({"note": note})
    change.save({})
    transfer = CaseTransfer(
        case_id=case.id or 0,
        from_country=home,
        to_country=to_country,
        note=note.strip(),
        requested_by_id=actor.id,
    )
    session.add(transfer)
    session.flush()
    details = {"transfer_id": transfer.id, "from": home, "to": to_country}
    change.add_event(CaseEventKind.transfer_requested, note=transfer.note, details=details)
    _audit(change, transfer, before={}, after={"state": TransferState.pending.value, **details})
    session.flush()
    session.refresh(transfer)
    return transfer


def answer_transfer(
    *,
    session: Session,
    actor: UserAccount,
    case_code: str,
    transfer_id: int,
    accept: bool,
    expected_version: int,
    reason: str = "",
) -> CaseTransfer:
    """The receiving officer accepts the case (consent checked again) or declines (reason).
    A transfer answered meanwhile is StaleVersion, even when its decline took the case out of
    the officer's scope: nothing is saved twice."""
    _refuse_answered(session, actor, case_code, transfer_id)
    case = find_case(session=session, actor=actor, case_code=case_code)
    transfer = session.get(CaseTransfer, transfer_id)
    if transfer is None or transfer.case_id != case.id:
        raise NotFound(NO_TRANSFER, id=transfer_id, code=case.case_code)
    session.refresh(transfer)
    if transfer.state != TransferState.pending:
        raise StaleVersion(STALE_TRANSFER)
    if actor.role != Role.officer or actor.country != transfer.to_country or not actor.is_active:
        raise PermissionDenied(ONLY_RECEIVING_OFFICER, country=transfer.to_country)
    if case.version != expected_version:
        raise StaleVersion(STALE_TRANSFER)
    reason = reason.strip()
    if accept and not _consent_covers(case, transfer.to_country):
        raise Conflict(NO_CONSENT, country=transfer.to_country)
    if not accept and not reason:
        raise Conflict(NEEDS_REASON)
    refuse_personal_data({"decline_reason": reason})
    change = CaseChange(session, actor, case, expected_version)
    handed = {"responsible_country": transfer.to_country, "assigned_to_id": actor.id}
    change.save(handed if accept else {}, stale=STALE_TRANSFER)
    state = TransferState.accepted if accept else TransferState.declined
    transfer.state = state
    transfer.answered_by_id = actor.id
    transfer.answered_at = utcnow()
    transfer.decline_reason = None if accept else reason
    session.add(transfer)
    details = {"transfer_id": transfer.id, "to": transfer.to_country, "state": state.value}
    change.add_event(CaseEventKind.transfer_answered, note=reason, details=details)
    _audit(
        change,
        transfer,
        before={"state": TransferState.pending.value, "decline_reason": None},
        after={"state": state.value, "decline_reason": transfer.decline_reason},
    )
    session.flush()
    session.refresh(transfer)
    return transfer


def _refuse_answered(
    session: Session, actor: UserAccount, case_code: str, transfer_id: int
) -> None:
    """StaleVersion when the transfer offered to the actor's country was answered meanwhile."""
    transfer = session.get(CaseTransfer, transfer_id)
    if transfer is None:
        return
    session.refresh(transfer)
    case = session.get(Case, transfer.case_id)
    offered = actor.role == Role.officer and actor.country == transfer.to_country
    same_case = case is not None and case.case_code == case_code.strip().upper()
    if offered and same_case and transfer.state != TransferState.pending:
        raise StaleVersion(STALE_TRANSFER)


def _audit(
    change: CaseChange, transfer: CaseTransfer, *, before: dict[str, Any], after: dict[str, Any]
) -> None:
    """The transfer's audit row: its request, or its answer."""
    answered = transfer.answered_at is not None
    action = audit.AuditAction.case_transfer_answered
    if not answered:
        action = audit.AuditAction.case_transfer_requested
    db, who, row = change.session, change.actor, audit.diff(before, after)
    audit.record(db, actor=who, action=action, entity=ENTITY, entity_id=transfer.id, changes=row)
