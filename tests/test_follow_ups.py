"""Follow-ups (issue 14): the dates each write sets, "My tasks" in the person's scope, the
board card's mark, the organisation's response period."""

from datetime import date, timedelta

import pytest
from pydantic import ValidationError
from sqlmodel import select

from models import OrganisationUpdate, Referral
from models.base import utcnow
from models.enums import ReferralState, Stage
from services.cases import board, follow_ups, organisations, presentation, tasks
from services.cases import records as cases
from services.platform.formatting import date_text

TODAY = utcnow().date()


def _refer(session, actor, case, organisation, sent_on=TODAY):
    return cases.refer_case(
        session=session,
        actor=actor,
        case_code=case.case_code,
        organisation_id=organisation.id,
        service="shelter",
        sent_on=sent_on,
        expected_version=case.version,
    )


def _move(session, actor, case, target, **extra):
    moved = cases.move_stage(
        session=session,
        actor=actor,
        case_code=case.case_code,
        target=target,
        expected_version=case.version,
        **extra,
    )
    session.commit()
    return moved


# --- the dates each write sets --------------------------------------------------------------


def test_a_new_case_is_due_for_screening_within_the_identified_period(session, users, open_case):
    case = open_case(users["officer_ar"])
    assert case.next_follow_up_on == TODAY + timedelta(days=3)


def test_each_move_sets_the_period_of_the_new_stage_and_closing_clears_it(
    session, users, open_case
):
    coordinator = users["coordinator"]
    case = _move(session, coordinator, open_case(users["officer_ar"]), Stage.screening)
    assert case.next_follow_up_on == TODAY + timedelta(days=7)
    case = _move(session, coordinator, case, Stage.closed, closure_reason="Not a victim")
    assert case.next_follow_up_on is None
    case = _move(session, coordinator, case, Stage.screening, note="New facts came to light")
    assert case.next_follow_up_on == TODAY + timedelta(days=7)
    assert follow_ups.after_move(Stage.assistance, TODAY) == TODAY + timedelta(days=30)


def test_a_referral_is_due_after_the_organisations_period_and_brings_the_case_forward(
    session, users, consenting_case, make_organisation
):
    case = consenting_case(users["officer_ar"])  # due in 3 days
    quick = make_organisation("AR", response_days=5)
    referral = _refer(session, users["officer_ar"], case, quick, sent_on=TODAY - timedelta(4))
    session.commit()
    session.refresh(case)
    assert referral.response_due_on == TODAY + timedelta(days=1)
    assert case.next_follow_up_on == TODAY + timedelta(days=1)
    # A later answer date leaves the earlier follow-up as it is.
    slow = make_organisation("AR", response_days=30)
    referral = _refer(session, users["officer_ar"], case, slow)
    session.commit()
    session.refresh(case)
    assert referral.response_due_on == TODAY + timedelta(days=30)
    assert case.next_follow_up_on == TODAY + timedelta(days=1)


def test_the_admin_sets_an_organisations_response_period_within_a_year(
    session, users, make_organisation
):
    organisation = make_organisation("AR")
    assert organisation.response_days == 10
    changed = organisations.update_organisation(
        session=session,
        actor=users["admin"],
        organisation_id=organisation.id,
        organisation_in=OrganisationUpdate(response_days=21),
    )
    assert changed.response_days == 21
    for bad in (0, 366):
        with pytest.raises(ValidationError, match="response_days"):
            OrganisationUpdate(response_days=bad)


# --- My tasks -----------------------------------------------------------------------------


def test_my_tasks_lists_due_follow_ups_and_late_referrals_earliest_first(
    session, users, consenting_case, make_organisation, set_follow_up
):
    officer = users["officer_ar"]
    late_case = consenting_case(officer)
    referral = _refer(session, officer, late_case, make_organisation("AR"), TODAY - timedelta(12))
    session.commit()
    session.refresh(late_case)
    set_follow_up(late_case, TODAY + timedelta(days=20))  # its own follow-up is far off
    due_case = consenting_case(officer)
    set_follow_up(due_case, TODAY)
    later = consenting_case(officer)
    set_follow_up(later, TODAY + timedelta(days=10))
    found = tasks.list_tasks(session=session, actor=officer)
    assert [(task.kind, task.case_code, task.due_on) for task in found] == [
        (tasks.TaskKind.referral, late_case.case_code, TODAY - timedelta(days=2)),
        (tasks.TaskKind.follow_up, due_case.case_code, TODAY),
    ]
    assert found[0].organisation == "Refugio AR 10" and found[0].days_late(TODAY) == 2
    # An answered referral is no longer a task.
    referral.state = ReferralState.accepted
    session.add(referral)
    session.commit()
    found = tasks.list_tasks(session=session, actor=officer)
    assert [task.case_code for task in found] == [due_case.case_code]


