"""The course catalog: its forms, creating and listing courses, participants and enrollments,
and each officer's own enrollments."""

from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import select

from models import (
    AuditEvent,
    Course,
    CourseCreate,
    EnrollmentCreate,
    Module,
    ModuleCreate,
    ModuleProgress,
    Participant,
    ParticipantCreate,
)
from models.base import utcnow
from models.enums import EnrollmentStatus, ProgressState, Role
from services.courses import catalog as courses
from services.courses import tables as course_tables
from services.platform import validation
from services.platform.errors import Conflict, NotFound, PermissionDenied
from tests.support import COURSE_MODULES, course_form, enroll

# ------------------------------------------------------------------ create schemas


def test_course_create_accepts_a_valid_course_and_strips_text():
    course_in = course_form(code=" CTR-2018 ", title="  Consular course  ")
    assert course_in.code == "CTR-2018"
    assert course_in.title == "Consular course"


def test_course_create_rejects_end_before_start():
    with pytest.raises(ValidationError, match="end date is before the start date"):
        course_form(starts_on=date(2018, 7, 3), ends_on=date(2018, 5, 7))


@pytest.mark.parametrize("code", ["", "x"])
def test_course_create_rejects_too_short_codes(code):
    with pytest.raises(ValidationError):
        course_form(code=code)


@pytest.mark.parametrize("code", ["-starts-with-dash", "has space"])
def test_course_create_rejects_codes_with_other_characters(code):
    with pytest.raises(ValidationError):
        course_form(code=code)


def test_module_create_requires_position_from_one_and_a_title():
    assert ModuleCreate(position=1, title="Intro", course_id=1).is_required is True
    with pytest.raises(ValidationError):
        ModuleCreate(position=0, title="Intro", course_id=1)
    with pytest.raises(ValidationError):
        ModuleCreate(position=1, title=" x ", course_id=1)


def test_participant_create_normalises_country_and_email():
    participant_in = ParticipantCreate(full_name="Ana Pérez", email="Ana@Consul.TEST", country="ar")
    assert participant_in.country == "AR"
    assert participant_in.email == "ana@consul.test"


def test_participant_create_rejects_unknown_country_and_bad_email():
    with pytest.raises(ValidationError, match="not an ISO 3166-1 alpha-2"):
        ParticipantCreate(full_name="Ana Pérez", email="ana@consul.test", country="ZZ")
    with pytest.raises(ValidationError, match="not a valid email address"):
        ParticipantCreate(full_name="Ana Pérez", email="ana-at-consul", country="AR")


def test_enrollment_create_rejects_completion_date_unless_completed_and_grade_over_100():
    with pytest.raises(ValidationError, match="only a completed enrollment"):
        EnrollmentCreate(
            participant_id=1, course_id=1, status="active", completed_on=date(2018, 7, 3)
        )
    with pytest.raises(ValidationError):
        EnrollmentCreate(participant_id=1, course_id=1, final_grade=101)
    completed = EnrollmentCreate(
        participant_id=1, course_id=1, status="completed", completed_on=date(2018, 7, 3)
    )
    assert completed.status == EnrollmentStatus.completed


# ----------------------------------------------------------------------- courses


def test_coordinator_creates_course_with_modules_in_order_and_an_audit_event(
    session, users, course
):
    modules = courses.list_modules(session=session, actor=users["coordinator"], course_id=course.id)
    assert [(module.position, module.title) for module in modules] == [
        (1, COURSE_MODULES[0]),
        (2, COURSE_MODULES[1]),
        (3, COURSE_MODULES[2]),
    ]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "course_created")).one()
    assert event.entity_id == str(course.id)
    assert event.actor_email == users["coordinator"].email
    assert event.changes["code"] == [None, "CTR-2018"]
    assert event.changes["modules"] == [None, COURSE_MODULES]


def test_create_course_skips_blank_module_lines(session, users):
    course = courses.create_course(
        session=session,
        actor=users["admin"],
        course_in=course_form("CTR-2019"),
        modules=["", "  Intro  ", "   ", "Closing"],
    )
    modules = courses.list_modules(session=session, actor=users["admin"], course_id=course.id)
    assert [module.title for module in modules] == ["Intro", "Closing"]


def test_duplicate_course_code_is_a_conflict_naming_the_code(session, users, course):
    with pytest.raises(Conflict, match="CTR-2018"):
        courses.create_course(
            session=session, actor=users["admin"], course_in=course_form(), modules=["Other"]
        )
    assert len(session.exec(select(Course)).all()) == 1


