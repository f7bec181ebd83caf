from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import select

from models import (
    AuditEvent,
    Course,
    CourseCreate,
    CourseUpdate,
    EnrollmentCreate,
    Module,
    ModuleCreate,
    ModuleProgress,
    Participant,
    ParticipantCreate,
    ParticipantUpdate,
)
from models.base import utcnow
from models.enums import EnrollmentStatus, ProgressState, Role
from services.courses import catalog as courses
from services.courses import changes as course_changes
from services.courses import grid as course_grid
from services.courses import tables as course_tables
from services.platform import validation
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion

MODULES = ["Trafficking and smuggling", "Assistance to victims", "Return coordination"]


def _course_in(code: str = "CTR-2018", **fields: object) -> CourseCreate:
    values: dict[str, object] = {
        "code": code,
        "title": "Consular detection of trafficking",
        "organiser": "IOM / IPPDH",
        "starts_on": date(2018, 5, 7),
        "ends_on": date(2018, 7, 3),
    }
    values.update(fields)
    return CourseCreate(**values)


def _participant(session, coordinator, email: str, country: str | None, name: str = ""):
    """A participant created in its own unit of work (committed)."""
    participant = courses.create_participant(
        session=session,
        actor=coordinator,
        participant_in=ParticipantCreate(
            full_name=name or email.split("@")[0].title(), email=email, country=country
        ),
    )
    session.commit()
    return participant


def _set_state(session, enrollment_id: int, position: int, state: ProgressState) -> None:
    module_progress = session.exec(
        select(ModuleProgress)
        .join(Module, Module.id == ModuleProgress.module_id)
        .where(ModuleProgress.enrollment_id == enrollment_id, Module.position == position)
    ).one()
    module_progress.state = state
    session.add(module_progress)
    session.commit()


@pytest.fixture
def course(session, users) -> Course:
    """A course of three modules, created (and committed) by the coordinator."""
    course = courses.create_course(
        session=session, actor=users["coordinator"], course_in=_course_in(), modules=MODULES
    )
    session.commit()
    return course


# ------------------------------------------------------------------ create schemas


def test_course_create_accepts_a_valid_course_and_strips_text():
    course_in = _course_in(code=" CTR-2018 ", title="  Consular course  ")
    assert course_in.code == "CTR-2018"
    assert course_in.title == "Consular course"


def test_course_create_rejects_end_before_start():
    with pytest.raises(ValidationError, match="end date is before the start date"):
        _course_in(starts_on=date(2018, 7, 3), ends_on=date(2018, 5, 7))


@pytest.mark.parametrize("code", ["", "x"])
def test_course_create_rejects_too_short_codes(code):
    with pytest.raises(ValidationError):
        _course_in(code=code)


@pytest.mark.parametrize("code", ["-starts-with-dash", "has space"])
def test_course_create_rejects_codes_with_other_characters(code):
    with pytest.raises(ValidationError):
        _course_in(code=code)


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
        (1, MODULES[0]),
        (2, MODULES[1]),
        (3, MODULES[2]),
    ]
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "course_created")).one()
    assert event.entity_id == str(course.id)
    assert event.actor_email == users["coordinator"].email
    assert event.changes["code"] == [None, "CTR-2018"]
    assert event.changes["modules"] == [None, MODULES]


def test_create_course_skips_blank_module_lines(session, users):
    course = courses.create_course(
        session=session,
        actor=users["admin"],
        course_in=_course_in("CTR-2019"),
        modules=["", "  Intro  ", "   ", "Closing"],
    )
    modules = courses.list_modules(session=session, actor=users["admin"], course_id=course.id)
    assert [module.title for module in modules] == ["Intro", "Closing"]


def test_duplicate_course_code_is_a_conflict_naming_the_code(session, users, course):
    with pytest.raises(Conflict, match="CTR-2018"):
        courses.create_course(
            session=session, actor=users["admin"], course_in=_course_in(), modules=["Other"]
        )
    assert len(session.exec(select(Course)).all()) == 1


