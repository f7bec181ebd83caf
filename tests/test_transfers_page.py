"""The case page's transfer: the home officer asks, the receiving officer accepts, in place."""

from datetime import date

from sqlmodel import select

from models import Case, CaseEvent
from models.enums import CaseEventKind, Role, TransferState

SHARING = {
    "consent_given": True,
    "consent_date": date(2026, 3, 2),
    "consent_scope": ["service_providers"],
}


def _case(session, code):
    session.commit()
    return session.exec(select(Case).where(Case.case_code == code)).one()


def test_the_officer_asks_paraguay_and_its_officer_takes_the_case(
    session, users, make_user, open_case, board_page
):
    officer_py = make_user("officer.py@enlace.test", Role.officer, "PY")
    code = open_case(users["officer_ar"], **SHARING).case_code

    at = board_page("officer.ar@enlace.test", code)
    at.button(key=f"transfer_request_{code}").click().run()
    assert "Choose the country" in at.error[0].value  # nothing chosen: nothing asked
    at.selectbox(key=f"transfer_country_{code}").set_value("PY")
    at.text_area(key=f"transfer_note_{code}").input("She now lives in Asunción.")
    at.button(key=f"transfer_request_{code}").click().run()
    assert not at.exception, at.exception
    assert at.success[0].value == "Transfer requested."
    assert any("Waiting for Paraguay" in caption.value for caption in at.caption)

    receiving = board_page(officer_py.email, code)
    assert any("asks your country" in info.value for info in receiving.info)
    receiving.button(key=f"transfer_accept_{code}").click().run()
    assert not receiving.exception, receiving.exception
    case = _case(session, code)
    assert case.responsible_country == "PY" and case.assigned_to_id == officer_py.id
    # The page now shows the case as Paraguay's, with nothing left to answer.
    assert f"transfer_accept_{code}" not in [button.key for button in receiving.button]
    assert "Responsible country: Paraguay" in [text.value for text in receiving.text]


def test_a_second_tab_declining_after_the_acceptance_changes_nothing(
    session, users, make_user, open_case, board_page
):
    officer_py = make_user("officer.py@enlace.test", Role.officer, "PY")
    code = open_case(users["officer_ar"], **SHARING).case_code
    at = board_page("officer.ar@enlace.test", code)
    at.selectbox(key=f"transfer_country_{code}").set_value("PY")
    at.button(key=f"transfer_request_{code}").click().run()

    first, second = board_page(officer_py.email, code), board_page(officer_py.email, code)
    first.button(key=f"transfer_accept_{code}").click().run()
    version = _case(session, code).version
    second.text_input(key=f"transfer_reason_{code}").input("No staff")
    second.button(key=f"transfer_decline_{code}").click().run()
    assert not second.exception, second.exception
    # The answer is gone from the page: the case shows as Paraguay's, nothing was declined.
    assert "Responsible country: Paraguay" in [text.value for text in second.text]
    assert _case(session, code).version == version
    assert _case(session, code).responsible_country == "PY"


def _requested(session, users, make_user, open_case, board_page):
    """A case of Argentina offered to Paraguay; Paraguay's officer."""
    officer_py = make_user("officer.py@enlace.test", Role.officer, "PY")
    code = open_case(users["officer_ar"], **SHARING).case_code
    at = board_page("officer.ar@enlace.test", code)
    at.selectbox(key=f"transfer_country_{code}").set_value("PY")
    at.button(key=f"transfer_request_{code}").click().run()
    assert at.success[0].value == "Transfer requested."
    return code, officer_py


def _warnings(at) -> list[str]:
    return [warning.value for warning in at.warning]


