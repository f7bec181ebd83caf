"""Fixtures that build courses with a schedule and progress (a pytest plugin named in
`tests/conftest.py`)."""

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from datetime import date as D

import pytest
from sqlmodel import Session, select

from models import (
    Course,
    CourseCreate,
    Enrollment,
    Module,
    ModuleProgress,
    Participant,
    UserAccount,
)
from services.courses import catalog as courses
from tests.support import ENDS_ON

# (title, due on, required). On TODAY modules 1 and 2 are overdue; 3 is optional and not due.
SCHEDULE = [
    ("Detection", D(2018, 5, 20), True),
    ("Assistance", D(2018, 6, 10), True),
    ("Return", D(2018, 7, 1), False),
]
# (email, country, status, enrolled on, completed on, grade, [(state, last change day)] x3)
SCHEDULED = [
    ("ar1@c.test", "AR", "completed", D(2018, 5, 1), D(2018, 6, 1), 80.0,
     [("completed", 15), ("completed", 25), ("completed", 31)]),
    ("ar2@c.test", "AR", "completed", D(2018, 5, 1), D(2018, 6, 5), 90.0,
     [("completed_pass", 16), ("completed_pass", 26), ("not_started", None)]),
    ("ar3@c.test", "AR", "active", D(2018, 5, 10), None, None,
     [("completed", 15), ("in_progress", 43), ("not_started", None)]),
    ("ar4@c.test", "AR", "withdrawn", D(2018, 5, 1), None, None,
     [("in_progress", 5), ("not_started", None), ("not_started", None)]),
    ("br1@c.test", "BR", "active", D(2018, 5, 1), None, None,
     [("not_started", None), ("not_started", None), ("not_started", None)]),
    ("br2@c.test", "BR", "invited", D(2018, 6, 1), None, None, []),
    ("br3@c.test", "BR", "active", D(2018, 5, 1), None, None,
     [("completed_fail", 25), ("completed", 33), ("not_started", None)]),
    ("cl1@c.test", "CL", "completed", D(2018, 5, 2), D(2018, 6, 5), 70.0,
     [("completed", 10), ("completed", 20), ("completed", 30)]),
    ("xx1@c.test", None, "active", D(2018, 5, 3), None, None,
     [("completed", 12), ("completed", 22), ("not_started", None)]),
]  # fmt: skip


def _enroll(session: Session, course: Course, email: str, country: str | None, **enrollment):
    """A participant named after `email`, enrolled in `course` with `enrollment`'s fields
    (flushed: the enrollment has its id)."""
    participant = Participant(full_name=email.split("@")[0], email=email, country=country)
    session.add(participant)
    session.flush()
    enrolled = Enrollment(participant_id=participant.id, course_id=course.id, **enrollment)
    session.add(enrolled)
    session.flush()
    return enrolled


@pytest.fixture
def enroll_people(session: Session) -> Callable[[Course, list], None]:
    """`enroll_people(course, people)`: participants, enrollments and module states written
    straight to the tables; `people` rows are (email, country, status, final grade, state of
    each module in order), committed."""

    def enroll(course: Course, people: list) -> None:
        modules = session.exec(
            select(Module).where(Module.course_id == course.id).order_by(Module.position)
        ).all()
        for email, country, status, grade, *states in people:
            enrollment = _enroll(session, course, email, country, status=status, final_grade=grade)
            for module, state in zip(modules, states, strict=True):
                session.add(
                    ModuleProgress(enrollment_id=enrollment.id, module_id=module.id, state=state)
                )
        session.commit()

    return enroll


def _scheduled_course(session: Session, coordinator: UserAccount, code: str) -> Course:
    course = courses.create_course(
        session=session,
        actor=coordinator,
        course_in=CourseCreate(
            code=code, title=f"Course {code}", starts_on=D(2018, 5, 1), ends_on=ENDS_ON
        ),
    )
    modules = []
    for position, (title, due_on, required) in enumerate(SCHEDULE, start=1):
        module = Module(
            course_id=course.id, position=position, title=title, due_on=due_on,
            is_required=required,
        )  # fmt: skip
        session.add(module)
        modules.append(module)
    session.flush()
    for email, country, status, enrolled_on, completed_on, grade, states in SCHEDULED:
        enrollment = _enroll(
            session,
            course,
            email,
            country,
            status=status,
            enrolled_on=enrolled_on,
            completed_on=completed_on,
            final_grade=grade,
        )
        for module, (state, offset) in zip(modules, states, strict=False):
            changed = datetime(2018, 5, 1, 12, tzinfo=UTC) + timedelta(days=offset or 0)
            session.add(
                ModuleProgress(
                    enrollment_id=enrollment.id, module_id=module.id, state=state,
                    updated_at=changed,
                )
            )  # fmt: skip
    session.commit()
    return course


@pytest.fixture
def make_scheduled_course(session: Session) -> Callable[..., Course]:
    """`make_scheduled_course(coordinator, code="SCH-2018")`: SCHEDULED: AR with completions
    and a withdrawal, BR with none, CL all done, one unknown. Progress rows change on
    (May 1 + day offset)."""

    def make(coordinator: UserAccount, code: str = "SCH-2018") -> Course:
        return _scheduled_course(session, coordinator, code)

    return make


@pytest.fixture
def scheduled(session: Session, users: dict[str, UserAccount]) -> Course:
    """The SCHEDULED course, made by the coordinator."""
    return _scheduled_course(session, users["coordinator"], "SCH-2018")