def test_invalid_module_line_is_reported_by_line_and_nothing_is_written(session, users):
    with pytest.raises(ValidationError) as caught:
        courses.create_course(
            session=session,
            actor=users["coordinator"],
            course_in=course_form(),
            modules=["Intro", "x"],
        )
    assert caught.value.errors()[0]["loc"] == ("modules", 1)
    assert validation.form_errors(caught.value) == {
        "modules": "Line 2: Too short: use at least 2 characters."
    }
    assert session.exec(select(Course)).all() == []


def test_module_listed_twice_is_a_conflict(session, users):
    with pytest.raises(Conflict, match="listed twice"):
        courses.create_course(
            session=session,
            actor=users["coordinator"],
            course_in=course_form(),
            modules=["Intro", "intro"],
        )


def test_officer_cannot_list_or_create_courses(session, users, course):
    officer = users["officer_ar"]
    with pytest.raises(PermissionDenied):
        courses.list_courses(session=session, actor=officer)
    with pytest.raises(PermissionDenied):
        courses.create_course(session=session, actor=officer, course_in=course_form("NEW-1"))


def test_manager_can_list_courses_but_not_create_them(session, users, course):
    listed = courses.list_courses(session=session, actor=users["manager"])
    assert [summary.code for summary in listed] == ["CTR-2018"]
    with pytest.raises(PermissionDenied):
        courses.create_course(session=session, actor=users["manager"], course_in=course_form("N-1"))


def test_inactive_coordinator_is_refused(session, users):
    coordinator = users["coordinator"]
    coordinator.is_active = False
    with pytest.raises(PermissionDenied):
        courses.list_courses(session=session, actor=coordinator)


def test_list_courses_counts_modules_enrollments_and_completions(
    session, users, course, make_participant
):
    coordinator = users["coordinator"]
    empty = courses.create_course(
        session=session, actor=coordinator, course_in=course_form("EMPTY-1", starts_on=None)
    )
    for index, status in enumerate(["completed", "completed", "active", "withdrawn"]):
        participant = make_participant(coordinator, f"p{index}@consul.test", "AR")
        enroll(
            session,
            coordinator,
            participant,
            course,
            status=status,
        )
    listed = courses.list_courses(session=session, actor=coordinator)
    # Newest first; a course without a start date comes last on every database.
    assert [row.code for row in listed] == ["CTR-2018", "EMPTY-1"]
    summaries = {row.code: row for row in listed}
    assert summaries["CTR-2018"] == courses.CourseSummary(
        id=course.id,
        code="CTR-2018",
        title=course.title,
        organiser="IOM / IPPDH",
        starts_on=date(2018, 5, 7),
        ends_on=date(2018, 7, 3),
        modules=3,
        enrolled=4,
        completed=2,
    )
    assert (summaries["EMPTY-1"].modules, summaries["EMPTY-1"].enrolled) == (0, 0)
    assert summaries["EMPTY-1"].id == empty.id


def test_archived_courses_are_listed_only_on_request(session, users, course):
    course.archived_at = utcnow()
    session.add(course)
    session.commit()
    coordinator = users["coordinator"]
    assert courses.list_courses(session=session, actor=coordinator) == []
    archived = courses.list_courses(session=session, actor=coordinator, include_archived=True)
    assert [row.code for row in archived] == ["CTR-2018"]


# --------------------------------------------------------- participants and enrollments


def test_duplicate_participant_email_is_a_conflict_whatever_the_case(
    session, users, make_participant
):
    coordinator = users["coordinator"]
    make_participant(coordinator, "ana@consul.test", "AR")
    with pytest.raises(Conflict, match="ana@consul.test"):
        make_participant(coordinator, "ANA@Consul.test", "BR")
    assert len(session.exec(select(Participant)).all()) == 1


def test_officer_and_manager_cannot_create_participants_or_enroll(
    session, users, course, make_participant
):
    participant = make_participant(users["coordinator"], "ana@consul.test", "AR")
    for role in ("officer_ar", "manager"):
        with pytest.raises(PermissionDenied):
            make_participant(users[role], "other@consul.test", "AR")
        with pytest.raises(PermissionDenied):
            enroll(
                session,
                users[role],
                participant,
                course,
            )


