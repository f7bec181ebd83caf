"""Partner organisations answer the referrals addressed to them, and see nothing else."""

import pytest
from sqlmodel import col, select

from models import (
    AuditEvent,
    Case,
    CaseEvent,
    Organisation,
    Referral,
    ReferralUpdate,
    UserAccount,
    UserAccountCreate,
    UserAccountUpdate,
)
from models.enums import CaseEventKind, OrgType, ReferralState, Role
from services.cases import board, partner
from services.cases import records as cases
from services.cases.outcomes import referral_outcome
from services.platform import users as accounts
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from tests.support import PARTNER


def _answer(session, actor, referral_id, state, expected, reason=None):
    answered = partner.answer_partner_referral(
        session=session,
        actor=actor,
        referral_id=referral_id,
        answer=ReferralUpdate(state=state, decline_reason=reason),
        expected_state=expected,
    )
    session.commit()
    return answered


def test_a_partner_sees_only_its_organisations_referrals_and_no_alias(session, partners, referred):
    to_py, to_br = referred
    lines = partner.list_partner_referrals(session=session, actor=partners.ngo_py)
    assert [line.id for line in lines] == [to_py.id]
    assert "K.L." not in repr(lines[0])
    assert lines[0].service == "shelter" and lines[0].state == "pending"
    assert lines[0].answers == ["accepted", "declined"]
    others = partner.list_partner_referrals(session=session, actor=partners.ngo_br)
    assert [line.id for line in others] == [to_br.id]


def test_a_partner_forging_another_organisations_referral_is_refused(session, partners, referred):
    _to_py, to_br = referred
    with pytest.raises(NotFound):
        _answer(session, partners.ngo_py, to_br.id, ReferralState.accepted, "pending")
    assert session.get(type(to_br), to_br.id).state == ReferralState.pending


def test_accepting_names_the_outcome_on_the_timeline_and_is_audited(
    session, users, partners, referred
):
    to_py, _to_br = referred
    version = session.get(Case, to_py.case_id).version
    answered = _answer(session, partners.ngo_py, to_py.id, ReferralState.accepted, "pending")
    assert answered.state == "accepted" and answered.answered_on is not None
    case = session.get(Case, to_py.case_id)
    session.refresh(case)
    assert case.version == version + 1
    event = session.exec(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.referral_answered
        )
    ).one()
    assert (
        referral_outcome(event.details, event.note) == "Referral to Casa Refugio (Shelter) accepted"
    )
    audited = session.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "case_referral", AuditEvent.entity_id == str(to_py.id)
        )
    ).all()
    assert [row.action for row in audited][-1] == "case_referral_answered"
    # The officer who filed the case reads the outcome on its timeline.
    detail = board.get_case(session=session, actor=users["officer_ar"], case_code=case.case_code)
    assert any(entry.details.get("to") == "accepted" for entry in detail.events)


def test_declining_needs_and_shows_the_reason(session, partners, referred):
    to_py, _to_br = referred
    with pytest.raises(ValueError, match="needs the reason"):
        ReferralUpdate(state=ReferralState.declined, decline_reason="")
    _answer(session, partners.ngo_py, to_py.id, ReferralState.declined, "pending", "No beds")
    event = session.exec(
        select(CaseEvent).where(CaseEvent.kind == CaseEventKind.referral_answered)
    ).one()
    assert referral_outcome(event.details, event.note).endswith("declined: No beds")


def test_a_double_submit_answers_once(session, partners, referred):
    to_py, _to_br = referred
    _answer(session, partners.ngo_py, to_py.id, ReferralState.accepted, "pending")
    with pytest.raises(StaleVersion):
        _answer(session, partners.ngo_py, to_py.id, ReferralState.accepted, "pending")
    events = session.exec(
        select(CaseEvent).where(CaseEvent.kind == CaseEventKind.referral_answered)
    ).all()
    assert len(events) == 1