def test_invalid_module_line_is_reported_by_line_and_nothing_is_written(session, users):
    with pytest.raises(ValidationError) as caught:
        courses.create_course(
            session=session,
            actor=users["coordinator"],
            course_in=_course_in(),
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
            course_in=_course_in(),
            modules=["Intro", "intro"],
        )


def test_officer_cannot_list_or_create_courses(session, users, course):
    officer = users["officer_ar"]
    with pytest.raises(PermissionDenied):
        courses.list_courses(session=session, actor=officer)
    with pytest.raises(PermissionDenied):
        courses.create_course(session=session, actor=officer, course_in=_course_in("NEW-1"))


def test_manager_can_list_courses_but_not_create_them(session, users, course):
    listed = courses.list_courses(session=session, actor=users["manager"])
    assert [summary.code for summary in listed] == ["CTR-2018"]
    with pytest.raises(PermissionDenied):
        courses.create_course(session=session, actor=users["manager"], course_in=_course_in("N-1"))


def test_inactive_coordinator_is_refused(session, users):
    coordinator = users["coordinator"]
    coordinator.is_active = False
    with pytest.raises(PermissionDenied):
        courses.list_courses(session=session, actor=coordinator)


def enroll(session, actor, participant, course, **fields):
    """`courses.enroll` of `participant` in `course`, with `fields` (status, enrolled_on)."""
    return courses.enroll(
        session=session,
        actor=actor,
        participant_id=participant.id,
        course_id=course.id,
        **fields,
    )


def test_list_courses_counts_modules_enrollments_and_completions(session, users, course):
    coordinator = users["coordinator"]
    empty = courses.create_course(
        session=session, actor=coordinator, course_in=_course_in("EMPTY-1", starts_on=None)
    )
    for index, status in enumerate(["completed", "completed", "active", "withdrawn"]):
        participant = _participant(session, coordinator, f"p{index}@consul.test", "AR")
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


def test_duplicate_participant_email_is_a_conflict_whatever_the_case(session, users):
    coordinator = users["coordinator"]
    _participant(session, coordinator, "ana@consul.test", "AR")
    with pytest.raises(Conflict, match="ana@consul.test"):
        _participant(session, coordinator, "ANA@Consul.test", "BR")
    assert len(session.exec(select(Participant)).all()) == 1


def test_officer_and_manager_cannot_create_participants_or_enroll(session, users, course):
    participant = _participant(session, users["coordinator"], "ana@consul.test", "AR")
    for role in ("officer_ar", "manager"):
        with pytest.raises(PermissionDenied):
            _participant(session, users[role], "other@consul.test", "AR")
        with pytest.raises(PermissionDenied):
            enroll(
                session,
                users[role],
                participant,
                course,
            )


def test_enroll_starts_every_module_not_started_and_records_audit(session, users, course):
    participant = _participant(session, users["coordinator"], "ana@consul.test", "AR")
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


def test_duplicate_enrollment_is_a_conflict(session, users, course):
    coordinator = users["coordinator"]
    participant = _participant(session, coordinator, "ana@consul.test", "AR")
    arguments = {"participant_id": participant.id, "course_id": course.id}
    courses.enroll(session=session, actor=coordinator, **arguments)
    with pytest.raises(Conflict, match="already enrolled in CTR-2018"):
        courses.enroll(session=session, actor=coordinator, **arguments)


def test_enrolling_in_an_unknown_course_or_participant_is_not_found(session, users, course):
    coordinator = users["coordinator"]
    participant = _participant(session, coordinator, "ana@consul.test", "AR")
    with pytest.raises(NotFound):
        courses.enroll(
            session=session, actor=coordinator, participant_id=participant.id, course_id=9999
        )
    with pytest.raises(NotFound):
        courses.enroll(session=session, actor=coordinator, participant_id=9999, course_id=course.id)


