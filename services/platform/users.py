"""Accounts: who may sign in, with which role and country."""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from pydantic import ValidationError
from sqlalchemy import func
from sqlmodel import Session, select

from models import AuditEvent, UserAccount, UserAccountCreate, UserAccountUpdate
from models.base import utcnow
from models.enums import Role
from services.platform import audit
from services.platform.access import require_role
from services.platform.errors import Conflict
from services.platform.i18n import N_
from services.platform.rows import existing_row, flush_or_conflict, update_audited
from services.platform.settings import Settings

ACCESS_REQUESTED = audit.AuditAction.access_requested
NO_ACCOUNT = N_("This account does not exist (any more).")


def system_actor() -> UserAccount:
    """The operator at the command line: acts as an admin, audited as 'cli'."""
    return UserAccount(id=None, email="cli", role=Role.admin, display_name="Command line")


@dataclass(frozen=True)
class SignIn:
    """The outcome of matching a signed-in identity to an account."""

    account: UserAccount | None
    email: str | None
    # "ok", "no_email", "unverified", "unknown", "inactive"; "expired" (older than
    # ENLACE_MAX_SESSION_HOURS, or no issue time) and "ended" (signed out since) mean the
    # identity cookie no longer signs anybody in.
    reason: str


def identity_email(claims: Mapping[str, Any], settings: Settings) -> tuple[str | None, str]:
    """The email of the ID-token claims, if present and verified.

    A missing `email_verified` counts as unverified unless the deployment trusts its
    provider's addresses (ENLACE_TRUST_PROVIDER_EMAILS) or names another identity claim.
    """
    value = claims.get(settings.identity_claim)
    if not isinstance(value, str) or "@" not in value:
        return None, "no_email"
    email = value.strip().lower()
    if settings.identity_claim != "email":
        return email, "ok"
    verified = claims.get("email_verified")
    if verified is True or (isinstance(verified, str) and verified.lower() == "true"):
        return email, "ok"
    if verified is None and settings.trust_provider_emails:
        return email, "ok"
    return email, "unverified"


def issued_at(claims: Mapping[str, Any]) -> datetime | None:
    """When the provider issued the ID token behind this identity (its `iat` claim)."""
    value = claims.get("iat")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        return datetime.fromtimestamp(value, UTC)
    except (OverflowError, OSError, ValueError):
        return None


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def sign_in(
    session: Session,
    *,
    claims: Mapping[str, Any],
    settings: Settings,
    first_run: bool = True,
    now: datetime | None = None,
) -> SignIn:
    """Match the ID-token claims to an active account, on every run of the app.

    The identity is refused when its token is older than ENLACE_MAX_SESSION_HOURS or was
    issued before the account's sessions were ended (sign-out, "sign out everywhere",
    deactivation). A new sign-in (a token newer than the last one seen) is audited once,
    however many reloads and tabs use it. On the first run of a browser session
    (`first_run`) a person without an account gets one if they are a bootstrap admin
    (ENLACE_BOOTSTRAP_ADMINS) or their token grants a role (ENLACE_ROLES_CLAIM); otherwise
    the sign-in is recorded as an access request an admin can see.
    """
    email, reason = identity_email(claims, settings)
    if email is None or reason != "ok":
        return SignIn(account=None, email=email, reason=reason)
    now = now or utcnow()
    issued = issued_at(claims)
    if issued is None or now - issued > timedelta(hours=settings.max_session_hours):
        return SignIn(account=None, email=email, reason="expired")
    account = find_by_email(session, email)
    if account is not None and account.sessions_valid_after is not None:
        if issued <= _aware(account.sessions_valid_after):
            return SignIn(account=None, email=email, reason="ended")
    if account is None and first_run:
        account = _provision(session, email=email, claims=claims, settings=settings)
    if account is None:
        if first_run:
            _record_access_request(session, email=email, name=str(claims.get("name") or ""))
            session.flush()
        return SignIn(account=None, email=email, reason="unknown")
    if not account.is_active:
        if first_run:
            audit.record(
                session,
                actor=None,
                actor_email=email,
                action=audit.AuditAction.access_denied,
                entity="user_account",
                entity_id=account.id,
                changes={"reason": [None, "deactivated"]},
            )
            session.flush()
        return SignIn(account=None, email=email, reason="inactive")
    if account.last_login_at is None or issued > _aware(account.last_login_at):
        account.last_login_at = issued
        audit.record_row(session, account, audit.AuditAction.sign_in, account, {})
        session.flush()
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
        role, country, action = Role.admin, None, audit.AuditAction.account_bootstrapped
    else:
        grant = role_from_claims(claims, settings)
        if grant is None:
            return None
        (role, country), action = grant, audit.AuditAction.account_provisioned
    try:
        account_in = UserAccountCreate(
            email=email, role=role, country=country, display_name=str(claims.get("name") or "")
        )
    except ValidationError:
        return None
    account = UserAccount.model_validate(account_in)
    session.add(account)
    session.flush()
    created = account_in.model_dump(mode="json", exclude_none=True)
    audit.record_row(session, account, action, account, audit.diff({}, created))
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
    """Sign-out: every identity cookie issued to this person until now stops working."""
    _end_sessions_of(session, account=actor, actor=actor, action=audit.AuditAction.sign_out)