def test_an_officer_never_sees_another_countrys_tasks(
    session, users, open_case, make_user, set_follow_up, consenting_case, make_organisation
):
    ar_case = open_case(users["officer_ar"])
    br_case = open_case(users["officer_br"], reporting_country="BR")
    for case in (ar_case, br_case):
        set_follow_up(case, TODAY - timedelta(days=1))
    # A Brazilian case assigned to the Argentine officer's id by mistake stays out of scope.
    stray = open_case(users["officer_br"], reporting_country="BR")
    stray.assigned_to_id = users["officer_ar"].id
    set_follow_up(stray, TODAY)
    # A referral to a Brazilian organisation shares an Argentine case with Brazil: its answer
    # is still the Argentine officer's task, not the Brazilian officer's.
    shared = consenting_case(users["officer_ar"])
    _refer(session, users["officer_ar"], shared, make_organisation("BR"), TODAY - timedelta(11))
    session.commit()

    def codes(actor):
        return {task.case_code for task in tasks.list_tasks(session=session, actor=actor)}

    assert codes(users["officer_ar"]) == {ar_case.case_code, shared.case_code}
    assert codes(users["officer_br"]) == {br_case.case_code}
    # Another Argentine officer does not get a case assigned to a colleague.
    colleague = make_user("officer2.ar@enlace.test", users["officer_ar"].role, "AR")
    ar_case.assigned_to_id = users["officer_ar"].id
    session.add(ar_case)
    session.commit()
    assert ar_case.case_code not in codes(colleague)
    assert ar_case.case_code in codes(users["officer_ar"])
    # The coordinator answers for the cases assigned to them and the referrals they sent;
    # a manager has no tasks.
    assert codes(users["coordinator"]) == set()
    br_case.assigned_to_id = users["coordinator"].id
    session.add(br_case)
    session.commit()
    assert codes(users["coordinator"]) == {br_case.case_code}
    with pytest.raises(Exception, match="role"):
        tasks.list_tasks(session=session, actor=users["manager"])


def test_closed_cases_have_no_tasks(session, users, open_case, set_follow_up):
    case = open_case(users["officer_ar"])
    case.stage = Stage.closed
    set_follow_up(case, TODAY - timedelta(days=3))
    assert tasks.list_tasks(session=session, actor=users["officer_ar"]) == []


def test_the_board_card_says_overdue_in_words_not_colour_alone(session, users, open_case):
    today = date(2026, 12, 1)
    assert presentation.follow_up_mark(date(2026, 11, 28), today).startswith(
        "⚠ Follow-up overdue since Nov 28, 2026"
    )
    assert presentation.follow_up_mark(today, today).startswith("⏰ Follow-up due today")
    assert presentation.follow_up_mark(date(2026, 12, 2), today) == ""
    assert presentation.follow_up_mark(None, today) == ""


def test_the_boards_cards_read_the_follow_up_from_the_database(session, users, open_case):
    late = open_case(users["officer_ar"])
    late.next_follow_up_on = TODAY - timedelta(days=5)
    session.add(late)
    session.commit()
    open_case(users["officer_ar"])  # due in 3 days: no mark
    cards = board.list_cases(session=session, actor=users["officer_ar"], filters=board.OPEN_CASES)
    second_lines = {card.case_code: presentation.card_lines(card)[1] for card in cards}
    overdue = [line for line in second_lines.values() if line.startswith("⚠")]
    assert overdue == [second_lines[late.case_code]]
    assert date_text(TODAY - timedelta(days=5)) in overdue[0]


def test_referral_rows_keep_their_due_date(session, users, consenting_case, make_organisation):
    case = consenting_case(users["officer_ar"])
    _refer(session, users["officer_ar"], case, make_organisation("AR", response_days=7))
    session.commit()
    stored = session.exec(select(Referral)).one()
    assert stored.response_due_on == TODAY + timedelta(days=7)
