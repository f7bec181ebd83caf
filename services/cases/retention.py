"""Retention and erasure: a case's personal data is removed, its statistics stay.

Two ways in, both for admins only and both audited:
- `apply_retention`: closed cases whose closure is older than `retention_years` (setting
  ENLACE_RETENTION_YEARS, default 5) are anonymised (`enlace retention apply [--dry-run]`);
- `erase_case`: one case, on the person's request, with a reason (the Admin page and
  `enlace retention erase CASE_CODE --reason ...`).

Anonymising a case:
- free text is cleared: alias → "ANON"; consular post, place identified and primary language
  → empty; reasons for closing and for referring without consent, return counterpart and
  reception → none; every timeline note's text, the counterpart kept in a return event's
  details, and every referral's reason for declining;
- dates are coarsened to the first day of their month (timestamps to 00:00 UTC that day):
  identified on, consent date, travel date, stage changed, created; referrals' sent and
  answered on; timeline entries' times. The month is the finest period any report uses:
  services/reporting/reports.py counts cases by stage, situation, reporting country and month
  identified, so every report gives the same numbers before and after;
- coded fields (gender, age band, citizenship, situation, exploitation, stage, urgency,
  consent given and scope...) stay: they are the statistics;
- values the audit log recorded earlier about the case and its referrals (free text and the
  exact dates above) are masked; the log keeps who did what and when;
- `anonymised_at` is set and the version goes up (an editor holding the old one is refused).

The erasure's reason is required, is refused if it looks like personal data, and is stored
masked like every free text: the log says that a reason was given, never what it says (the
guard cannot catch an indirect identification such as "asked by her lawyer at ...").
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from sqlmodel import Session, col, func, select

from models import Case, CaseEvent, Referral, UserAccount
from models.base import utcnow
from models.enums import Role, Stage
from services.cases.storage import ENTITY, REFERRAL_ENTITY, record_case_audit
from services.platform import audit, personal_data
from services.platform.access import require_role
from services.platform.errors import Conflict, NotFound
from services.platform.i18n import N_
from services.platform.settings import get_settings

ANONYMOUS_ALIAS = "ANON"
BATCH_SIZE = 200
REASON_LABELS = {"reason": N_("Reason for the erasure")}
NEEDS_REASON = N_("Give the reason for the erasure request.")
ALREADY_ANONYMISED = N_("This case's personal data was already removed.")

# Cleared free text: (field, value once cleared).
_CLEARED_TEXT: dict[str, Any] = {
    "person_alias": ANONYMOUS_ALIAS,
    "consular_post": "",
    "identified_place": "",
    "primary_language": "",
    "closure_reason": None,
    "consent_override_reason": None,
    "return_counterpart": None,
    "return_reception": None,
}
_CASE_DATES = ("identified_on", "consent_date", "return_travel_date")
_CASE_TIMES = ("stage_changed_at", "created_at")
_REFERRAL_DATES = ("sent_on", "answered_on")
# What the audit log may have recorded in clear about a case or a referral before.
_MASKED_IN_AUDIT = frozenset(
    {*audit.SENSITIVE_FIELDS, *_CASE_DATES, *_CASE_TIMES, *_REFERRAL_DATES, "travel_date"}
)

Progress = Callable[[int, int], None]


@dataclass
class Anonymised:
    """What was removed: cases, and within them notes, referral reasons and audit rows."""

    cases: int = 0
    fields_cleared: int = 0
    notes_removed: int = 0
    referral_reasons_removed: int = 0
    audit_rows_masked: int = 0

    def add(self, other: "Anonymised") -> None:
        self.cases += other.cases
        self.fields_cleared += other.fields_cleared
        self.notes_removed += other.notes_removed
        self.referral_reasons_removed += other.referral_reasons_removed
        self.audit_rows_masked += other.audit_rows_masked


@dataclass(frozen=True)
class RetentionReport:
    """A retention run: which cases were due, and what was (or, on a dry run, would be) done."""

    years: int
    cutoff: datetime
    dry_run: bool
    eligible: int
    done: Anonymised = field(default_factory=Anonymised)


@dataclass(frozen=True)
class ErasureReport:
    case_code: str
    done: Anonymised


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def month_start(moment: datetime) -> datetime:
    """00:00 UTC on the first day of the moment's month (in UTC)."""
    moment = moment.astimezone(UTC) if moment.tzinfo else moment.replace(tzinfo=UTC)
    return datetime(moment.year, moment.month, 1, tzinfo=UTC)