def test_enroll_starts_every_module_not_started_and_records_audit(
    session, users, course, make_participant
):
    participant = make_participant(users["coordinator"], "ana@consul.test", "AR")
    enrollment = enroll(
        session,
        users["coordinator"],
        participant,
        course,
        status=EnrollmentStatus.active,
    )
    assert enrollment.status == EnrollmentStatus.active
    assert enrollment.enrolled_on == utcnow().date()
    states = session.exec(
        select(ModuleProgress.state).where(ModuleProgress.enrollment_id == enrollment.id)
    ).all()
    assert sorted(states) == [ProgressState.not_started] * 3
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "enrollment_created")).one()
    assert event.entity_id == str(enrollment.id)
    assert event.changes["status"] == [None, "active"]


def test_duplicate_enrollment_is_a_conflict(session, users, course, make_participant):
    coordinator = users["coordinator"]
    participant = make_participant(coordinator, "ana@consul.test", "AR")
    arguments = {"participant_id": participant.id, "course_id": course.id}
    courses.enroll(session=session, actor=coordinator, **arguments)
    with pytest.raises(Conflict, match="already enrolled in CTR-2018"):
        courses.enroll(session=session, actor=coordinator, **arguments)


def test_enrolling_in_an_unknown_course_or_participant_is_not_found(
    session, users, course, make_participant
):
    coordinator = users["coordinator"]
    participant = make_participant(coordinator, "ana@consul.test", "AR")
    with pytest.raises(NotFound):
        courses.enroll(
            session=session, actor=coordinator, participant_id=participant.id, course_id=9999
        )
    with pytest.raises(NotFound):
        courses.enroll(session=session, actor=coordinator, participant_id=9999, course_id=course.id)


def test_list_enrollments_counts_completed_modules_without_failed_ones(
    session, users, course, enrolled
):
    rows = courses.list_enrollments(
        session=session, actor=users["coordinator"], course_id=course.id
    )
    by_email = {row.email: row for row in rows}
    assert [row.full_name for row in rows] == [
        "Ana Pérez",
        "Bruno Silva",
        "Carla 100% Gómez",
        "Darío Núñez",
    ]
    assert (
        by_email["ana@consul.test"].completed_modules,
        by_email["ana@consul.test"].total_modules,
    ) == (
        2,
        3,
    )
    assert by_email["bruno@consul.test"].completed_modules == 0
    assert by_email["dario@consul.test"].country is None


def test_list_enrollments_filters_by_country_status_and_search(session, users, course, enrolled):
    def emails(**filters):
        rows = courses.list_enrollments(
            session=session, actor=users["admin"], course_id=course.id, **filters
        )
        return [row.email for row in rows]

    assert emails(country="ar") == ["ana@consul.test", "carla@consul.test"]
    assert emails(status="active") == ["bruno@consul.test"]
    assert emails(country="AR", status=EnrollmentStatus.withdrawn) == ["carla@consul.test"]
    assert emails(search="SILVA") == ["bruno@consul.test"]
    assert emails(search="dario@") == ["dario@consul.test"]
    # "%" is searched for literally, not as a LIKE wildcard.
    assert emails(search="100%") == ["carla@consul.test"]
    assert emails(limit=2, offset=1) == ["bruno@consul.test", "carla@consul.test"]


def test_enrollment_list_is_for_staff_only(session, users, course, enrolled):
    for role in ("manager", "officer_ar"):
        with pytest.raises(PermissionDenied):
            courses.list_enrollments(session=session, actor=users[role], course_id=course.id)


def test_enrollment_countries_lists_known_countries_once(session, users, course, enrolled):
    countries = courses.enrollment_countries(
        session=session, actor=users["coordinator"], course_id=course.id
    )
    assert countries == ["AR", "BR"]


# ------------------------------------------------------------------ own enrollments


def test_officer_sees_own_enrollment_with_module_states(session, users, course, enrolled):
    officer = users["officer_ar"]
    ana = session.exec(select(Participant).where(Participant.email == "ana@consul.test")).one()
    officer.participant_id = ana.id
    session.add(officer)
    session.commit()
    # A module added after enrolling shows as not started.
    session.add(Module(course_id=course.id, position=4, title="Final assessment"))
    session.commit()

    [mine] = courses.my_enrollments(session=session, actor=officer)
    assert (mine.course_code, mine.status) == ("CTR-2018", "completed")
    assert [(module.title, module.state) for module in mine.modules] == [
        (COURSE_MODULES[0], "completed_pass"),
        (COURSE_MODULES[1], "completed"),
        (COURSE_MODULES[2], "completed_fail"),
        ("Final assessment", "not_started"),
    ]
    assert (mine.completed_modules, mine.total_modules) == (2, 4)
    modules = courses.list_modules(session=session, actor=officer, course_id=course.id)
    assert len(modules) == 4


