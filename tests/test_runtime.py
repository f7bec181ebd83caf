"""The app's cached reads: the same answers as the services, cleared by writes."""

import pytest

from models import ParticipantCreate
from services import courses, runtime, users


def test_a_cached_read_answers_as_the_service_until_a_write_clears_it(demo_db):
    coordinator = users.find_by_email(demo_db, "coordinator@enlace.test")
    course = courses.list_courses(session=demo_db, actor=coordinator)[0]
    direct = courses.count_enrollments(session=demo_db, actor=coordinator, course_id=course.id)
    assert runtime.cached(courses.count_enrollments, coordinator, course_id=course.id) == direct

    courses.add_participant_to_course(
        session=demo_db,
        actor=coordinator,
        course_id=course.id,
        participant_in=ParticipantCreate(full_name="Ana Prueba", email="ana.prueba@example.org"),
    )  # a write the cache has not seen
    assert runtime.cached(courses.count_enrollments, coordinator, course_id=course.id) == direct
    runtime.clear_caches()  # what every page does after its writes
    assert runtime.cached(courses.count_enrollments, coordinator, course_id=course.id) == direct + 1


def test_only_read_functions_can_be_cached(demo_db):
    coordinator = users.find_by_email(demo_db, "coordinator@enlace.test")
    with pytest.raises(ValueError, match="not a cached read"):
        runtime.cached(courses.create_course, coordinator, course_in=None)


def test_a_cached_read_checks_the_role_like_the_service(demo_db):
    officer = users.find_by_email(demo_db, "officer.ar@enlace.test")
    from services.errors import PermissionDenied

    with pytest.raises(PermissionDenied):
        runtime.cached(courses.count_enrollments, officer, course_id=1)