@pytest.fixture
def enrolled(session, users, course) -> dict[str, int]:
    """Four participants in the course: enrollment ids by participant email."""
    coordinator = users["coordinator"]
    people = [
        ("ana@consul.test", "AR", "Ana Pérez", "completed"),
        ("bruno@consul.test", "BR", "Bruno Silva", "active"),
        ("carla@consul.test", "AR", "Carla 100% Gómez", "withdrawn"),
        ("dario@consul.test", None, "Darío Núñez", "invited"),
    ]
    ids = {}
    for email, country, name, status in people:
        participant = _participant(session, coordinator, email, country, name)
        ids[email] = enroll(
            session,
            coordinator,
            participant,
            course,
            status=status,
        ).id
    _set_state(session, ids["ana@consul.test"], 1, ProgressState.completed_pass)
    _set_state(session, ids["ana@consul.test"], 2, ProgressState.completed)
    _set_state(session, ids["ana@consul.test"], 3, ProgressState.completed_fail)
    _set_state(session, ids["bruno@consul.test"], 1, ProgressState.in_progress)
    return ids


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
        (MODULES[0], "completed_pass"),
        (MODULES[1], "completed"),
        (MODULES[2], "completed_fail"),
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


def test_officer_enrolled_in_a_course_without_modules_sees_it(session, users, make_user):
    coordinator = users["coordinator"]
    course = courses.create_course(session=session, actor=coordinator, course_in=_course_in("NM-1"))
    participant = _participant(session, coordinator, "eva@consul.test", "CL")
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
        _course_in(starts_on=date(2018, 7, 3), ends_on=date(2018, 5, 7))
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
        _course_in(code="bad code")
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


def test_unique_constraint_race_is_a_conflict_and_rolls_back(session, users, course, monkeypatch):
    """Another app replica saved the same code between our check and our commit."""
    monkeypatch.setattr(courses, "row_exists", lambda session, query: False)
    coordinator = users["coordinator"]
    with pytest.raises(Conflict, match="CTR-2018"):
        courses.create_course(session=session, actor=coordinator, course_in=_course_in())
    participant = _participant(session, coordinator, "ana@consul.test", "AR")
    with pytest.raises(Conflict, match="ana@consul.test"):
        _participant(session, coordinator, "ana@consul.test", "AR")
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


# ------------------------------------------------------------------ editing courses


def test_update_course_changes_fields_and_records_old_and_new(session, users, course):
    updated = course_changes.update_course(
        session=session,
        actor=users["coordinator"],
        course_id=course.id,
        course_in=CourseUpdate(title="Consular detection, 2nd edition"),
    )
    assert updated.title == "Consular detection, 2nd edition"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "course_updated")).one()
    assert event.changes == {
        "title": ["Consular detection of trafficking", "Consular detection, 2nd edition"]
    }
    with pytest.raises(Conflict, match="end date is before"):
        course_changes.update_course(
            session=session,
            actor=users["coordinator"],
            course_id=course.id,
            course_in=CourseUpdate(ends_on=date(2018, 1, 1)),
        )


def test_archive_and_restore_a_course(session, users, course):
    coordinator = users["coordinator"]
    course_changes.archive_course(session=session, actor=coordinator, course_id=course.id)
    assert courses.list_courses(session=session, actor=coordinator) == []
    [archived] = courses.list_courses(session=session, actor=coordinator, include_archived=True)
    assert archived.archived
    course_changes.archive_course(
        session=session, actor=coordinator, course_id=course.id, archived=False
    )
    assert [row.code for row in courses.list_courses(session=session, actor=coordinator)] == [
        "CTR-2018"
    ]
    actions = session.exec(select(AuditEvent.action).where(AuditEvent.entity == "course")).all()
    assert actions.count("course_archived") == 1 and actions.count("course_restored") == 1
    with pytest.raises(PermissionDenied):
        course_changes.archive_course(session=session, actor=users["manager"], course_id=course.id)


