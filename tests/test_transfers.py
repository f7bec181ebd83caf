"""Transfers of responsibility: the home side asks, the receiving country's officer answers."""

from datetime import date

import pytest
from sqlmodel import Session, select

from models import AuditEvent, Case, CaseEvent, CaseTransfer, UserAccount
from models.enums import CaseEventKind, Role, TransferState
from services.cases import board, presentation, transfers
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion

SHARING = {
    "consent_given": True,
    "consent_date": date(2026, 3, 2),
    "consent_scope": ["service_providers"],
}


@pytest.fixture
def officer_py(make_user):
    return make_user("officer.py@enlace.test", Role.officer, "PY")


def _fresh(session: Session, case: Case) -> Case:
    session.commit()
    session.refresh(case)
    return case


def _request(session, actor, case, country="PY"):
    case = _fresh(session, case)
    common = {"session": session, "actor": actor, "case_code": case.case_code}
    note = "She moved to Asunción."
    transfer = transfers.request_transfer(
        **common, to_country=country, note=note, expected_version=case.version
    )
    session.commit()
    return transfer


def _answer(session, actor, case, transfer, accept=True, reason=""):
    case = _fresh(session, case)
    common = {"session": session, "actor": actor, "case_code": case.case_code}
    answer = {"transfer_id": transfer.id, "accept": accept, "reason": reason}
    answered = transfers.answer_transfer(**common, **answer, expected_version=case.version)
    session.commit()
    return answered


def test_an_accepted_transfer_hands_the_case_to_the_receiving_country(
    session, users, officer_py, open_case
):
    case = open_case(users["officer_ar"], **SHARING)
    with pytest.raises(NotFound):
        board.get_case(session=session, actor=officer_py, case_code=case.case_code)
    transfer = _request(session, users["officer_ar"], case)
    # Offered, the receiving officer can read the case to decide.
    board.get_case(session=session, actor=officer_py, case_code=case.case_code)
    answered = _answer(session, officer_py, case, transfer)
    assert answered.state == TransferState.accepted
    with pytest.raises(StaleVersion):  # a second click answers nothing
        _answer(session, officer_py, case, transfer, accept=False, reason="Twice")
    case = _fresh(session, case)
    assert case.responsible_country == "PY" and case.assigned_to_id == officer_py.id
    detail = board.get_case(session=session, actor=officer_py, case_code=case.case_code)
    assert detail.party == "home_officer"
    # The reporting country keeps reading the case, no longer works it.
    back = board.get_case(session=session, actor=users["officer_ar"], case_code=case.case_code)
    assert back.party == "shared_officer"
    kinds = session.exec(select(CaseEvent.kind).where(CaseEvent.case_id == case.id)).all()
    assert CaseEventKind.transfer_requested in kinds and CaseEventKind.transfer_answered in kinds
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.entity == "case_transfer")
    ).all()
    assert sorted(actions) == ["case_transfer_answered", "case_transfer_requested"]


def test_a_transfer_needs_consent_to_share_with_that_country(session, users, open_case):
    case = open_case(users["officer_ar"])
    with pytest.raises(Conflict, match="consent"):
        _request(session, users["officer_ar"], case)
    # The authorities of the person's own country need the origin-authorities scope.
    citizen = open_case(users["officer_ar"], citizenship="PY", **SHARING)
    with pytest.raises(Conflict, match="consent"):
        _request(session, users["officer_ar"], citizen)


def test_one_pending_transfer_and_never_to_the_same_country(session, users, open_case):
    case = open_case(users["officer_ar"], **SHARING)
    with pytest.raises(Conflict):
        _request(session, users["officer_ar"], case, "AR")
    _request(session, users["coordinator"], case)
    with pytest.raises(Conflict, match="already waiting"):
        _request(session, users["coordinator"], case, "BR")


def test_only_the_receiving_countrys_officer_answers_once(session, users, officer_py, open_case):
    case = open_case(users["officer_ar"], **SHARING)
    transfer = _request(session, users["officer_ar"], case)
    with pytest.raises(NotFound):  # Brazil does not even see the case
        _answer(session, users["officer_br"], case, transfer)
    with pytest.raises(PermissionDenied):
        _answer(session, users["coordinator"], case, transfer)
    with pytest.raises(Conflict, match="reason"):
        _answer(session, officer_py, case, transfer, accept=False)
    declined = _answer(session, officer_py, case, transfer, accept=False, reason="No staff")
    assert declined.state == TransferState.declined
    assert _fresh(session, case).responsible_country is None
    # Declined, the offer no longer opens the case to Paraguay; a second click is told that
    # the transfer was answered, and saves nothing.
    with pytest.raises(NotFound):
        board.get_case(session=session, actor=officer_py, case_code=case.case_code)
    with pytest.raises(StaleVersion, match="answered meanwhile"):
        _answer(session, officer_py, case, transfer)


