import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func
from sqlmodel import Session, select

from models import (
    AuditEvent,
    Case,
    CaseEvent,
    Course,
    Enrollment,
    Module,
    ModuleProgress,
    Organisation,
    Participant,
    Referral,
    UserAccount,
)
from models.enums import (
    COMPLETED_STATES,
    STAGE_ORDER,
    CaseEventKind,
    EnrollmentStatus,
    ProgressState,
    Role,
    Stage,
    Urgency,
)
from services.platform.access import case_scope
from services.tooling.demo_data import DEMO_ACCOUNTS
from services.tooling.seed import CREATED_TABLES, seed_demo

TODAY = date(2026, 11, 28)
# The 2018 officers who neither sign in nor withdrew: accounts too (services/tooling/
# demo_training.py), for the training-impact report.
COLLEAGUES = 40 - 8 - 2
COUNTRIES = {"AR", "BO", "BR", "CL", "CO", "PY", "PE", "UY"}
FROM_REFERRED = STAGE_ORDER[STAGE_ORDER.index(Stage.referred) :]


@pytest.fixture
def seeded(session: Session) -> dict[str, int]:
    """The demo data, seeded once on the empty test database."""
    return seed_demo(session=session, today=TODAY)


def _table_counts(session: Session) -> dict[str, int]:
    return {
        model.__tablename__: session.exec(select(func.count()).select_from(model)).one()
        for model in (*CREATED_TABLES, AuditEvent)
    }


def _course(session: Session, code: str) -> Course:
    return session.exec(select(Course).where(Course.code == code)).one()


def test_first_run_reports_what_it_created(session, seeded):
    counts = _table_counts(session)
    assert seeded == {table: counts[table] for table in seeded}
    assert seeded["participant"] == 54
    assert seeded["user_account"] == len(DEMO_ACCOUNTS) + COLLEAGUES


def test_second_run_creates_nothing_and_keeps_table_counts(session, seeded):
    before = _table_counts(session)
    again = seed_demo(session=session, today=TODAY)
    assert set(again.values()) == {0}
    assert _table_counts(session) == before


def test_second_run_on_another_day_creates_nothing(session, seeded):
    again = seed_demo(session=session, today=TODAY + timedelta(days=40))
    assert set(again.values()) == {0}


def test_one_audit_event_records_the_counts(session, seeded):
    seed_demo(session=session, today=TODAY)
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "seed_demo")).all()
    assert len(events) == 1
    assert events[0].entity == "database"
    assert events[0].changes["referral_case"] == [None, seeded["referral_case"]]


def test_progress_is_reported_step_by_step(session):
    calls: list[tuple[str, int, int]] = []
    seed_demo(session=session, today=TODAY, progress=lambda *call: calls.append(call))
    assert [done for _, done, _ in calls] == list(range(1, len(calls) + 1))
    assert {total for _, _, total in calls} == {len(calls)}
    assert all(label for label, _, _ in calls)


def test_existing_accounts_are_kept_and_used(session, users):
    counts = seed_demo(session=session, today=TODAY)
    assert counts["user_account"] == len(DEMO_ACCOUNTS) + COLLEAGUES - len(users)
    officer_ar = users["officer_ar"]
    reported = session.exec(select(func.count()).where(Case.reported_by_id == officer_ar.id)).one()
    assert reported > 0


def test_2018_course_trained_forty_officers_of_eight_countries(session, seeded):
    course = _course(session, "HT-2018")
    assert course.ends_on == date(2018, 7, 3)
    assert course.starts_on == date(2018, 4, 2)
    modules = session.exec(select(Module).where(Module.course_id == course.id)).all()
    assert 6 <= len(modules) <= 8
    rows = session.exec(
        select(Enrollment.status, Participant.country)
        .join(Participant, Participant.id == Enrollment.participant_id)
        .where(Enrollment.course_id == course.id)
    ).all()
    assert len(rows) == 40
    assert {country for _, country in rows} == COUNTRIES
    assert all(sum(c == country for _, c in rows) == 5 for country in COUNTRIES)
    assert sum(status == EnrollmentStatus.withdrawn for status, _ in rows) == 2
    assert sum(status == EnrollmentStatus.completed for status, _ in rows) >= 25


def test_2018_completions_are_consistent_with_module_progress(session, seeded):
    course = _course(session, "HT-2018")
    completed = session.exec(
        select(Enrollment).where(
            Enrollment.course_id == course.id, Enrollment.status == EnrollmentStatus.completed
        )
    ).all()
    for enrollment in completed:
        assert date(2018, 6, 1) <= enrollment.completed_on <= date(2018, 7, 3)
        assert 60 <= enrollment.final_grade <= 98
        progress = session.exec(
            select(ModuleProgress, Module)
            .join(Module, Module.id == ModuleProgress.module_id)
            .where(ModuleProgress.enrollment_id == enrollment.id)
        ).all()
        assert len(progress) == 7
        for row, module in progress:
            if module.is_required:
                assert row.state in (ProgressState.completed, ProgressState.completed_pass)
            if row.state in COMPLETED_STATES:
                assert row.completed_on is not None
            assert row.score is None or 0 <= row.score <= 100


def test_some_2018_officers_fell_behind_and_some_failed_a_quiz(session, seeded):
    course = _course(session, "HT-2018")
    states = session.exec(
        select(ModuleProgress.state)
        .join(Enrollment, Enrollment.id == ModuleProgress.enrollment_id)
        .where(Enrollment.course_id == course.id, Enrollment.status == EnrollmentStatus.active)
    ).all()
    assert ProgressState.not_started in states
    assert ProgressState.completed_fail in states


