"""Accounts: validation, sign-in matching, access requests, account changes audited."""

import time

import pytest
from pydantic import ValidationError
from sqlmodel import select

from models import (
    AuditEvent,
    OrganisationCreate,
    UserAccount,
    UserAccountCreate,
    UserAccountUpdate,
)
from models.enums import Role
from services.platform import users as user_service
from services.platform.errors import Conflict, PermissionDenied
from services.platform.settings import Settings


def settings(**values) -> Settings:
    return Settings(database_url="sqlite://", **values)


def claims(email: str, **extra) -> dict:
    """ID-token claims of a sign-in that happened just now."""
    return {
        "is_logged_in": True,
        "email": email,
        "email_verified": True,
        "iat": int(time.time()),
        **extra,
    }


def test_account_create_normalises_email_and_country():
    account = UserAccountCreate(email=" Ana.Perez@Enlace.Test ", role="officer", country="ar")
    assert account.email == "ana.perez@enlace.test"
    assert account.country == "AR"


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({"email": "not-an-email", "role": "admin"}, "email"),
        ({"email": "a@enlace.test", "role": "superuser"}, "role"),
        ({"email": "a@enlace.test", "role": "officer", "country": "ZZ"}, "country"),
        ({"email": "a@enlace.test", "role": "officer"}, "country"),
        ({"email": "a@enlace.test", "role": "admin", "preferred_language": "fr"}, "language"),
    ],
)
def test_account_create_rejects_invalid_input(values, field):
    with pytest.raises(ValidationError, match=field):
        UserAccountCreate(**values)


def test_organisation_create_validates_type_country_and_services():
    org = OrganisationCreate(
        name="Fundación María de los Ángeles",
        org_type="NGO",
        country="ar",
        services=["shelter", "legal"],
    )
    assert org.country == "AR"
    with pytest.raises(ValidationError):
        OrganisationCreate(name="X Org", org_type="Church", country="AR")
    with pytest.raises(ValidationError):
        OrganisationCreate(name="X Org", org_type="NGO", country="AR", services=["magic"])


def test_sign_in_matches_email_case_insensitively_and_audits(session, users):
    outcome = users_sign_in(session, claims("Officer.AR@Enlace.TEST"))
    assert outcome.account.id == users["officer_ar"].id
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).one()


def users_sign_in(session, token, **config):
    return user_service.sign_in(session, claims=token, settings=settings(**config))


def test_unknown_person_gets_no_account_and_one_access_request(session, users):
    for _ in range(2):
        outcome = users_sign_in(session, claims("stranger@example.org", name="Stranger"))
        assert outcome.account is None and outcome.reason == "unknown"
    requests = user_service.list_access_requests(session=session, actor=users_admin(session))
    assert [r.actor_email for r in requests] == ["stranger@example.org"]


def users_admin(session):
    return session.exec(select(UserAccount).where(UserAccount.role == Role.admin)).first()


def test_deactivation_ends_open_sessions_and_refuses_new_sign_ins(session, users):
    before = claims("officer.br@enlace.test", iat=int(time.time()) - 60)
    assert users_sign_in(session, before).reason == "ok"
    user_service.update_user(
        session=session,
        actor=users["admin"],
        account_id=users["officer_br"].id,
        user_in=UserAccountUpdate(is_active=False),
    )
    open_session = user_service.sign_in(
        session, claims=before, settings=settings(), first_run=False
    )
    assert open_session.account is None and open_session.reason == "ended"
    fresh = users_sign_in(session, claims("officer.br@enlace.test", iat=int(time.time()) + 1))
    assert fresh.account is None and fresh.reason == "inactive"


def test_a_cookie_from_before_sign_out_no_longer_signs_in(session, users):
    earlier = claims("officer.ar@enlace.test", iat=int(time.time()) - 5)
    assert users_sign_in(session, earlier).account is not None
    user_service.record_sign_out(session, actor=users["officer_ar"])
    replayed = users_sign_in(session, earlier)
    assert replayed.account is None and replayed.reason == "ended"
    again = users_sign_in(session, claims("officer.ar@enlace.test", iat=int(time.time()) + 1))
    assert again.account is not None, "a new sign-in after signing out works"


def test_admin_signs_a_person_out_everywhere_audited(session, users):
    token = claims("officer.ar@enlace.test", iat=int(time.time()) - 5)
    assert users_sign_in(session, token).account is not None
    user_service.end_sessions(
        session=session, actor=users["admin"], account_id=users["officer_ar"].id
    )
    assert users_sign_in(session, token).reason == "ended"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "sessions_ended")).one()
    assert event.actor_email == "admin@enlace.test"
    assert event.entity_id == str(users["officer_ar"].id)
    with pytest.raises(PermissionDenied):
        user_service.end_sessions(
            session=session, actor=users["coordinator"], account_id=users["admin"].id
        )


def test_sessions_older_than_the_limit_or_without_issue_time_are_refused(session, users):
    old = claims("officer.ar@enlace.test", iat=int(time.time()) - 13 * 3600)
    assert users_sign_in(session, old).reason == "expired"
    assert users_sign_in(session, old, max_session_hours=14).reason == "ok"
    no_iat = {k: v for k, v in claims("officer.ar@enlace.test").items() if k != "iat"}
    assert users_sign_in(session, no_iat).reason == "expired"
    assert users_sign_in(session, {**no_iat, "iat": "yesterday"}).reason == "expired"


