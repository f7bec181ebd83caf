"""The catalog tests' course and its participants (a pytest plugin named in
`tests/conftest.py`). A test module that needs another course defines its own `course`
fixture, which pytest uses there instead."""

from collections.abc import Callable

import pytest
from sqlmodel import Session, select

from models import Course, Module, ModuleProgress, Participant, ParticipantCreate, UserAccount
from models.enums import ProgressState
from services.courses import catalog as courses
from tests.support import COURSE_MODULES, course_form, enroll


@pytest.fixture
def make_participant(session: Session) -> Callable[..., Participant]:
    """`make_participant(coordinator, email, country, name="")`: a participant created in
    its own unit of work (committed)."""

    def make(coordinator: UserAccount, email: str, country: str | None, name: str = ""):
        participant = courses.create_participant(
            session=session,
            actor=coordinator,
            participant_in=ParticipantCreate(
                full_name=name or email.split("@")[0].title(), email=email, country=country
            ),
        )
        session.commit()
        return participant

    return make


@pytest.fixture
def course(session: Session, users: dict[str, UserAccount]) -> Course:
    """A course of three modules (COURSE_MODULES), created (and committed) by the
    coordinator."""
    course = courses.create_course(
        session=session,
        actor=users["coordinator"],
        course_in=course_form(),
        modules=COURSE_MODULES,
    )
    session.commit()
    return course


def _set_state(session: Session, enrollment_id: int, position: int, state: ProgressState) -> None:
    module_progress = session.exec(
        select(ModuleProgress)
        .join(Module, Module.id == ModuleProgress.module_id)
        .where(ModuleProgress.enrollment_id == enrollment_id, Module.position == position)
    ).one()
    module_progress.state = state
    session.add(module_progress)
    session.commit()


@pytest.fixture
def enrolled(session, users, course, make_participant) -> dict[str, int]:
    """Four participants in `course`: enrollment ids by participant email."""
    coordinator = users["coordinator"]
    people = [
        ("ana@consul.test", "AR", "Ana Pérez", "completed"),
        ("bruno@consul.test", "BR", "Bruno Silva", "active"),
        ("carla@consul.test", "AR", "Carla 100% Gómez", "withdrawn"),
        ("dario@consul.test", None, "Darío Núñez", "invited"),
    ]
    ids = {}
    for email, country, name, status in people:
        participant = make_participant(coordinator, email, country, name)
        ids[email] = enroll(session, coordinator, participant, course, status=status).id
    _set_state(session, ids["ana@consul.test"], 1, ProgressState.completed_pass)
    _set_state(session, ids["ana@consul.test"], 2, ProgressState.completed)
    _set_state(session, ids["ana@consul.test"], 3, ProgressState.completed_fail)
    _set_state(session, ids["bruno@consul.test"], 1, ProgressState.in_progress)
    return ids
