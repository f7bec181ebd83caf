"""The partner's page: the referrals sent to their organisation, answered in place."""

import pytest
from sqlmodel import Session, select

from models import CaseEvent, Referral
from models.enums import CaseEventKind, ReferralState


@pytest.fixture
def referrals_page(app_as):
    def page():
        at = app_as("ngo.py@enlace.test").run()
        at.switch_page("pages/referrals.py").run()
        assert not at.exception, at.exception
        return at

    return page


def _state(session: Session, referral_id: int) -> str:
    session.commit()
    return session.exec(select(Referral.state).where(Referral.id == referral_id)).one()


def test_the_partner_sees_only_its_referral_and_never_the_alias(referrals_page, referred):
    to_py, to_br = referred
    at = referrals_page()
    table = at.dataframe[0].value
    assert list(table["Service"]) == ["Shelter"]
    codes = set(table["Case"])
    assert len(codes) == 1
    shown = " ".join(str(value) for value in table.to_numpy().ravel())
    assert "K.L." not in shown and "P.Q." not in shown
    assert [option for option in at.selectbox(key="partner_referral").options] != []


def test_accepting_then_completing(session, referrals_page, referred):
    to_py, _to_br = referred
    at = referrals_page()
    form = f"partner_answer_{to_py.id}"
    at.radio(key=f"{form}_state").set_value("accepted")
    at.button(key=f"FormSubmitter:{form}-Save the answer").click().run()
    assert not at.exception, at.exception
    assert _state(session, to_py.id) == ReferralState.accepted
    assert "accepted" in at.success[0].value.lower()
    # The page now offers the next answer, on a fresh form.
    form = f"partner_answer_{to_py.id}"
    assert at.radio(key=f"{form}_state").options == ["Completed"]
    at.button(key=f"FormSubmitter:{form}-Save the answer").click().run()
    assert _state(session, to_py.id) == ReferralState.completed
    assert at.info[0].value == "Every referral has been answered."


def test_declining_without_a_reason_keeps_the_form_and_saves_nothing(
    session, referrals_page, referred
):
    to_py, _to_br = referred
    at = referrals_page()
    form = f"partner_answer_{to_py.id}"
    at.radio(key=f"{form}_state").set_value("declined")
    at.button(key=f"FormSubmitter:{form}-Save the answer").click().run()
    assert "reason" in at.error[0].value
    assert _state(session, to_py.id) == ReferralState.pending
    at.text_area(key=f"{form}_reason").input("No beds this month")
    at.button(key=f"FormSubmitter:{form}-Save the answer").click().run()
    assert _state(session, to_py.id) == ReferralState.declined
    event = session.exec(
        select(CaseEvent).where(CaseEvent.kind == CaseEventKind.referral_answered)
    ).one()
    assert event.note == "No beds this month"


def test_a_second_tab_answering_the_same_referral_is_told_and_saves_nothing(
    session, referrals_page, referred
):
    to_py, _to_br = referred
    first, second = referrals_page(), referrals_page()
    form = f"partner_answer_{to_py.id}"
    first.button(key=f"FormSubmitter:{form}-Save the answer").click().run()
    second.radio(key=f"{form}_state").set_value("declined")
    second.text_area(key=f"{form}_reason").input("No beds")
    second.button(key=f"FormSubmitter:{form}-Save the answer").click().run()
    assert "answered meanwhile" in second.error[0].value
    assert _state(session, to_py.id) == ReferralState.accepted
    # What the second tab typed is still there.
    assert second.text_area(key=f"{form}_reason").value == "No beds"


def test_the_partners_home_counts_what_waits_for_their_answer(app_as, referred):
    """No empty "My courses" for partner staff: their home says how many referrals wait and
    links to them."""
    at = app_as("ngo.py@enlace.test").run()
    assert not at.exception
    assert [info.value for info in at.info] == ["Waiting for your answer: 1"]
    assert "My courses" not in [header.value for header in at.header]