def test_complete_after_accept_but_never_withdraw_or_skip(session, partners, referred):
    to_py, _to_br = referred
    with pytest.raises(Conflict):
        _answer(session, partners.ngo_py, to_py.id, ReferralState.completed, "pending")
    with pytest.raises(Conflict):
        _answer(session, partners.ngo_py, to_py.id, ReferralState.withdrawn, "pending")
    _answer(session, partners.ngo_py, to_py.id, ReferralState.accepted, "pending")
    done = _answer(session, partners.ngo_py, to_py.id, ReferralState.completed, "accepted")
    assert done.state == "completed" and done.answers == []


def test_a_decline_reason_with_personal_data_is_refused(session, partners, referred):
    to_py, _to_br = referred
    with pytest.raises(Conflict):
        _answer(
            session,
            partners.ngo_py,
            to_py.id,
            ReferralState.declined,
            "pending",
            "Call her at +54 11 5555-1234",
        )
    assert session.get(type(to_py), to_py.id).state == ReferralState.pending


def test_a_partner_reaches_no_case_and_other_roles_no_partner_list(session, users, partners):
    with pytest.raises(PermissionDenied):
        board.get_case(session=session, actor=partners.ngo_py, case_code="AR-2026-0001")
    with pytest.raises(PermissionDenied):
        partner.list_partner_referrals(session=session, actor=users["officer_ar"])


def test_a_partner_without_an_organisation_is_refused(session, users, make_user):
    with pytest.raises(ValueError, match="must belong to an organisation"):
        UserAccountCreate(email="ngo@x.test", role=Role.partner)
    loose = make_user("loose@x.test", Role.partner)
    with pytest.raises(PermissionDenied):
        partner.list_partner_referrals(session=session, actor=loose)
    with pytest.raises(Conflict, match="must belong to an organisation"):
        accounts.update_user(
            session=session,
            actor=users["admin"],
            account_id=users["manager"].id,
            user_in=UserAccountUpdate(role=Role.partner),
        )


def _officer_answers(session, officer, referral, state="accepted"):
    case = session.get(Case, referral.case_id)
    session.refresh(case)
    return cases.answer_referral(
        session=session,
        actor=officer,
        case_code=case.case_code,
        referral_id=referral.id,
        answer=ReferralUpdate(state=state),
        expected_version=case.version,
    )


def test_the_receiving_officer_leaves_the_answer_to_an_organisation_with_accounts(
    session, users, referred
):
    _to_py, to_br = referred
    with pytest.raises(Conflict, match="answers its referrals itself"):
        _officer_answers(session, users["officer_br"], to_br)


def test_the_receiving_officer_answers_only_for_their_own_countrys_organisations(
    session, users, partners, referred
):
    _to_py, to_br = referred
    session.add(partners.ngo_br)
    partners.ngo_br.is_active = False  # the Brazilian service has no account any more
    session.commit()
    home = Organisation(name="Refugio AR", org_type=OrgType.NGO, country="AR", services=["legal"])
    session.add(home)
    session.commit()
    case = session.get(Case, to_br.case_id)
    at_home = partners.refer(case, home)
    with pytest.raises(PermissionDenied):
        _officer_answers(session, users["officer_br"], at_home)
    answered = _officer_answers(session, users["officer_br"], to_br)
    assert answered.state == ReferralState.accepted


def test_the_demo_partner_sees_its_organisations_answered_and_pending_referrals(demo_db):
    ngo = demo_db.exec(select(UserAccount).where(UserAccount.email == PARTNER)).one()
    lines = partner.list_partner_referrals(session=demo_db, actor=ngo)
    assert {"pending", "accepted", "completed"} <= {line.state for line in lines}
    organisations = demo_db.exec(
        select(Referral.organisation_id).where(col(Referral.id).in_([x.id for x in lines]))
    ).all()
    assert set(organisations) == {ngo.organisation_id}
