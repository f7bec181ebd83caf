"""The app's cached reads: the same answers as the services, cleared by writes."""

import pytest

from models import ParticipantCreate
from services.courses import catalog as courses
from services.courses import changes as course_changes
from services.platform import users
from services.platform.errors import PermissionDenied
from services.ui import runtime


def test_a_cached_read_answers_as_the_service_and_sees_any_committed_write(demo_db):
    coordinator = users.find_by_email(demo_db, "coordinator@enlace.test")
    course = courses.list_courses(session=demo_db, actor=coordinator)[0]
    direct = courses.count_enrollments(session=demo_db, actor=coordinator, course_id=course.id)
    assert runtime.count_enrollments(coordinator, course_id=course.id) == direct

    course_changes.add_participant_to_course(
        session=demo_db,
        actor=coordinator,
        course_id=course.id,
        participant_in=ParticipantCreate(full_name="Ana Prueba", email="ana.prueba@example.org"),
    )  # a write this process's caches were not told about (as from another server)
    assert runtime.count_enrollments(coordinator, course_id=course.id) == direct  # uncommitted
    demo_db.commit()  # bumps the courses data version: the cached entry's key is old
    assert runtime.count_enrollments(coordinator, course_id=course.id) == direct + 1


def test_each_cached_read_has_its_own_cache_and_key_by_scope(demo_db):
    coordinator = users.find_by_email(demo_db, "coordinator@enlace.test")
    course = courses.list_courses(session=demo_db, actor=coordinator)[0]
    assert runtime.count_enrollments(coordinator, course_id=course.id) != runtime.list_enrollments(
        coordinator, course_id=course.id
    )  # two reads with the same arguments do not share an entry
    manager = users.find_by_email(demo_db, "manager@enlace.test")
    with pytest.raises(PermissionDenied):  # another scope: the service is asked again
        runtime.count_enrollments(manager, course_id=course.id)


def test_a_cached_read_checks_the_role_like_the_service(demo_db):
    officer = users.find_by_email(demo_db, "officer.ar@enlace.test")
    with pytest.raises(PermissionDenied):
        runtime.count_enrollments(officer, course_id=1)
