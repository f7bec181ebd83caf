"""Changing courses and enrollments: editing and archiving courses, modules, participants,
statuses, and the module progress grid."""

from datetime import date

import pytest
from pydantic import ValidationError
from sqlmodel import select

from models import (
    AuditEvent,
    CourseUpdate,
    ModuleProgress,
    Participant,
    ParticipantCreate,
    ParticipantUpdate,
)
from models.base import utcnow
from models.enums import EnrollmentStatus, ProgressState
from services.courses import catalog as courses
from services.courses import changes as course_changes
from services.courses import grid as course_grid
from services.courses import tables as course_tables
from services.platform.errors import Conflict, PermissionDenied, StaleVersion
from tests.support import course_form, enroll

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
        session=session, actor=coordinator, course_in=course_form("CTR-2019"), modules=["One"]
    )
    course_changes.add_participant_to_course(
        session=session, actor=coordinator, course_id=other.id, participant_in=person
    )
    assert len(session.exec(select(Participant)).all()) == 1


def test_update_participant_completes_an_unknown_country(session, users, course, make_participant):
    coordinator = users["coordinator"]
    participant = make_participant(coordinator, "dario@consul.test", None)
    updated = course_changes.update_participant(
        session=session,
        actor=coordinator,
        participant_id=participant.id,
        participant_in=ParticipantUpdate(country="py"),
    )
    assert updated.country == "PY"
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "participant_updated")).one()
    assert event.changes == {"country": [None, "PY"]}
    make_participant(coordinator, "eva@consul.test", "CL")
    with pytest.raises(Conflict, match="eva@consul.test"):
        course_changes.update_participant(
            session=session,
            actor=coordinator,
            participant_id=participant.id,
            participant_in=ParticipantUpdate(email="EVA@consul.test"),
        )


def test_status_moves_forward_with_dates_and_refuses_other_moves(
    session, users, course, make_participant
):
    coordinator = users["coordinator"]
    participant = make_participant(coordinator, "ana@consul.test", "AR")
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


def test_status_change_on_a_stale_enrollment_is_refused(session, users, course, make_participant):
    coordinator = users["coordinator"]
    participant = make_participant(coordinator, "ana@consul.test", "AR")
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
        session=session, actor=users["coordinator"], course_in=course_form(code="W-1")
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
