"""The case page's transfer: the home officer asks, the receiving officer accepts, in place."""

from datetime import date

from sqlmodel import select

from models import Case
from models.enums import Role

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
