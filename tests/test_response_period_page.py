"""The admin sets an organisation's response period in the directory (issue 14): the days a
referral to it may wait for an answer before it is due."""

from sqlmodel import select

from models import Organisation
from tests.support import ACCOUNTS


def test_the_admin_changes_an_organisations_days_to_answer(demo_db, app_as):
    at = app_as(ACCOUNTS["admin"]).run()
    at = at.switch_page("pages/admin.py").run()
    save = next(b for b in at.button if b.label == "Save the response period")
    at.number_input(key="org_response_days").set_value(21)
    save.click()
    at = at.run()
    assert not at.exception
    assert any("Choose the organisation" in e.value for e in at.error)
    assert at.number_input(key="org_response_days").value == 21  # kept

    at.selectbox(key="org_response_organisation").select_index(0)
    next(b for b in at.button if b.label == "Save the response period").click()
    at = at.run()
    assert not at.exception and not at.error
    assert any("now has 21 days to answer a referral" in s.value for s in at.success)
    demo_db.commit()  # a new transaction: see what the app wrote
    periods = demo_db.exec(select(Organisation.response_days)).all()
    assert sorted(periods)[-1] == 21 and periods.count(21) == 1