def test_the_answer_given_in_another_tab_is_said_on_the_next_run(
    session, users, make_user, open_case, board_page
):
    code, officer_py = _requested(session, users, make_user, open_case, board_page)
    first, second = board_page(officer_py.email, code), board_page(officer_py.email, code)
    home = board_page("officer.ar@enlace.test", code)
    first.button(key=f"transfer_accept_{code}").click().run()
    assert first.success[0].value == "The case is now your country's."
    assert not any("elsewhere" in text for text in _warnings(first)), "one's own answer"

    second.run()  # any click in the other tab
    assert not second.exception, second.exception
    (said,) = [text for text in _warnings(second) if "accepted this transfer" in text]
    assert said.startswith("You accepted this transfer on ")
    assert "the case is now the responsibility of Paraguay" in said
    assert f"transfer_accept_{code}" not in [button.key for button in second.button]

    home.run()  # the requesting officer, who was waiting
    (said,) = [text for text in _warnings(home) if "accepted this transfer" in text]
    assert said.startswith("officer.py accepted this transfer on ")


def test_a_click_on_the_stale_page_saves_nothing_and_says_who_answered(
    session, users, make_user, open_case, board_page
):
    code, officer_py = _requested(session, users, make_user, open_case, board_page)
    colleague = make_user("colleague.py@enlace.test", Role.officer, "PY")
    stale = board_page(officer_py.email, code)
    other = board_page(colleague.email, code)
    other.button(key=f"transfer_accept_{code}").click().run()
    case = _case(session, code)
    version, assigned = case.version, case.assigned_to_id

    stale.text_input(key=f"transfer_reason_{code}").input("No staff")
    stale.button(key=f"transfer_decline_{code}").click().run()
    assert not stale.exception, stale.exception
    (said,) = _warnings(stale)
    assert said.startswith("Your answer was not saved. colleague.py accepted this transfer on ")
    case = _case(session, code)
    assert (case.version, case.assigned_to_id) == (version, assigned) == (version, colleague.id)
    events = session.exec(
        select(CaseEvent).where(
            CaseEvent.case_id == case.id, CaseEvent.kind == CaseEventKind.transfer_answered
        )
    ).all()
    assert len(events) == 1


def test_a_decline_in_another_tab_explains_why_the_case_is_gone(
    session, users, make_user, open_case, board_page
):
    code, officer_py = _requested(session, users, make_user, open_case, board_page)
    first, second = board_page(officer_py.email, code), board_page(officer_py.email, code)
    first.text_input(key=f"transfer_reason_{code}").input("No staff this month")
    first.button(key=f"transfer_decline_{code}").click().run()
    assert not first.exception, first.exception

    second.button(key=f"transfer_accept_{code}").click().run()
    assert not second.exception, second.exception
    (said,) = _warnings(second)
    assert said.startswith("Your answer was not saved. You declined this transfer on ")
    assert "the case stays with Argentina" in said
    assert any("no longer shared with your country" in info.value for info in second.info)
    assert not any("do not have access" in error.value for error in second.error)
    assert _case(session, code).responsible_country is None


def test_an_answer_racing_another_is_refused_with_who_answered(
    session, users, make_user, open_case, board_page, monkeypatch
):
    """The other answer lands between the page's read and the click's write."""
    from services.cases import transfers

    code, officer_py = _requested(session, users, make_user, open_case, board_page)
    colleague = make_user("colleague.py@enlace.test", Role.officer, "PY")
    racing = board_page(officer_py.email, code)
    board_page(colleague.email, code).button(key=f"transfer_accept_{code}").click().run()
    read = transfers.list_transfers

    def as_read_before_the_other_answer(**kwargs):
        return [t.model_copy(update={"state": TransferState.pending}) for t in read(**kwargs)]

    monkeypatch.setattr(transfers, "list_transfers", as_read_before_the_other_answer)
    racing.button(key=f"transfer_accept_{code}").click().run()
    assert not racing.exception, racing.exception
    said = [text for text in _warnings(racing) if text.startswith("Your answer was not saved.")]
    assert said and "colleague.py accepted this transfer on " in said[0]
    assert not racing.success
    assert _case(session, code).assigned_to_id == colleague.id