def test_current_course_follows_today_and_has_people_behind_schedule(session):
    seed_demo(session=session, today=TODAY)
    course = _course(session, "HT-2026")
    assert course.starts_on < TODAY < course.ends_on
    modules = session.exec(select(Module).where(Module.course_id == course.id)).all()
    past_due = [m.id for m in modules if m.due_on < TODAY]
    assert past_due and len(past_due) < len(modules)
    enrollments = session.exec(select(Enrollment).where(Enrollment.course_id == course.id)).all()
    assert 20 <= len(enrollments) <= 28
    assert {e.status for e in enrollments} == {EnrollmentStatus.invited, EnrollmentStatus.active}
    behind = session.exec(
        select(func.count(func.distinct(ModuleProgress.enrollment_id))).where(
            ModuleProgress.module_id.in_(past_due),
            ModuleProgress.state.not_in(list(COMPLETED_STATES)),
        )
    ).one()
    assert behind > 0


def test_demo_accounts_exist_and_officers_are_2018_participants(session, seeded):
    course = _course(session, "HT-2018")
    for email, role, country in DEMO_ACCOUNTS:
        user = session.exec(select(UserAccount).where(UserAccount.email == email)).one()
        assert (user.role, user.country) == (role, country)
        assert user.display_name
        if role != Role.officer:
            continue
        participant = session.get(Participant, user.participant_id)
        assert participant.country == country
        assert participant.email == email
        enrolled = session.exec(
            select(Enrollment).where(
                Enrollment.participant_id == participant.id, Enrollment.course_id == course.id
            )
        ).one()
        assert enrolled.status != EnrollmentStatus.withdrawn
    officers = {country for _, role, country in DEMO_ACCOUNTS if role == Role.officer}
    assert officers == COUNTRIES


def test_organisations_cover_the_eight_countries(session, seeded):
    countries = set(session.exec(select(Organisation.country)).all())
    assert countries == COUNTRIES
    assert 18 <= seeded["organisation"] <= 30


def test_about_sixty_cases_cover_every_stage(session, seeded):
    cases = session.exec(select(Case)).all()
    assert 55 <= len(cases) <= 65
    assert {case.stage for case in cases} == set(Stage)
    assert {case.reporting_country for case in cases} == COUNTRIES
    assert all(TODAY - timedelta(days=550) <= c.identified_on < TODAY for c in cases)


def test_case_codes_are_well_formed_and_unique(session, seeded):
    cases = session.exec(select(Case)).all()
    codes = [case.case_code for case in cases]
    assert len(set(codes)) == len(codes)
    for case in cases:
        assert re.fullmatch(r"[A-Z]{2}-\d{4}-\d{4}", case.case_code)
        assert case.case_code.startswith(f"{case.reporting_country}-{case.identified_on.year}-")


def test_every_case_from_referred_on_has_a_referral(session, seeded):
    without = session.exec(
        select(Case.case_code).where(
            Case.stage.in_(FROM_REFERRED),
            Case.id.not_in(select(Referral.case_id)),
        )
    ).all()
    assert without == []


def test_cross_border_referrals_name_the_organisation_country(session, seeded):
    rows = session.exec(
        select(Referral, Organisation, Case)
        .join(Organisation, Organisation.id == Referral.organisation_id)
        .join(Case, Case.id == Referral.case_id)
    ).all()
    crossing = [(r, o, c) for r, o, c in rows if r.cross_border_country]
    assert len(crossing) >= 10
    for referral, organisation, case in rows:
        if organisation.country != case.reporting_country:
            assert referral.cross_border_country == organisation.country
        else:
            assert referral.cross_border_country is None
        if referral.state == "declined":
            assert referral.decline_reason


def test_brazil_shares_one_case_with_argentina_and_keeps_another(session, seeded):
    officer_ar = session.exec(
        select(UserAccount).where(UserAccount.email == "officer.ar@enlace.test")
    ).one()
    brazilian = select(Case.case_code).where(Case.reporting_country == "BR")
    all_br = set(session.exec(brazilian).all())
    seen_by_ar = set(session.exec(brazilian.where(case_scope(officer_ar))).all())
    assert seen_by_ar
    assert all_br - seen_by_ar


def test_minors_are_high_urgency_and_closed_cases_have_a_reason(session, seeded):
    cases = session.exec(select(Case)).all()
    minors = [case for case in cases if case.is_minor]
    assert minors
    assert all(case.urgency == Urgency.high and case.age_band == "9-17" for case in minors)
    closed = [case for case in cases if case.stage == Stage.closed]
    assert closed and all(case.closure_reason for case in closed)
    for case in cases:
        if case.stage == Stage.return_reintegration:
            assert case.return_counterpart and case.return_travel_date
        if case.stage in FROM_REFERRED:
            assert case.consent_given and case.consent_date


def test_case_timelines_start_with_creation_and_move_forward(session, seeded):
    cases = session.exec(select(Case)).all()
    for case in cases:
        events = session.exec(
            select(CaseEvent).where(CaseEvent.case_id == case.id).order_by(CaseEvent.id)
        ).all()
        assert events[0].kind == CaseEventKind.created
        times = [event.created_at for event in events]
        assert times == sorted(times) and len(set(times)) == len(times)
        moves = [e for e in events if e.kind == CaseEventKind.stage_change]
        edits = [e for e in events if e.kind == CaseEventKind.assessment_updated]
        assert len(moves) + len(edits) == case.version - 1
        assert (moves[-1].details["to"] if moves else Stage.identified) == case.stage
        assert any(event.kind == CaseEventKind.note and event.note for event in events)
