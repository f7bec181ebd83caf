"""Append-only audit trail, written in the caller's transaction."""

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum, StrEnum
from typing import Any

from sqlmodel import Session, col, select

from models import AuditEvent, UserAccount
from services.platform.i18n import N_, _


class AuditAction(StrEnum):
    """Every kind of audit event: the stored value, and a label for the admin's audit log."""

    sign_in = "sign_in"
    sign_out = "sign_out"
    sessions_ended = "sessions_ended"
    access_requested = "access_requested"
    access_denied = "access_denied"
    account_created = "account_created"
    account_updated = "account_updated"
    account_bootstrapped = "account_bootstrapped"
    account_provisioned = "account_provisioned"
    organisation_created = "organisation_created"
    organisation_updated = "organisation_updated"
    course_created = "course_created"
    course_updated = "course_updated"
    course_archived = "course_archived"
    course_restored = "course_restored"
    module_created = "module_created"
    module_updated = "module_updated"
    participant_created = "participant_created"
    participant_updated = "participant_updated"
    enrollment_created = "enrollment_created"
    enrollment_updated = "enrollment_updated"
    enrollment_status_changed = "enrollment_status_changed"
    progress_updated = "progress_updated"
    import_applied = "import_applied"
    case_created = "case_created"
    case_read = "case_read"
    case_assessment_updated = "case_assessment_updated"
    case_assigned = "case_assigned"
    case_stage_moved = "case_stage_moved"
    case_note_added = "case_note_added"
    case_referral_sent = "case_referral_sent"
    case_referral_answered = "case_referral_answered"
    case_consent_overridden = "case_consent_overridden"
    case_return_recorded = "case_return_recorded"
    case_export = "case_export"
    case_erased = "case_erased"
    case_anonymised = "case_anonymised"
    retention_applied = "retention_applied"
    export = "export"
    seed_demo = "seed_demo"
    reminder_sent = "reminder_sent"
    access_granted = "access_granted"
    access_request_dismissed = "access_request_dismissed"
    audit_log_exported = "audit_log_exported"
    case_transfer_requested = "case_transfer_requested"
    case_transfer_answered = "case_transfer_answered"

    @property
    def label(self) -> str:
        """The action in words (mark, translate with _())."""
        return ACTION_LABELS[self]


def action_label(action: str) -> str:
    """A stored action in the reader's language (an unknown one as stored)."""
    try:
        return _(AuditAction(action).label)
    except ValueError:
        return action


ACTION_LABELS: dict[AuditAction, str] = {
    AuditAction.sign_in: N_("Signed in"),
    AuditAction.sign_out: N_("Signed out"),
    AuditAction.sessions_ended: N_("Signed out everywhere by an administrator"),
    AuditAction.access_requested: N_("Access requested"),
    AuditAction.access_denied: N_("Access refused"),
    AuditAction.account_created: N_("Account created"),
    AuditAction.account_updated: N_("Account changed"),
    AuditAction.account_bootstrapped: N_("First administrator account created"),
    AuditAction.account_provisioned: N_("Account created from the sign-in provider's roles"),
    AuditAction.organisation_created: N_("Organisation added"),
    AuditAction.organisation_updated: N_("Organisation changed"),
    AuditAction.course_created: N_("Course created"),
    AuditAction.course_updated: N_("Course changed"),
    AuditAction.course_archived: N_("Course archived"),
    AuditAction.course_restored: N_("Course restored"),
    AuditAction.module_created: N_("Module added"),
    AuditAction.module_updated: N_("Module changed"),
    AuditAction.participant_created: N_("Participant added"),
    AuditAction.participant_updated: N_("Participant changed"),
    AuditAction.enrollment_created: N_("Enrollment added"),
    AuditAction.enrollment_updated: N_("Enrollment changed"),
    AuditAction.enrollment_status_changed: N_("Enrollment status changed"),
    AuditAction.progress_updated: N_("Module progress changed"),
    AuditAction.import_applied: N_("File imported"),
    AuditAction.case_created: N_("Case created"),
    AuditAction.case_read: N_("Case details read"),
    AuditAction.case_assessment_updated: N_("Case assessment changed"),
    AuditAction.case_assigned: N_("Case assigned"),
    AuditAction.case_stage_moved: N_("Case moved to another stage"),
    AuditAction.case_note_added: N_("Note added to a case"),
    AuditAction.case_referral_sent: N_("Referral sent"),
    AuditAction.case_referral_answered: N_("Referral answered"),
    AuditAction.case_consent_overridden: N_("Referral sent without consent (override)"),
    AuditAction.case_return_recorded: N_("Return recorded"),
    AuditAction.case_export: N_("Case list exported"),
    AuditAction.case_erased: N_("Case data erased on request"),
    AuditAction.case_anonymised: N_("Case anonymised (retention)"),
    AuditAction.retention_applied: N_("Retention applied"),
    AuditAction.export: N_("Data exported"),
    AuditAction.seed_demo: N_("Demo data added"),
    AuditAction.reminder_sent: N_("E-mail reminder sent"),
    AuditAction.access_granted: N_("Access request granted"),
    AuditAction.access_request_dismissed: N_("Access request dismissed"),
    AuditAction.audit_log_exported: N_("Audit log exported"),
    AuditAction.case_transfer_requested: N_("Transfer of a case requested"),
    AuditAction.case_transfer_answered: N_("Transfer of a case answered"),
}

