"""Access requests granted or dismissed in place: no retyped e-mail, audited, refused the
second time (two tabs), and the person signs in right after."""

import time

import pytest
from sqlmodel import select

from models import AuditEvent, Organisation, UserAccount
from models.enums import OrgType, Role
from services.platform import access_requests, users
from services.platform.errors import Conflict, NotFound, PermissionDenied
from services.platform.settings import Settings

ASKER = "ines.benitez@mre.test"


def sign_in(session, email: str = ASKER) -> users.SignIn:
    claims = {"email": email, "email_verified": True, "name": "Inés Benítez"}
    outcome = users.sign_in(
        session,
        claims={**claims, "iat": int(time.time())},
        settings=Settings(database_url="sqlite://"),
    )
    session.commit()
    return outcome


@pytest.fixture
def request_id(session, users) -> int:
    assert sign_in(session).reason == "unknown"
    (pending,) = access_requests.pending_requests(session=session, actor=users["admin"])
    assert pending.actor_email == ASKER
    assert access_requests.requested_name(pending) == "Inés Benítez"
    return pending.id


def grant(session, actor, request_id: int, **choices):
    account = access_requests.grant_access(
        session=session, actor=actor, request_id=request_id, **choices
    )
    session.commit()
    return account


def test_a_granted_request_becomes_an_account_that_signs_in(session, users, request_id):
    account = grant(session, users["admin"], request_id, role="officer", country="PY")
    assert (account.email, account.role, account.country) == (ASKER, Role.officer, "PY")
    assert account.display_name == "Inés Benítez"
    assert access_requests.pending_requests(session=session, actor=users["admin"]) == []
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.actor_id == users["admin"].id)
    ).all()
    assert set(actions) >= {"account_created", "access_granted"}
    assert sign_in(session).reason == "ok"


def test_a_second_grant_is_refused_in_plain_words(session, users, request_id):
    grant(session, users["admin"], request_id, role="coordinator")
    with pytest.raises(Conflict) as refused:
        grant(session, users["admin"], request_id, role="admin")
    assert ASKER in str(refused.value) and "already has an account" in str(refused.value)
    account = users_by_email(session)
    assert account.role == Role.coordinator, "the first grant stands"


def users_by_email(session) -> UserAccount:
    session.expire_all()
    return session.exec(select(UserAccount).where(UserAccount.email == ASKER)).one()


def test_an_officer_needs_a_country_and_nothing_is_created(session, users, request_id):
    with pytest.raises(Conflict, match="must have a country"):
        grant(session, users["admin"], request_id, role="officer")
    session.rollback()
    assert len(access_requests.pending_requests(session=session, actor=users["admin"])) == 1


def test_the_organisation_is_passed_through_and_must_exist(session, users, request_id):
    ngo = Organisation(name="Luna Nueva", org_type=OrgType.NGO, country="PY")
    session.add(ngo)
    session.commit()
    with pytest.raises(NotFound):
        grant(session, users["admin"], request_id, role="coordinator", organisation_id=ngo.id + 1)
    session.rollback()
    account = grant(session, users["admin"], request_id, role="coordinator", organisation_id=ngo.id)
    assert account.organisation_id == ngo.id


def test_a_dismissed_request_leaves_the_list_and_cannot_be_granted(session, users, request_id):
    access_requests.dismiss_request(session=session, actor=users["admin"], request_id=request_id)
    session.commit()
    assert access_requests.pending_requests(session=session, actor=users["admin"]) == []
    with pytest.raises(NotFound):
        grant(session, users["admin"], request_id, role="coordinator")
    with pytest.raises(NotFound):
        access_requests.dismiss_request(
            session=session, actor=users["admin"], request_id=request_id
        )
    dismissed = session.exec(
        select(AuditEvent).where(AuditEvent.action == "access_request_dismissed")
    ).one()
    assert dismissed.entity_id == str(request_id)


def test_only_an_admin_grants(session, users, request_id):
    for role in ("coordinator", "manager", "officer_ar"):
        with pytest.raises(PermissionDenied):
            grant(session, users[role], request_id, role="admin")
        with pytest.raises(PermissionDenied):
            access_requests.pending_requests(session=session, actor=users[role])


def test_a_request_id_that_is_not_a_request_is_refused(session, users, request_id):
    other = session.exec(select(AuditEvent).where(AuditEvent.id != request_id)).first()
    other_id = other.id if other else request_id + 100
    with pytest.raises(NotFound):
        grant(session, users["admin"], other_id, role="coordinator")
