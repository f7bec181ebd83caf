"""Accounts: who may sign in, with which role and country."""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from models import AuditEvent, UserAccount, UserAccountCreate, UserAccountUpdate
from models.base import utcnow
from models.enums import Role
from services import audit
from services.access import require_role
from services.errors import Conflict, NotFound
from services.settings import Settings

ACCESS_REQUESTED = "access_requested"


def system_actor() -> UserAccount:
    """The operator at the command line: acts as an admin, audited as 'cli'."""
    return UserAccount(id=None, email="cli", role=Role.admin, display_name="Command line")


@dataclass(frozen=True)
class SignIn:
    """The outcome of matching a signed-in identity to an account."""

    account: UserAccount | None
    email: str | None
    reason: str  # "ok", "no_email", "unverified", "unknown", "inactive"


def identity_email(claims: Mapping[str, Any], settings: Settings) -> tuple[str | None, str]:
    """The email of the ID-token claims, if present and (where the provider says) verified."""
    value = claims.get(settings.identity_claim)
    if not isinstance(value, str) or "@" not in value:
        return None, "no_email"
    if settings.identity_claim == "email" and claims.get("email_verified") is False:
        return value.strip().lower(), "unverified"
    return value.strip().lower(), "ok"


def sign_in(
    session: Session, *, claims: Mapping[str, Any], settings: Settings, first_run: bool = True
) -> SignIn:
    """Match the ID-token claims to an active account.

    On the first run of a browser session (`first_run`) the sign-in is audited; a person
    without an account gets one if they are a bootstrap admin (ENLACE_BOOTSTRAP_ADMINS) or
    their token grants a role (ENLACE_ROLES_CLAIM); otherwise the sign-in is recorded as an
    access request an admin can see. A deactivated account is refused (and audited). Later
    runs only look the account up again, so a deactivation takes effect at once.
    """
    email, reason = identity_email(claims, settings)
    if email is None or reason != "ok":
        return SignIn(account=None, email=email, reason=reason)
    account = find_by_email(session, email)
    if not first_run:
        if account is None or not account.is_active:
            return SignIn(
                account=None, email=email, reason="unknown" if account is None else "inactive"
            )
        return SignIn(account=account, email=email, reason="ok")
    if account is None:
        account = _provision(session, email=email, claims=claims, settings=settings)
    if account is None:
        _record_access_request(session, email=email, name=str(claims.get("name") or ""))
        session.commit()
        return SignIn(account=None, email=email, reason="unknown")
    if not account.is_active:
        audit.record(
            session,
            actor=None,
            actor_email=email,
            action="access_denied",
            entity="user_account",
            entity_id=account.id,
            changes={"reason": [None, "deactivated"]},
        )
        session.commit()
        return SignIn(account=None, email=email, reason="inactive")
    account.last_login_at = utcnow()
    audit.record(
        session, actor=account, action="sign_in", entity="user_account", entity_id=account.id
    )
    session.commit()
    session.refresh(account)
    return SignIn(account=account, email=email, reason="ok")


def role_from_claims(
    claims: Mapping[str, Any], settings: Settings
) -> tuple[Role, str | None] | None:
    """The role (and officer country) an ID-token claim grants, e.g. "enlace-officer-AR".

    The claim named by ENLACE_ROLES_CLAIM may be a string or a list (Entra ID app roles,
    Keycloak client roles, Google groups mapped by a proxy). The highest role wins.
    """
    if not settings.roles_claim:
        return None
    values = claims.get(settings.roles_claim)
    if isinstance(values, str):
        values = [values]
    if not isinstance(values, list):
        return None
    granted: list[tuple[Role, str | None]] = []
    for value in values:
        parts = str(value).strip().lower().split("-")
        if len(parts) < 2 or parts[0] != settings.roles_claim_prefix:
            continue
        if parts[1] in {"admin", "coordinator", "manager"} and len(parts) == 2:
            granted.append((Role(parts[1]), None))
        elif parts[1] == "officer" and len(parts) == 3 and len(parts[2]) == 2:
            granted.append((Role.officer, parts[2].upper()))
    order = [Role.admin, Role.coordinator, Role.manager, Role.officer]
    return min(granted, key=lambda grant: order.index(grant[0]), default=None)