def test_save_modules_reorders_edits_and_adds(session, users, course):
    modules = courses.list_modules(session=session, actor=users["coordinator"], course_id=course.id)
    rows = [
        course_changes.ModuleRow(id=modules[1].id, position=1, title=modules[1].title),
        course_changes.ModuleRow(
            id=modules[0].id, position=2, title="Trafficking vs smuggling", is_required=False
        ),
        course_changes.ModuleRow(
            id=None, position=4, title="Final assessment", due_on=date(2018, 7, 3)
        ),
    ]
    course_changes.save_modules(
        session=session, actor=users["coordinator"], course_id=course.id, rows=rows
    )
    after = courses.list_modules(session=session, actor=users["coordinator"], course_id=course.id)
    assert [(m.position, m.title, m.is_required) for m in after] == [
        (1, "Assistance to victims", True),
        (2, "Trafficking vs smuggling", False),
        (3, "Return coordination", True),
        (4, "Final assessment", True),
    ]
    with pytest.raises(Conflict, match="listed twice"):
        course_changes.save_modules(
            session=session,
            actor=users["coordinator"],
            course_id=course.id,
            rows=[course_changes.ModuleRow(id=None, position=5, title="return COORDINATION")],
        )
    with pytest.raises(ValidationError):
        course_changes.save_modules(
            session=session,
            actor=users["coordinator"],
            course_id=course.id,
            rows=[course_changes.ModuleRow(id=None, position=0, title="x")],
        )


# ------------------------------------------------------- add, correct, change status


def test_add_participant_to_course_creates_person_and_enrollment_once(session, users, course):
    coordinator = users["coordinator"]
    person = ParticipantCreate(full_name="Nora Díaz", email="Nora@Consul.test", country="uy")
    enrollment = course_changes.add_participant_to_course(
        session=session, actor=coordinator, course_id=course.id, participant_in=person
    )
    assert enrollment.status == EnrollmentStatus.invited
    states = session.exec(
        select(ModuleProgress.state).where(ModuleProgress.enrollment_id == enrollment.id)
    ).all()
    assert len(states) == 3
    with pytest.raises(Conflict, match="already enrolled"):
        course_changes.add_participant_to_course(
            session=session, actor=coordinator, course_id=course.id, participant_in=person
        )
    # The same person in a second course reuses the participant.
    other = courses.create_course(
        session=session, actor=coordinator, course_in=_course_in("CTR-2019"), modules=["One"]
    )
    course_changes.add_participant_to_course(
        session=session, actor=coordinator, course_id=other.id, participant_in=person
    )
    assert len(session.exec(select(Participant)).all()) == 1


def test_update_participant_completes_an_unknown_country(session, users, course):
    coordinator = users["coordinator"]
    participant = _participant(session, coordinator, "dario@consul.test", None)
    updated = course_changes.update_participant(
        session=session,
        actor=coordinator,
        participant_id=participant.id,
        participant_in=ParticipantUpdate(country="py"),
    )
    assert updated.country == "PY"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "participant_updated")).one()
    assert event.changes == {"country": [None, "PY"]}
    _participant(session, coordinator, "eva@consul.test", "CL")
    with pytest.raises(Conflict, match="eva@consul.test"):
        course_changes.update_participant(
            session=session,
            actor=coordinator,
            participant_id=participant.id,
            participant_in=ParticipantUpdate(email="EVA@consul.test"),
        )