def test_account_without_participant_has_no_enrollments(session, users, course, enrolled):
    assert courses.my_enrollments(session=session, actor=users["manager"]) == []


def test_officer_cannot_read_modules_of_a_course_they_are_not_in(session, users, course):
    with pytest.raises(PermissionDenied):
        courses.list_modules(session=session, actor=users["officer_br"], course_id=course.id)


def test_officer_enrolled_in_a_course_without_modules_sees_it(
    session, users, make_user, make_participant
):
    coordinator = users["coordinator"]
    course = courses.create_course(
        session=session, actor=coordinator, course_in=course_form("NM-1")
    )
    participant = make_participant(coordinator, "eva@consul.test", "CL")
    enroll(session, coordinator, participant, course)
    officer = make_user("eva@consul.test", Role.officer, "CL")
    officer.participant_id = participant.id
    [mine] = courses.my_enrollments(session=session, actor=officer)
    assert (mine.course_code, mine.modules) == ("NM-1", [])


# ---------------------------------------------------------------------- form errors


def test_form_errors_are_plain_words_per_field():
    with pytest.raises(ValidationError) as caught:
        CourseCreate(code="x", title="ab", starts_on="someday")
    assert validation.form_errors(caught.value) == {
        "code": "Too short: use at least 2 characters.",
        "title": "Too short: use at least 3 characters.",
        "starts_on": "Enter a valid date.",
    }
    with pytest.raises(ValidationError) as caught:
        course_form(starts_on=date(2018, 7, 3), ends_on=date(2018, 5, 7))
    assert validation.form_errors(caught.value) == {
        validation.FORM_LEVEL: "The end date is before the start date."
    }
    with pytest.raises(ValidationError) as caught:
        ParticipantCreate(full_name="Ana", email="ana@consul.test", country="ZZ")
    assert validation.form_errors(caught.value) == {
        "country": "'ZZ' is not an ISO 3166-1 alpha-2 country code."
    }


def test_form_error_for_a_code_with_a_space_says_which_characters_to_use():
    with pytest.raises(ValidationError) as caught:
        course_form(code="bad code")
    assert validation.form_errors(caught.value) == {
        "code": (
            "Use only letters, digits, dots, dashes and underscores, "
            "starting with a letter or a digit."
        )
    }


def test_tables_for_pages_have_one_row_per_item(session, users, course, enrolled):
    coordinator = users["coordinator"]
    summaries = courses.list_courses(session=session, actor=coordinator)
    assert course_tables.courses_table(summaries).shape == (1, 9)
    rows = courses.list_enrollments(session=session, actor=coordinator, course_id=course.id)
    table = course_tables.enrollments_table(rows)
    assert list(table["Modules completed"]) == ["2 / 3", "0 / 3", "0 / 3", "0 / 3"]
    assert list(table["Country"]) == ["Argentina", "Brazil", "Argentina", "—"]


def test_unique_constraint_race_is_a_conflict_and_rolls_back(
    session, users, course, monkeypatch, make_participant
):
    """Another app replica saved the same code between our check and our commit."""
    monkeypatch.setattr(courses, "row_exists", lambda session, query: False)
    coordinator = users["coordinator"]
    with pytest.raises(Conflict, match="CTR-2018"):
        courses.create_course(session=session, actor=coordinator, course_in=course_form())
    participant = make_participant(coordinator, "ana@consul.test", "AR")
    with pytest.raises(Conflict, match="ana@consul.test"):
        make_participant(coordinator, "ana@consul.test", "AR")
    arguments = {"participant_id": participant.id, "course_id": course.id}
    courses.enroll(session=session, actor=coordinator, **arguments)
    session.commit()
    with pytest.raises(Conflict, match="already enrolled"):
        courses.enroll(session=session, actor=coordinator, **arguments)
    # The session is usable after the rollback, and nothing half-written remains.
    assert len(courses.list_courses(session=session, actor=coordinator)) == 1
    created = session.exec(select(AuditEvent.action)).all()
    assert sorted(created) == [
        "course_created",
        "enrollment_created",
        "participant_created",
    ]