def test_one_sign_in_is_audited_once_however_many_reloads_and_tabs(session, users):
    token = claims("officer.ar@enlace.test")
    for first_run in (True, False, True, True):  # reloads and new tabs reuse the cookie
        outcome = user_service.sign_in(
            session, claims=token, settings=settings(), first_run=first_run
        )
        assert outcome.account is not None
    later = claims("officer.ar@enlace.test", iat=token["iat"] + 30)
    users_sign_in(session, later)
    users_sign_in(session, token)  # the older cookie, still open in another browser
    sign_ins = session.exec(select(AuditEvent).where(AuditEvent.action == "sign_in")).all()
    assert len(sign_ins) == 2


def test_unverified_email_or_missing_claim_is_refused(session, users):
    unverified = users_sign_in(
        session, {**claims("officer.ar@enlace.test"), "email_verified": False}
    )
    assert unverified.reason == "unverified" and unverified.account is None
    assert users_sign_in(session, {"sub": "abc"}).reason == "no_email"


def test_a_missing_email_verified_claim_counts_as_unverified_unless_trusted(session, users):
    token = {k: v for k, v in claims("officer.ar@enlace.test").items() if k != "email_verified"}
    assert users_sign_in(session, token).reason == "unverified"
    assert users_sign_in(session, token, trust_provider_emails=True).reason == "ok"
    assert users_sign_in(session, {**token, "email_verified": "true"}).reason == "ok"
    assert users_sign_in(session, {**token, "email_verified": "false"}).reason == "unverified"
    trusted_but_denied = {**token, "email_verified": False}
    assert users_sign_in(session, trusted_but_denied, trust_provider_emails=True).reason == (
        "unverified"
    )


def test_identity_claim_is_configurable_for_entra_id(session, users):
    token = {"sub": "x", "preferred_username": "officer.ar@enlace.test", "iat": int(time.time())}
    outcome = users_sign_in(session, token, identity_claim="preferred_username")
    assert outcome.account.email == "officer.ar@enlace.test"


def test_bootstrap_admin_gets_an_admin_account_on_first_sign_in(session):
    outcome = users_sign_in(session, claims("first@iom.test"), bootstrap_admins=["first@iom.test"])
    assert outcome.account.role == Role.admin
    actions = session.exec(select(AuditEvent.action)).all()
    assert "account_bootstrapped" in actions


def test_account_changes_are_audited_with_old_and_new_values(session, users):
    user_service.update_user(
        session=session,
        actor=users["admin"],
        account_id=users["officer_ar"].id,
        user_in=UserAccountUpdate(role="coordinator"),
    )
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "account_updated")).one()
    assert event.changes == {"role": ["officer", "coordinator"]}
    assert event.actor_email == "admin@enlace.test"


def test_duplicate_account_is_a_conflict(session, users):
    with pytest.raises(Conflict):
        user_service.add_user(
            session=session,
            actor=users["admin"],
            user_in=UserAccountCreate(email="OFFICER.AR@enlace.test", role="manager"),
        )


def test_admin_cannot_remove_own_admin_access(session, users):
    with pytest.raises(Conflict):
        user_service.update_user(
            session=session,
            actor=users["admin"],
            account_id=users["admin"].id,
            user_in=UserAccountUpdate(is_active=False),
        )


@pytest.mark.parametrize("role", ["coordinator", "manager", "officer_ar"])
def test_only_admins_manage_accounts(session, users, role):
    with pytest.raises(PermissionDenied):
        user_service.list_users(session=session, actor=users[role])
    with pytest.raises(PermissionDenied):
        user_service.add_user(
            session=session,
            actor=users[role],
            user_in=UserAccountCreate(email="new@enlace.test", role="manager"),
        )


def test_a_roles_claim_provisions_a_first_time_user(session):
    token = claims("ines@iom.test", roles=["staff", "enlace-officer-py"])
    outcome = users_sign_in(session, token, roles_claim="roles")
    assert (outcome.account.role, outcome.account.country) == (Role.officer, "PY")
    actions = session.exec(select(AuditEvent.action)).all()
    assert "account_provisioned" in actions and "sign_in" in actions


def test_the_highest_granted_role_wins_and_bad_grants_are_ignored(session):
    token = claims("bo@iom.test", roles=["enlace-officer-zz", "enlace-manager", "enlace-x"])
    outcome = users_sign_in(session, token, roles_claim="roles")
    assert outcome.account.role == Role.manager


def test_an_existing_account_takes_precedence_over_the_roles_claim(session, users):
    token = claims("officer.ar@enlace.test", roles=["enlace-admin"])
    outcome = users_sign_in(session, token, roles_claim="roles")
    assert outcome.account.role == Role.officer


def test_without_a_roles_claim_setting_the_token_grants_nothing(session):
    outcome = users_sign_in(session, claims("x@iom.test", roles=["enlace-admin"]))
    assert outcome.account is None and outcome.reason == "unknown"


def test_a_deactivated_sign_in_is_audited_as_denied(session, users):
    user_service.update_user(
        session=session,
        actor=users["admin"],
        account_id=users["manager"].id,
        user_in=UserAccountUpdate(is_active=False),
    )
    users_sign_in(session, claims("manager@enlace.test", iat=int(time.time()) + 1))
    denied = session.exec(select(AuditEvent).where(AuditEvent.action == "access_denied")).one()
    assert denied.actor_email == "manager@enlace.test"