def test_status_moves_forward_with_dates_and_refuses_other_moves(session, users, course):
    coordinator = users["coordinator"]
    participant = _participant(session, coordinator, "ana@consul.test", "AR")
    enrollment = enroll(
        session,
        coordinator,
        participant,
        course,
        enrolled_on=date(2018, 5, 1),
    )
    change = {"session": session, "actor": coordinator, "enrollment_id": enrollment.id}
    with pytest.raises(Conflict, match="cannot become"):
        course_changes.change_enrollment_status(**change, status="completed")
    active = course_changes.change_enrollment_status(**change, status="active", on=date(2018, 5, 7))
    assert (active.status, active.enrolled_on) == ("active", date(2018, 5, 7))
    with pytest.raises(Conflict, match="before the enrollment date"):
        course_changes.change_enrollment_status(**change, status="completed", on=date(2018, 5, 1))
    done = course_changes.change_enrollment_status(
        **change, status="completed", on=date(2018, 7, 3)
    )
    assert (done.status, done.completed_on) == ("completed", date(2018, 7, 3))
    again = course_changes.change_enrollment_status(**change, status="active")
    assert again.completed_on is None
    withdrawn = course_changes.change_enrollment_status(
        **change, status="withdrawn", on=date(2018, 8, 1)
    )
    assert withdrawn.status == "withdrawn"
    event = session.exec(
        select(AuditEvent)
        .where(AuditEvent.action == "enrollment_status_changed")
        .order_by(AuditEvent.id.desc())
    ).first()
    assert event.changes["status"] == ["active", "withdrawn"]
    assert event.changes["withdrawn_on"] == [None, "2018-08-01"]


def test_status_change_on_a_stale_enrollment_is_refused(session, users, course):
    coordinator = users["coordinator"]
    participant = _participant(session, coordinator, "ana@consul.test", "AR")
    enrollment = enroll(session, coordinator, participant, course)
    seen = enrollment.updated_at
    course_changes.change_enrollment_status(
        session=session, actor=coordinator, enrollment_id=enrollment.id, status="active"
    )
    with pytest.raises(StaleVersion):
        course_changes.change_enrollment_status(
            session=session,
            actor=coordinator,
            enrollment_id=enrollment.id,
            status="withdrawn",
            expected_updated_at=seen,
        )


# ------------------------------------------------------------------- progress grid


def test_progress_band_filter_and_count(session, users, course, enrolled):
    def emails(band):
        rows = courses.list_enrollments(
            session=session, actor=users["coordinator"], course_id=course.id, progress_band=band
        )
        total = courses.count_enrollments(
            session=session, actor=users["coordinator"], course_id=course.id, progress_band=band
        )
        assert total == len(rows)
        return [row.email for row in rows]

    assert emails("none") == ["bruno@consul.test", "carla@consul.test", "dario@consul.test"]
    assert emails("over_half") == ["ana@consul.test"]
    assert emails("all_done") == []
    assert emails("under_half") == []
    assert (
        courses.count_enrollments(
            session=session, actor=users["coordinator"], course_id=course.id, country="--"
        )
        == 1
    )


def save_grid(session, actor, course, grid, **edits) -> int:
    """Save `edits` (states=, final_grades=) to the rows `grid` showed, as the page's Save."""
    return course_grid.save_progress(
        session=session,
        actor=actor,
        course_id=course.id,
        token=grid.token,
        enrollment_ids=grid.enrollment_ids,
        **edits,
    )


def test_progress_grid_saves_cells_in_one_transaction_with_audit(session, users, course, enrolled):
    coordinator = users["coordinator"]
    grid = course_grid.progress_grid(session=session, actor=coordinator, course_id=course.id)
    assert [row.email for row in grid.rows][0] == "ana@consul.test"
    bruno = next(row for row in grid.rows if row.email == "bruno@consul.test")
    first, second = grid.modules[0].id, grid.modules[1].id
    assert bruno.states[first] == "in_progress"
    frame = course_tables.progress_grid_frame(grid)
    frame.loc[bruno.enrollment_id, course_tables.module_column(first)] = "Completed (pass)"
    frame.loc[bruno.enrollment_id, course_tables.GRID_FINAL_GRADE] = 91.5
    states, grades = course_tables.grid_edits(grid, frame)
    assert states == {(bruno.enrollment_id, first): ProgressState.completed_pass}
    assert grades == {bruno.enrollment_id: 91.5}
    changed = save_grid(
        session,
        coordinator,
        course,
        grid,
        states={**states, (bruno.enrollment_id, second): ProgressState.in_progress},
        final_grades=grades,
    )
    assert changed == 3
    progress = session.exec(
        select(ModuleProgress).where(
            ModuleProgress.enrollment_id == bruno.enrollment_id, ModuleProgress.module_id == first
        )
    ).one()
    assert progress.state == ProgressState.completed_pass
    assert progress.completed_on == utcnow().date()
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "progress_updated")).all()
    assert {tuple(event.changes["state"]) for event in events} == {
        ("in_progress", "completed_pass"),
        ("not_started", "in_progress"),
    }


