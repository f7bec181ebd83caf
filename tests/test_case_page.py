"""The case page (issue 14): its own address, the same answer for a case that does not exist
and one outside the reader's scope, an audited read, and the search over the whole scope."""

from datetime import date

from sqlmodel import Session, col, func, select

from models import AuditEvent, Case, CaseEvent, CaseUpdate, Referral, UserAccount
from services.cases import outcomes, records
from services.platform.formatting import date_text
from services.platform.i18n import set_language
from services.platform.labels import label
from tests.support import COORDINATOR, OFFICER

NO_ACCESS = "This case does not exist, or you do not have access to it."


def _outside_argentina(session: Session) -> Case:
    """A case the Argentine officer may not read: another country's, not shared with AR."""
    shared = select(Referral.case_id).where(Referral.cross_border_country == "AR")
    return session.exec(
        select(Case).where(Case.reporting_country != "AR", col(Case.id).not_in(shared))
    ).first()


def _reads(session: Session, case: Case) -> int:
    session.commit()
    statement = select(func.count()).where(
        AuditEvent.action == "case_read", AuditEvent.entity_id == str(case.id)
    )
    return session.exec(statement).one()


def test_the_address_opens_the_case_and_its_read_is_audited_once(demo_db, board_page, ar_case):
    at = board_page(OFFICER, ar_case.case_code)

    assert not at.exception and not at.error
    assert at.subheader[0].value == f"Case {ar_case.case_code}"
    at.run()  # a rerun, as every click is: the same read
    assert _reads(demo_db, ar_case) == 1


def test_an_unknown_case_and_one_outside_the_scope_get_the_same_answer(demo_db, board_page):
    hidden = _outside_argentina(demo_db)
    for code in (hidden.case_code, "AR-2099-9999", "<b>x</b>"):
        at = board_page(OFFICER, code)
        assert [error.value for error in at.error] == [NO_ACCESS]
        assert not at.subheader
    assert _reads(demo_db, hidden) == 0


def _found(at) -> list[str]:
    return [link.proto.label.split(" · ")[0] for link in at.get("page_link")]


def test_the_search_finds_any_case_of_the_scope_and_links_to_its_page(demo_db, app_as):
    codes = demo_db.exec(
        select(Case.case_code).where(Case.reporting_country == "AR").order_by(Case.case_code)
    ).all()
    at = app_as(OFFICER).run()
    at.switch_page("pages/case.py").run()
    at.text_input(key="case_search").input(codes[-1]).run()  # wherever it is on the board

    assert not at.exception
    assert _found(at)[0] == codes[-1]
    link = at.get("page_link")[0].proto
    assert link.page.endswith("case") and f"code={codes[-1]}" in link.query_string

    at.text_input(key="case_search").input(_outside_argentina(demo_db).case_code).run()
    assert _found(at) == []
    assert at.info  # "no case you can see matches", whether or not it exists


def test_a_coordinator_finds_cases_of_every_country_by_a_part_of_the_code(demo_db, app_as):
    at = app_as(COORDINATOR).run()
    at.switch_page("pages/case.py").run()
    at.text_input(key="case_search").input("-2026-000").run()

    countries = {code[:2] for code in _found(at)}
    assert len(countries) > 1


def _timeline(at) -> str:
    return "\n".join(text.value for text in at.text)


def test_the_timeline_says_old_and_new_values_in_the_readers_language(
    demo_db, board_page, ar_case, app_as
):
    coordinator = demo_db.exec(select(UserAccount).where(UserAccount.email == COORDINATOR)).one()
    code = ar_case.case_code
    records.assign_case(
        session=demo_db,
        actor=coordinator,
        case_code=code,
        assignee_id=coordinator.id,
        expected_version=1,
    )
    records.update_assessment(
        session=demo_db,
        actor=coordinator,
        case_code=code,
        case_in=CaseUpdate(urgency="high", citizenship="PY"),
        expected_version=2,
    )
    demo_db.commit()

    shown = _timeline(board_page(OFFICER, code))
    assert f"Assigned: — → {coordinator.display_name}" in shown
    assert "Urgency: Medium → High" in shown
    assert "Citizenship: — → Paraguay (PY)" in shown

    at = app_as(OFFICER, language="es").run()
    at.switch_page("pages/case.py")
    at.query_params["code"] = code
    at.run()
    set_language("es")
    try:
        expected = f"{label('medium')} → {label('high')}"
    finally:
        set_language("en")
    assert expected in _timeline(at) and "Medium" not in _timeline(at)


def test_the_demo_datas_answered_referrals_name_their_outcome(demo_db, board_page):
    answered = demo_db.exec(
        select(CaseEvent, Case.case_code)
        .join(Case, Case.id == CaseEvent.case_id)
        .where(CaseEvent.kind == "referral_answered", Case.reporting_country == "AR")
    ).first()
    assert answered, "the demo data has an answered referral of an Argentine case"
    event, code = answered
    shown = _timeline(board_page(OFFICER, code))
    # "Referral to <organisation> (<service>) accepted", or declined with its reason.
    assert outcomes.referral_outcome(event.details, event.note) in shown
    assert event.details["organisation"] in shown
    assert "(None)" not in shown and "None" not in shown.split()


def test_the_page_shows_the_next_follow_up_and_says_when_it_is_overdue(
    demo_db, board_page, ar_case
):
    at = board_page(OFFICER, ar_case.case_code)
    due = demo_db.get(Case, ar_case.id).next_follow_up_on
    assert due is not None  # every open case has one
    assert f"Next follow-up: {date_text(due)}" in [text.value for text in at.text]
    assert not at.warning

    case = demo_db.get(Case, ar_case.id)
    case.next_follow_up_on = date(2026, 1, 5)
    demo_db.add(case)
    demo_db.commit()
    at = board_page(OFFICER, ar_case.case_code)
    assert [w.value.lstrip("⚠ ") for w in at.warning] == ["Follow-up overdue since Jan 5, 2026"]
