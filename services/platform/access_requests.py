"""Access requests: people who signed in without an account, granted or dismissed in place.

A request is the `access_requested` audit row that `users.sign_in` wrote; granting it creates
the account from the request's e-mail (nobody retypes it), dismissing it writes an
`access_request_dismissed` row that names it. Both are audited in the caller's transaction.
"""

import sqlalchemy as sa
from sqlalchemy.orm import aliased
from sqlmodel import Session, col, select

from models import AuditEvent, Organisation, UserAccount, UserAccountCreate
from models.enums import Language, Role
from services.platform import audit, users
from services.platform.access import require_role
from services.platform.errors import Conflict, NotFound
from services.platform.i18n import N_

GONE = N_("This access request is no longer pending.")
ALREADY_GRANTED = N_(
    "{email} already has an account: access was granted before (perhaps in another tab). "
    "Change it under Users & roles."
)


def requested_name(request: AuditEvent) -> str:
    """The name the person's sign-in provider gave with the request ("" if none)."""
    return str((request.changes.get("name") or [None, ""])[1] or "")


def _dismissed(request_id: int | None = None) -> sa.Select:
    """The ids (as text) of dismissed requests; with `request_id`, only that one's."""
    dismissal = aliased(AuditEvent)
    query = select(dismissal.entity_id).where(
        dismissal.action == audit.AuditAction.access_request_dismissed,
        dismissal.entity == "audit_event",
    )
    return query if request_id is None else query.where(dismissal.entity_id == str(request_id))


def pending_requests(*, session: Session, actor: UserAccount) -> list[AuditEvent]:
    """Requests by people without an account, not dismissed, newest first (admins only)."""
    require_role(actor, (Role.admin,))
    accounts = select(sa.func.lower(UserAccount.email))
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == audit.AuditAction.access_requested)
            .where(sa.func.lower(AuditEvent.actor_email).not_in(accounts))
            .where(sa.cast(col(AuditEvent.id), sa.String).not_in(_dismissed()))
            .order_by(col(AuditEvent.created_at).desc())
        )
    )


def _pending(session: Session, request_id: int) -> AuditEvent:
    """The request, or the plain reason it can no longer be acted on."""
    row = session.get(AuditEvent, request_id)
    if row is None or row.action != audit.AuditAction.access_requested:
        raise NotFound(GONE)
    if users.find_by_email(session, row.actor_email) is not None:
        raise Conflict(ALREADY_GRANTED, email=row.actor_email)
    if session.execute(_dismissed(request_id)).first() is not None:
        raise NotFound(GONE)
    return row


def grant_access(
    *,
    session: Session,
    actor: UserAccount,
    request_id: int,
    role: str,
    country: str | None = None,
    organisation_id: int | None = None,
    display_name: str = "",
    language: str = Language.en,
) -> UserAccount:
    """An account for the person who asked, with the role (and the country or organisation)
    the admin chose; they can sign in at once. A second grant (another tab) is refused."""
    require_role(actor, (Role.admin,))
    request = _pending(session, request_id)
    if role == Role.officer and not country:
        raise Conflict(N_("An officer must have a country."))
    if organisation_id is not None and session.get(Organisation, organisation_id) is None:
        raise NotFound(N_("This organisation does not exist (any more)."))
    account_in = UserAccountCreate(
        email=request.actor_email,
        display_name=display_name.strip() or requested_name(request),
        role=Role(role),
        country=country or None,
        organisation_id=organisation_id,
        preferred_language=Language(language),
    )
    account = users.add_user(session=session, actor=actor, user_in=account_in)
    granted = {"role": [None, str(account.role)]}
    audit.record_row(session, actor, audit.AuditAction.access_granted, account, granted)
    session.flush()
    return account


def dismiss_request(*, session: Session, actor: UserAccount, request_id: int) -> AuditEvent:
    """Take a request off the list without an account (audited); the person can still be
    added by hand."""
    require_role(actor, (Role.admin,))
    request = _pending(session, request_id)
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.access_request_dismissed,
        entity="audit_event",
        entity_id=request.id,
        changes={"email": [None, request.actor_email]},
    )
    session.flush()
    return request