def retention_cutoff(now: datetime, years: int) -> datetime:
    """`years` years before `now` (29 February → 28 February)."""
    try:
        return now.replace(year=now.year - years)
    except ValueError:
        return now.replace(year=now.year - years, day=28)


def _due(cutoff: datetime) -> Any:
    return (
        col(Case.stage) == Stage.closed.value,
        col(Case.stage_changed_at) < cutoff,
        col(Case.anonymised_at).is_(None),
    )


def due_case_ids(*, session: Session, cutoff: datetime) -> list[int]:
    """Closed cases, closed before `cutoff`, not anonymised yet: oldest closure first."""
    statement = (
        select(Case.id).where(*_due(cutoff)).order_by(col(Case.stage_changed_at), col(Case.id))
    )
    return [case_id for case_id in session.exec(statement).all() if case_id is not None]


def _would_remove(session: Session, case_ids: list[int]) -> Anonymised:
    """What anonymising these cases would remove, counted without writing (the dry run)."""
    if not case_ids:
        return Anonymised()
    notes = session.exec(
        select(func.count(col(CaseEvent.id))).where(
            col(CaseEvent.case_id).in_(case_ids), col(CaseEvent.note) != ""
        )
    ).one()
    reasons = session.exec(
        select(func.count(col(Referral.id))).where(
            col(Referral.case_id).in_(case_ids), col(Referral.decline_reason).is_not(None)
        )
    ).one()
    cleared = 0
    for case in session.exec(select(Case).where(col(Case.id).in_(case_ids))):
        cleared += sum(
            1 for name, empty in _CLEARED_TEXT.items() if (getattr(case, name) or empty) != empty
        )
    return Anonymised(
        cases=len(case_ids),
        fields_cleared=cleared,
        notes_removed=int(notes),
        referral_reasons_removed=int(reasons),
    )


def _anonymise(session: Session, case: Case, now: datetime) -> Anonymised:
    """Remove one case's personal data in the session (the caller audits and commits)."""
    done = Anonymised(cases=1)
    for name, empty in _CLEARED_TEXT.items():
        if (getattr(case, name) or empty) != empty:
            done.fields_cleared += 1
        setattr(case, name, empty)
    for name in _CASE_DATES:
        value = getattr(case, name)
        if value is not None:
            setattr(case, name, first_of_month(value))
    for name in _CASE_TIMES:
        setattr(case, name, month_start(getattr(case, name)))
    case.anonymised_at = now
    case.updated_at = now
    case.version += 1
    session.add(case)

    referrals = session.exec(select(Referral).where(Referral.case_id == case.id)).all()
    for referral in referrals:
        if referral.decline_reason:
            done.referral_reasons_removed += 1
        referral.decline_reason = None
        referral.sent_on = first_of_month(referral.sent_on)
        if referral.answered_on is not None:
            referral.answered_on = first_of_month(referral.answered_on)
        session.add(referral)

    for event in session.exec(select(CaseEvent).where(CaseEvent.case_id == case.id)).all():
        if event.note:
            done.notes_removed += 1
        event.note = ""
        details = dict(event.details or {})
        if details.get("counterpart"):
            details["counterpart"] = None
        if details.get("travel_date"):
            details["travel_date"] = str(first_of_month(date.fromisoformat(details["travel_date"])))
        event.details = details
        event.created_at = month_start(event.created_at)
        session.add(event)

    done.audit_rows_masked += audit.mask_recorded_values(
        session, entity=ENTITY, entity_ids=[case.id], fields=_MASKED_IN_AUDIT
    )
    done.audit_rows_masked += audit.mask_recorded_values(
        session,
        entity=REFERRAL_ENTITY,
        entity_ids=[referral.id for referral in referrals],
        fields=_MASKED_IN_AUDIT,
    )
    return done


