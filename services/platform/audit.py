"""Append-only audit trail, written in the caller's transaction."""

from collections.abc import Iterable
from datetime import date, datetime
from enum import Enum
from typing import Any

from sqlmodel import Session, col, select

from models import AuditEvent, UserAccount

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
    action: str,
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