def _provision(
    session: Session, *, email: str, claims: Mapping[str, Any], settings: Settings
) -> UserAccount | None:
    """An account for a first sign-in: bootstrap admins, then a role granted by the token.

    An existing account is never changed by the token: Enlace's own account row decides.
    """
    if email in settings.bootstrap_admins:
        role, country, action = Role.admin, None, "account_bootstrapped"
    else:
        grant = role_from_claims(claims, settings)
        if grant is None:
            return None
        (role, country), action = grant, "account_provisioned"
    try:
        account_in = UserAccountCreate(
            email=email, role=role, country=country, display_name=str(claims.get("name") or "")
        )
    except ValidationError:
        return None
    account = UserAccount.model_validate(account_in)
    session.add(account)
    session.flush()
    audit.record(
        session,
        actor=account,
        action=action,
        entity="user_account",
        entity_id=account.id,
        changes=audit.diff({}, account_in.model_dump(mode="json", exclude_none=True)),
    )
    return account


def _record_access_request(session: Session, *, email: str, name: str) -> None:
    already = session.exec(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == ACCESS_REQUESTED, AuditEvent.actor_email == email)
    ).one()
    if not already:
        audit.record(
            session,
            actor=None,
            actor_email=email,
            action=ACCESS_REQUESTED,
            entity="user_account",
            changes={"name": [None, name]} if name else {},
        )


def record_sign_out(session: Session, *, actor: UserAccount) -> None:
    audit.record(session, actor=actor, action="sign_out", entity="user_account", entity_id=actor.id)
    session.commit()


def record_denied(session: Session, *, actor: UserAccount | None, what: str) -> None:
    """A refused action, for the audit log (e.g. a page the role may not open)."""
    audit.record(session, actor=actor, action="access_denied", entity="page", entity_id=what)
    session.commit()


def find_by_email(session: Session, email: str) -> UserAccount | None:
    return session.exec(
        select(UserAccount).where(func.lower(UserAccount.email) == email.strip().lower())
    ).first()


def get_account(session: Session, account_id: int) -> UserAccount | None:
    return session.get(UserAccount, account_id)


def list_users(*, session: Session, actor: UserAccount) -> list[UserAccount]:
    require_role(actor, (Role.admin,))
    return list(session.exec(select(UserAccount).order_by(UserAccount.role, UserAccount.email)))


def list_access_requests(*, session: Session, actor: UserAccount) -> list[AuditEvent]:
    """Sign-ins by people without an active account, newest first, not yet granted."""
    require_role(actor, (Role.admin,))
    granted = select(UserAccount.email).where(UserAccount.is_active)
    return list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.action == ACCESS_REQUESTED)
            .where(AuditEvent.actor_email.not_in(granted))  # type: ignore[attr-defined]
            .order_by(AuditEvent.created_at.desc())  # type: ignore[attr-defined]
        )
    )


def add_user(*, session: Session, actor: UserAccount, user_in: UserAccountCreate) -> UserAccount:
    require_role(actor, (Role.admin,))
    if find_by_email(session, user_in.email):
        raise Conflict(f"an account for {user_in.email} already exists")
    account = UserAccount.model_validate(user_in)
    session.add(account)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(f"an account for {user_in.email} already exists") from None
    audit.record(
        session,
        actor=actor,
        action="account_created",
        entity="user_account",
        entity_id=account.id,
        changes=audit.diff({}, user_in.model_dump(mode="json", exclude_none=True)),
    )
    session.commit()
    session.refresh(account)
    return account


def update_user(
    *, session: Session, actor: UserAccount, account_id: int, user_in: UserAccountUpdate
) -> UserAccount:
    require_role(actor, (Role.admin,))
    account = session.get(UserAccount, account_id)
    if account is None:
        raise NotFound(f"no account with id {account_id}")
    data = user_in.model_dump(mode="json", exclude_unset=True)
    before = {field: getattr(account, field) for field in data}
    role = data.get("role", account.role)
    country = data["country"] if "country" in data else account.country
    if role == Role.officer and not country:
        raise Conflict("an officer must have a country")
    if account.id == actor.id and (data.get("is_active") is False or role != Role.admin):
        raise Conflict("you cannot remove your own administrator access")
    account.sqlmodel_update(data)
    session.add(account)
    audit.record(
        session,
        actor=actor,
        action="account_updated",
        entity="user_account",
        entity_id=account.id,
        changes=audit.diff(before, data),
    )
    session.commit()
    session.refresh(account)
    return account