def test_a_shared_officer_cannot_request_a_transfer(session, users, officer_py, open_case):
    case = open_case(users["officer_ar"], **SHARING)
    transfer = _request(session, users["officer_ar"], case)
    with pytest.raises(PermissionDenied):
        _request(session, officer_py, case, "BR")
    assert transfer.state == TransferState.pending


def test_the_timeline_names_each_outcome(session, users, officer_py, open_case):
    case = open_case(users["officer_ar"], **SHARING)
    transfer = _request(session, users["officer_ar"], case)
    _answer(session, officer_py, case, transfer, accept=False, reason="No staff this month")
    detail = board.get_case(session=session, actor=users["officer_ar"], case_code=case.case_code)
    lines = [presentation.event_text(entry) for entry in detail.events]
    assert any("Transfer of responsibility to Paraguay requested" in line for line in lines)
    assert any("to Paraguay declined: No staff this month" in line for line in lines)


def test_the_demo_has_a_transfer_waiting_for_paraguay(demo_db):
    officer_py = demo_db.exec(
        select(UserAccount).where(UserAccount.email == "officer.py@enlace.test")
    ).one()
    waiting = demo_db.exec(
        select(CaseTransfer).where(CaseTransfer.state == TransferState.pending)
    ).one()
    case = demo_db.get(Case, waiting.case_id)
    detail = board.get_case(session=demo_db, actor=officer_py, case_code=case.case_code)
    assert waiting.to_country == "PY" and detail.party == "shared_officer"


def _answered_events(session, case) -> int:
    session.commit()
    events = select(CaseEvent).where(
        CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.transfer_answered
    )
    return len(session.exec(events).all())


def test_the_outcome_names_who_answered_how_and_when(session, users, officer_py, open_case):
    case = open_case(users["officer_ar"], **SHARING)
    transfer = _request(session, users["officer_ar"], case)
    outcome = transfers.transfer_outcome
    assert outcome(session=session, actor=officer_py, transfer_id=transfer.id) is None
    _answer(session, officer_py, case, transfer)
    seen_home = outcome(session=session, actor=users["officer_ar"], transfer_id=transfer.id)
    assert seen_home is not None and seen_home.state == TransferState.accepted
    assert seen_home.answered_by == "officer.py" and not seen_home.by_you
    assert seen_home.answered_at is not None and seen_home.to_country == "PY"
    assert outcome(session=session, actor=officer_py, transfer_id=transfer.id).by_you
    with pytest.raises(NotFound):  # Brazil never had the case: told nothing
        outcome(session=session, actor=users["officer_br"], transfer_id=transfer.id)


def test_a_declined_transfer_is_explained_to_the_receiving_officer_who_lost_the_case(
    session, users, officer_py, make_user, open_case
):
    other_py = make_user("other.py@enlace.test", Role.officer, "PY")
    case = open_case(users["officer_ar"], **SHARING)
    transfer = _request(session, users["officer_ar"], case)
    _answer(session, other_py, case, transfer, accept=False, reason="No staff")
    with pytest.raises(NotFound):
        board.get_case(session=session, actor=officer_py, case_code=case.case_code)
    told = transfers.transfer_outcome(session=session, actor=officer_py, transfer_id=transfer.id)
    assert told is not None and told.state == TransferState.declined
    assert told.answered_by == "other.py" and told.case_code == case.case_code
    # The second officer's answer, from the page they had open: refused, nothing saved twice.
    with pytest.raises(StaleVersion):
        _answer(session, officer_py, case, transfer)
    with pytest.raises(StaleVersion):
        _answer(session, officer_py, case, transfer, accept=False, reason="Also no")
    assert _answered_events(session, case) == 1
    answered = select(AuditEvent).where(AuditEvent.action == "case_transfer_answered")
    assert len(session.exec(answered).all()) == 1


def test_a_transfer_id_of_another_case_is_not_answered_as_stale(
    session, users, officer_py, open_case
):
    case = open_case(users["officer_ar"], **SHARING)
    other = open_case(users["officer_ar"], person_alias="B.B.", **SHARING)
    transfer = _request(session, users["officer_ar"], case)
    _answer(session, officer_py, case, transfer, accept=False, reason="No staff")
    other = _fresh(session, other)
    with pytest.raises(NotFound):  # the other case was never offered: nothing to tell
        transfers.answer_transfer(
            session=session,
            actor=officer_py,
            case_code=other.case_code,
            transfer_id=transfer.id,
            accept=True,
            expected_version=other.version,
        )