# Values of these fields never reach the audit log in clear: every free-text field of a case,
# its referrals and its timeline (the log says that one changed, never its text).
SENSITIVE_FIELDS = frozenset(
    {
        "person_alias",
        "consular_post",
        "identified_place",
        "primary_language",
        "note",
        "consent_override_reason",
        "closure_reason",
        "return_counterpart",
        "return_reception",
        "decline_reason",
        "counterpart",
        "reason",
    }
)
MASK = "•••"


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for the fields that changed, sensitive ones masked."""
    changes: dict[str, list[Any]] = {}
    for field, new in after.items():
        old = before.get(field)
        if old != new:
            changes[field] = (
                [MASK, MASK] if field in SENSITIVE_FIELDS else [_plain(old), _plain(new)]
            )
    return changes


def _plain(value: Any) -> Any:
    """A value as the audit log stores it: codes as their value, dates as ISO text."""
    if isinstance(value, Enum):
        return value.value
    if value is None or isinstance(value, bool | int | float | str | list | dict):
        return value
    return value.isoformat() if isinstance(value, date | datetime) else str(value)


def record(
    session: Session,
    *,
    actor: UserAccount | None,
    action: AuditAction,
    entity: str,
    entity_id: object = "",
    changes: dict[str, Any] | None = None,
    actor_email: str | None = None,
) -> AuditEvent:
    event = AuditEvent(
        actor_id=actor.id if actor else None,
        actor_email=actor.email if actor else (actor_email or ""),
        action=action,
        entity=entity,
        entity_id=str(entity_id or ""),
        changes=changes or {},
    )
    session.add(event)
    return event


def record_row(
    session: Session,
    actor: UserAccount,
    action: AuditAction,
    row: Any,
    changes: dict[str, Any],
    source: str | None = None,
) -> AuditEvent:
    """`action` on one row of a table (the entity is the table's name), with the fields it
    changed; `source` says where the values came from (an imported file)."""
    if source:
        changes = {**changes, "source": [None, source]}
    return record(
        session,
        actor=actor,
        action=action,
        entity=row.__tablename__,
        entity_id=row.id,
        changes=changes,
    )


def mask_recorded_values(
    session: Session, *, entity: str, entity_ids: Iterable[object], fields: Iterable[str]
) -> int:
    """Mask `fields`' values in the rows already recorded about these records; the number of
    rows changed.

    The one exception to an append-only log: when a case's personal data is removed
    (services/cases/retention.py), values the log recorded before, such as exact dates, go too.
    Who did what, and when, stays.
    """
    names, ids = frozenset(fields), [str(entity_id) for entity_id in entity_ids]
    if not ids:
        return 0
    statement = select(AuditEvent).where(
        col(AuditEvent.entity) == entity, col(AuditEvent.entity_id).in_(ids)
    )
    changed = 0
    for event in session.exec(statement):
        masked = {
            field: (_masked(value) if field in names else value)
            for field, value in (event.changes or {}).items()
        }
        if masked != event.changes:
            event.changes = masked  # a new dict: the JSON column sees the change
            session.add(event)
            changed += 1
    return changed


def _masked(value: Any) -> Any:
    return (
        [MASK if item is not None else None for item in value] if isinstance(value, list) else MASK
    )


def list_events(
    *,
    session: Session,
    actor: UserAccount,
    action: str | None = None,
    limit: int = 100,
    offset: int = 0,
) -> list[AuditEvent]:
    """The audit log, newest first (admins only). Sensitive values are stored masked."""
    from models.enums import Role
    from services.platform.access import require_role

    require_role(actor, (Role.admin,))
    query = select(AuditEvent).order_by(AuditEvent.id.desc())  # type: ignore[union-attr]
    if action:
        query = query.where(AuditEvent.action == action)
    return list(session.exec(query.offset(offset).limit(limit)))
