"""The demo's transfer of responsibility: one Argentine case offered to Paraguay's officers,
waiting for officer.py to accept or decline it."""

from datetime import timedelta

from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseTransfer, UserAccount
from models.base import utcnow
from models.enums import CaseEventKind, ConsentScope, Stage

FROM, TO = "AR", "PY"
NOTE = "The person moved to Asunción with her family; follow-up is easier from there."


def pending_transfer(session: Session, requested_by: UserAccount) -> list[CaseTransfer | CaseEvent]:
    """The transfer and its timeline event, unless the demo has a transfer already; the case
    is the first open Argentine one whose consent covers sharing with service providers."""
    if session.exec(select(CaseTransfer.id).limit(1)).first() is not None:
        return []
    candidates = session.exec(
        select(Case)
        .where(
            col(Case.reporting_country) == FROM,
            col(Case.stage).not_in([Stage.closed.value]),
            col(Case.consent_given),
            col(Case.responsible_country).is_(None),
        )
        .order_by(col(Case.case_code))
    ).all()
    shared = [
        case
        for case in candidates
        if ConsentScope.service_providers.value in map(str, case.consent_scope or [])
        and case.citizenship != TO
    ]
    if not shared:
        return []
    case, asked = shared[0], utcnow() - timedelta(days=2)
    transfer = CaseTransfer(
        case_id=case.id or 0,
        from_country=FROM,
        to_country=TO,
        note=NOTE,
        requested_by_id=requested_by.id,
        requested_at=asked,
    )
    session.add(transfer)
    session.flush()
    event = CaseEvent(
        case_id=case.id or 0,
        kind=CaseEventKind.transfer_requested,
        author_id=requested_by.id,
        note=NOTE,
        details={"transfer_id": transfer.id, "from": FROM, "to": TO},
        created_at=asked,
    )
    return [transfer, event]
