"""Reaching one referral case and writing it safely: the case of a code in the actor's scope
(`access.case_scope`), the actor's party to it, and the pieces every change is made of: the
check and the UPDATE at the version the user started from, the timeline event, the audit row.
"""

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Case, CaseEvent, CaseTransfer, Referral, UserAccount
from models.base import utcnow
from models.enums import CaseEventKind, Role, TransferState
from services.cases import workflow
from services.platform import audit
from services.platform.access import case_scope
from services.platform.errors import NotFound, StaleVersion
from services.platform.i18n import N_

ENTITY = "referral_case"
REFERRAL_ENTITY = "case_referral"
STALE = N_("The case was changed by someone else; nothing was saved.")


# --- finding a case the actor may reach --------------------------------------------------


def find_case(*, session: Session, actor: UserAccount, case_code: str) -> Case:
    """The case of that code in the actor's scope, read afresh; NotFound otherwise (the same
    answer whether the case does not exist or is outside the actor's scope)."""
    case = session.exec(
        select(Case)
        .where(col(Case.case_code) == case_code.strip().upper(), case_scope(actor))
        .execution_options(populate_existing=True)
    ).first()
    if case is None:
        raise NotFound(N_("There is no case {code}."), code=case_code)
    return case


def _shared_countries(*, session: Session, case_id: int) -> set[str]:
    statement = (
        select(Referral.cross_border_country)
        .where(
            col(Referral.case_id) == case_id,
            col(Referral.cross_border_country).is_not(None),
        )
        .distinct()
    )
    return {country for country in session.exec(statement).all() if country}


def party_of(*, session: Session, actor: UserAccount, case: Case) -> workflow.Party:
    """How the actor stands to the case. After an accepted transfer the responsible country's
    officers are its home officers and the reporting country's keep reading it; a country a
    transfer is offered to reads it while the offer is pending."""
    home = case.responsible_country or case.reporting_country
    shared: set[str] = set()
    if actor.role == Role.officer and actor.country != home:
        shared = _shared_countries(session=session, case_id=case.id)  # type: ignore[arg-type]
        shared |= {case.reporting_country, *pending_transfer_countries(session, case.id or 0)}
    return workflow.party(actor, reporting_country=home, shared_countries=shared)


def pending_transfer_countries(session: Session, case_id: int) -> set[str]:
    statement = select(CaseTransfer.to_country).where(
        col(CaseTransfer.case_id) == case_id,
        col(CaseTransfer.state) == TransferState.pending.value,
    )
    return set(session.exec(statement).all())


def record_case_audit(
    session: Session,
    *,
    actor: UserAccount,
    action: audit.AuditAction,
    entity_id: object = "",
    changes: dict[str, Any] | None = None,
) -> None:
    """The audit row of an action on cases (one case read, an export, a sweep of many)."""
    audit.record(
        session, actor=actor, action=action, entity=ENTITY, entity_id=entity_id, changes=changes
    )
    session.flush()


# --- the workflow: every change checks the version the user started from -----------------


@dataclass(frozen=True)
class CaseChange:
    """One change an actor makes to a case, from the version the user started from: its
    versioned UPDATE, timeline event and audit row, in the caller's unit of work."""

    session: Session
    actor: UserAccount
    case: Case
    expected_version: int

    def save(self, values: dict[str, Any], *, stale: str = STALE) -> None:
        """Write `values` only if the case is still at `expected_version`, and bump the version.

        One UPDATE ... WHERE version = expected: of two concurrent saves, exactly one wins, on
        every replica and on SQLite and PostgreSQL alike.
        """
        bumped = self.session.exec(
            sa.update(Case)
            .where(col(Case.id) == self.case.id, col(Case.version) == self.expected_version)
            .values(**values, version=self.expected_version + 1, updated_at=utcnow())
        )
        if bumped.rowcount == 0:
            self.session.rollback()
            raise StaleVersion(stale)

    def add_event(
        self, kind: CaseEventKind, *, note: str = "", details: dict[str, Any] | None = None
    ) -> CaseEvent:
        """The change's entry on the case's timeline."""
        event = CaseEvent(
            case_id=self.case.id,  # type: ignore[arg-type]
            kind=kind,
            author_id=self.actor.id,
            note=note,
            details=details or {},
        )
        self.session.add(event)
        return event

    def audit(
        self,
        action: audit.AuditAction,
        *,
        before: dict[str, Any],
        after: dict[str, Any],
        referral_id: int | None = None,
    ) -> None:
        """The change's audit row, the version included: of the case, or of one referral."""
        version = self.expected_version
        audit.record(
            self.session,
            actor=self.actor,
            action=action,
            entity=ENTITY if referral_id is None else REFERRAL_ENTITY,
            entity_id=self.case.id if referral_id is None else referral_id,
            changes=audit.diff({**before, "version": version}, {**after, "version": version + 1}),
        )

    def finish(self) -> Case:
        """The case as saved."""
        self.session.flush()
        self.session.refresh(self.case)
        return self.case


def case_to_change(
    session: Session,
    actor: UserAccount,
    case_code: str,
    action: workflow.Action,
    expected_version: int,
) -> tuple[CaseChange, workflow.Party]:
    """The change, if the actor may see the case (else NotFound), do `action` (else refused)
    and the case is still at `expected_version` (else StaleVersion)."""
    case = find_case(session=session, actor=actor, case_code=case_code)
    who = party_of(session=session, actor=actor, case=case)
    workflow.require(who, action)
    if case.version != expected_version:
        raise StaleVersion(STALE)
    return CaseChange(session, actor, case, expected_version), who
