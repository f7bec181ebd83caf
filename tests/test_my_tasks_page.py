"""My tasks under AppTest (issue 14): the signed-in officer's due items only, earliest first,
in their language, each linking to its case."""

from datetime import timedelta

from models.base import utcnow
from services.platform.access import PAGE_ROLES
from services.platform.formatting import date_text
from tests.support import OFFICER

TODAY = utcnow().date()


def _table(at):
    assert not at.exception, at.exception
    assert len(at.dataframe) == 1, [el.value for el in at.main if hasattr(el, "value")]
    return at.dataframe[0].value


def test_an_officer_sees_their_countrys_due_follow_ups_with_links(
    session, users, open_case, set_follow_up, app_as
):
    late = open_case(users["officer_ar"])
    set_follow_up(late, TODAY - timedelta(days=4))
    due = open_case(users["officer_ar"])
    set_follow_up(due, TODAY)
    far = open_case(users["officer_ar"])
    set_follow_up(far, TODAY + timedelta(days=30))
    brazilian = open_case(users["officer_br"], reporting_country="BR")
    set_follow_up(brazilian, TODAY - timedelta(days=9))

    at = app_as(OFFICER).run()
    at.switch_page("pages/my_tasks.py").run()
    table = _table(at)
    assert list(table["Case"]) == [f"/case?code={late.case_code}", f"/case?code={due.case_code}"]
    assert table["Status"][0] == f"⚠ Overdue since {date_text(TODAY - timedelta(days=4))}"
    assert table["Status"][1] == "⏰ Due today"
    assert "Overdue: 1 · Due today: 1 · Coming days: 0" in [md.value for md in at.markdown]


def test_the_page_speaks_the_persons_language_and_says_when_nothing_is_due(
    session, users, open_case, set_follow_up, app_as
):
    at = app_as(OFFICER, language="es").run()
    at.switch_page("pages/my_tasks.py").run()
    assert not at.exception
    assert at.success[0].value.startswith("No hay nada pendiente")
    session.commit()  # SQLite: end the snapshot read before the app's sign-in wrote
    case = open_case(users["officer_ar"])
    set_follow_up(case, TODAY - timedelta(days=1))
    at.run()
    assert _table(at)["Estado"][0].startswith("⚠ Vencido desde")


def test_my_tasks_is_for_case_workers_and_partner_staff():
    assert set(PAGE_ROLES["my_tasks"]) == {"officer", "coordinator", "admin", "partner"}