def _record(
    session: Session,
    *,
    actor: UserAccount,
    action: audit.AuditAction,
    case: Case,
    done: Anonymised,
    extra: dict[str, Any] | None = None,
) -> None:
    audit.record(
        session,
        actor=actor,
        action=action,
        entity=ENTITY,
        entity_id=case.id,
        changes={
            "anonymised_at": [None, case.anonymised_at.isoformat() if case.anonymised_at else None],
            "fields_cleared": done.fields_cleared,
            "notes_removed": done.notes_removed,
            "referral_reasons_removed": done.referral_reasons_removed,
            "audit_rows_masked": done.audit_rows_masked,
            **(extra or {}),
        },
    )


def _batches(ids: list[int], size: int) -> Iterable[list[int]]:
    for start in range(0, len(ids), size):
        yield ids[start : start + size]


def apply_retention(
    *,
    session: Session,
    actor: UserAccount,
    years: int | None = None,
    dry_run: bool = False,
    now: datetime | None = None,
    progress: Progress | None = None,
    batch_size: int = BATCH_SIZE,
) -> RetentionReport:
    """Anonymise the closed cases whose closure is older than `years` (the setting by default).

    Each case is written with its audit row, flushed batch by batch, in the caller's unit of
    work (all or nothing); a dry run counts and writes nothing. `progress(done, total)` is
    called after each batch.
    """
    require_role(actor, (Role.admin,))
    years = get_settings().retention_years if years is None else years
    now = now or utcnow()
    cutoff = retention_cutoff(now, years)
    case_ids = due_case_ids(session=session, cutoff=cutoff)
    if dry_run:
        return RetentionReport(
            years=years,
            cutoff=cutoff,
            dry_run=True,
            eligible=len(case_ids),
            done=_would_remove(session, case_ids),
        )
    total = Anonymised()
    finished = 0
    for batch in _batches(case_ids, batch_size):
        statement = select(Case).where(col(Case.id).in_(batch), *_due(cutoff)).with_for_update()
        for case in session.exec(statement).all():
            done = _anonymise(session, case, now)
            _record(
                session, actor=actor, action=audit.AuditAction.case_anonymised, case=case, done=done
            )
            total.add(done)
        session.flush()
        finished += len(batch)
        if progress:
            progress(finished, len(case_ids))
    summary = {
        "retention_years": years,
        "cutoff": cutoff.isoformat(),
        "cases": total.cases,
        "notes_removed": total.notes_removed,
    }
    action = audit.AuditAction.retention_applied
    record_case_audit(session, actor=actor, action=action, changes=summary)
    return RetentionReport(
        years=years, cutoff=cutoff, dry_run=False, eligible=len(case_ids), done=total
    )


def erase_case(
    *, session: Session, actor: UserAccount, case_code: str, reason: str
) -> ErasureReport:
    """Erase one case's personal data at the person's request (admins only), whatever its
    stage; `reason` is required, checked for personal data and logged masked."""
    require_role(actor, (Role.admin,))
    reason = (reason or "").strip()
    if not reason:
        raise Conflict(NEEDS_REASON)
    findings = personal_data.find_personal_data(reason, "reason")
    if findings:
        raise personal_data.PersonalDataFound(findings, REASON_LABELS)
    case = session.exec(
        select(Case).where(col(Case.case_code) == case_code.strip().upper()).with_for_update()
    ).first()
    if case is None:
        raise NotFound(N_("There is no case {code}."), code=case_code)
    if case.anonymised_at is not None:
        raise Conflict(ALREADY_ANONYMISED)
    done = _anonymise(session, case, utcnow())
    _record(
        session,
        actor=actor,
        action=audit.AuditAction.case_erased,
        case=case,
        done=done,
        extra=audit.diff({}, {"reason": reason}),
    )
    session.flush()
    session.refresh(case)
    return ErasureReport(case_code=case.case_code, done=done)