def test_stale_grid_is_refused_and_nothing_is_overwritten(session, users, course, enrolled):
    coordinator = users["coordinator"]
    mine = course_grid.progress_grid(session=session, actor=coordinator, course_id=course.id)
    theirs = course_grid.progress_grid(session=session, actor=users["admin"], course_id=course.id)
    bruno = next(row.enrollment_id for row in mine.rows if row.email == "bruno@consul.test")
    module_id = mine.modules[0].id
    save_grid(
        session,
        users["admin"],
        course,
        theirs,
        states={(bruno, module_id): ProgressState.completed},
    )
    with pytest.raises(StaleVersion, match="nothing was overwritten"):
        save_grid(
            session,
            coordinator,
            course,
            mine,
            states={(bruno, module_id): ProgressState.completed_fail},
        )
    state = session.exec(
        select(ModuleProgress.state).where(
            ModuleProgress.enrollment_id == bruno, ModuleProgress.module_id == module_id
        )
    ).one()
    assert state == ProgressState.completed
    # A fresh grid saves.
    fresh = course_grid.progress_grid(session=session, actor=coordinator, course_id=course.id)
    assert fresh.token != mine.token
    save_grid(
        session,
        coordinator,
        course,
        fresh,
        states={(bruno, module_id): ProgressState.completed_fail},
    )


def test_grid_pages_and_refuses_rows_it_did_not_show(session, users, course, enrolled):
    coordinator = users["coordinator"]
    page = course_grid.progress_grid(
        session=session, actor=coordinator, course_id=course.id, limit=2, offset=1
    )
    assert [row.email for row in page.rows] == ["bruno@consul.test", "carla@consul.test"]
    ana = enrolled["ana@consul.test"]
    with pytest.raises(Conflict, match="rows shown"):
        save_grid(
            session,
            coordinator,
            course,
            page,
            final_grades={ana: 50.0},
        )
    with pytest.raises(PermissionDenied):
        course_grid.progress_grid(session=session, actor=users["manager"], course_id=course.id)


def test_withdrawal_records_its_date_and_reactivation_clears_it(session, users):
    from datetime import date

    from models.enums import EnrollmentStatus

    course = courses.create_course(
        session=session, actor=users["coordinator"], course_in=_course_in(code="W-1")
    )
    person = courses.create_participant(
        session=session,
        actor=users["coordinator"],
        participant_in=ParticipantCreate(full_name="Rosa Quispe", email="rosa.q@mre.test"),
    )
    enrollment = enroll(
        session,
        users["coordinator"],
        person,
        course,
        status=EnrollmentStatus.active,
    )
    change = {"session": session, "actor": users["coordinator"], "enrollment_id": enrollment.id}
    withdrawn = course_changes.change_enrollment_status(
        **change,
        status=EnrollmentStatus.withdrawn,
        on=date(2026, 10, 1),
        expected_updated_at=enrollment.updated_at,
    )
    assert withdrawn.withdrawn_on == date(2026, 10, 1)
    back = course_changes.change_enrollment_status(
        **change, status=EnrollmentStatus.active, expected_updated_at=withdrawn.updated_at
    )
    assert back.withdrawn_on is None
