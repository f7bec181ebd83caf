"""The case page (issue 14): its own address, the same answer for a case that does not exist
and one outside the reader's scope, an audited read, and the search over the whole scope."""

from sqlmodel import Session, col, func, select

from models import AuditEvent, Case, Referral
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