def end_sessions(*, session: Session, actor: UserAccount, account_id: int) -> UserAccount:
    """Sign a person out everywhere: at their next click every browser is signed out."""
    require_role(actor, (Role.admin,))
    account = existing_row(session, UserAccount, account_id, NO_ACCOUNT)
    _end_sessions_of(session, account=account, actor=actor, action=audit.AuditAction.sessions_ended)
    session.refresh(account)
    return account


def _end_sessions_of(
    session: Session, *, account: UserAccount, actor: UserAccount, action: audit.AuditAction
) -> None:
    """Every identity cookie issued to `account` until now stops working (audited)."""
    account.sessions_valid_after = utcnow()
    session.add(account)
    audit.record(session, actor=actor, action=action, entity="user_account", entity_id=account.id)
    session.flush()


def record_denied(session: Session, *, actor: UserAccount | None, what: str) -> None:
    """A refused action, for the audit log (e.g. a page the role may not open)."""
    audit.record(
        session, actor=actor, action=audit.AuditAction.access_denied, entity="page", entity_id=what
    )
    session.flush()


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
    taken = Conflict(N_("An account for {email} already exists."), email=user_in.email)
    if find_by_email(session, user_in.email):
        raise taken
    account = UserAccount.model_validate(user_in)
    session.add(account)
    flush_or_conflict(session, taken)
    created = user_in.model_dump(mode="json", exclude_none=True)
    audit.record_row(
        session, actor, audit.AuditAction.account_created, account, audit.diff({}, created)
    )
    session.flush()
    session.refresh(account)
    return account


def update_user(
    *, session: Session, actor: UserAccount, account_id: int, user_in: UserAccountUpdate
) -> UserAccount:
    require_role(actor, (Role.admin,))
    account = existing_row(session, UserAccount, account_id, NO_ACCOUNT)
    data = user_in.model_dump(mode="json", exclude_unset=True)
    role = data.get("role", account.role)
    country = data["country"] if "country" in data else account.country
    if role == Role.officer and not country:
        raise Conflict(N_("An officer must have a country."))
    organisation = data["organisation_id"] if "organisation_id" in data else account.organisation_id
    if role == Role.partner and not organisation:
        raise Conflict(N_("A partner account must belong to an organisation."))
    if account.id == actor.id and (data.get("is_active") is False or role != Role.admin):
        raise Conflict(N_("You cannot remove your own administrator access."))
    if data.get("is_active") is False and account.is_active:
        # A deactivated person is signed out at their next click, in every browser.
        account.sessions_valid_after = utcnow()
    update_audited(
        session,
        account,
        data,
        actor=actor,
        action=audit.AuditAction.account_updated,
        also_unchanged=True,
    )
    session.flush()
    session.refresh(account)
    return account


def set_own_preferences(
    *, session: Session, actor: UserAccount, preferences: UserAccountUpdate
) -> UserAccount:
    """The signed-in person's own language or time zone (the sidebar's choices), kept on their
    account so that it wins over the browser's language at the next visit.

    Only `preferred_language` and `time_zone` are taken (a set `time_zone` of None: the
    country's zone). Not audited: a display preference of one's own account grants nothing and
    shows nothing, and a row per click would bury the changes the audit log is for.
    """
    if actor.id is None:
        raise Conflict(N_("The command line has no account to keep preferences on."))
    account = existing_row(session, UserAccount, actor.id, NO_ACCOUNT)
    data = preferences.model_dump(exclude_unset=True)
    if data.get("preferred_language") is not None:
        account.preferred_language = data["preferred_language"]
    if "time_zone" in data:
        account.time_zone = data["time_zone"]
    session.add(account)
    session.flush()
    session.refresh(account)
    return account
