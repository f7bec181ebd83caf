"""The Courses & enrollment page and Home under AppTest, signed in as demo accounts."""

from pathlib import Path

import pytest
from sqlmodel import select

from models import Course, Enrollment, Participant
from tests.support import ACCOUNTS

PAGE = "pages/courses.py"
FIXTURES = Path(__file__).parent / "fixtures" / "moodle"


@pytest.fixture
def courses_page(app_as):
    """`courses_page(who="coordinator")`: the Courses page, signed in as a demo account."""

    def open_(who: str = "coordinator"):
        at = app_as(ACCOUNTS[who]).run()
        at.session_state["language"] = "en"
        at.switch_page(PAGE).run()
        assert not at.exception, at.exception
        return at

    return open_


def by_key(elements, key: str):
    [element] = [element for element in elements if element.key == key]
    return element


def click(at, key: str):
    """Click the button `key`: the page reruns without an exception."""
    by_key(at.button, key).click().run()
    assert not at.exception, at.exception
    return at


def choose_section(at, section: str):
    by_key(at.button_group, "courses_section").set_value(section).run()
    assert not at.exception, at.exception
    return at


def test_coordinator_adds_a_course_with_modules(demo_db, courses_page):
    at = choose_section(courses_page(), "new")
    by_key(at.text_input, "new_code").input("HT-2027")
    by_key(at.text_input, "new_title").input("Return and reintegration")
    by_key(at.text_area, "new_modules").input("First contact\nSafe return")
    click(at, "add_course_submit")
    assert "Course HT-2027 added." in [message.value for message in at.success]
    course = demo_db.exec(select(Course).where(Course.code == "HT-2027")).one()
    assert at.selectbox(key="course_id").value == course.id


def test_course_form_errors_are_shown_under_the_fields(demo_db, courses_page):
    at = choose_section(courses_page(), "new")
    by_key(at.text_input, "new_code").input("bad code")
    by_key(at.text_input, "new_title").input("ab")
    by_key(at.button, "add_course_submit").click().run()
    errors = " ".join(error.value for error in at.error)
    assert "Use only letters" in errors and "at least 3 characters" in errors


@pytest.mark.parametrize("who", ["officer", "manager"])
def test_officers_and_managers_cannot_open_the_courses_page(demo_db, app_as, who):
    at = app_as(ACCOUNTS[who]).run()
    with pytest.raises(ValueError, match="Could not find a navigation page"):
        at.switch_page(PAGE)


def test_enrollments_are_listed_and_filtered_by_unknown_country(demo_db, courses_page):
    at = courses_page()
    table = at.dataframe[1].value
    assert len(table) > 0
    by_key(at.selectbox, "enrollments_country").set_value("--").run()
    assert not at.exception, at.exception
    captions = " ".join(caption.value for caption in at.caption)
    assert "enrollments match" in captions


def test_coordinator_enrolls_a_participant_and_a_duplicate_is_refused(demo_db, courses_page):
    at = courses_page()
    by_key(at.text_input, "participant_name").input("Nora Díaz")
    by_key(at.text_input, "participant_email").input("nora.diaz@consul.test")
    by_key(at.selectbox, "participant_country").set_value("UY")
    click(at, "participant_submit")
    assert "Nora Díaz enrolled." in [message.value for message in at.success]
    nora = demo_db.exec(
        select(Participant).where(Participant.email == "nora.diaz@consul.test")
    ).one()
    assert nora.country == "UY"
    by_key(at.text_input, "participant_name").input("Nora Díaz")
    by_key(at.text_input, "participant_email").input("NORA.DIAZ@consul.test")
    by_key(at.button, "participant_submit").click().run()
    assert any("already enrolled" in error.value for error in at.error)
    by_key(at.text_input, "participant_email").input("nora-at-consul")
    by_key(at.button, "participant_submit").click().run()
    assert any("not a valid email" in error.value for error in at.error)


def test_coordinator_imports_a_moodle_file_after_the_preview(demo_db, courses_page):
    at = choose_section(courses_page(), "import")
    content = (FIXTURES / "user_upload_latin1_semicolon.csv").read_bytes()
    at.file_uploader[0].set_value(("users.csv", content, "text/csv")).run()
    click(at, "import_preview")
    assert [metric.value for metric in at.metric] == ["2", "0", "0", "0"]
    emails = ["jose.benitez@mre.py.test", "carmen.penaloza@rree.pe.test"]
    assert not demo_db.exec(select(Participant).where(Participant.email.in_(emails))).all()
    click(at, "import_apply")
    assert any("2 created" in message.value for message in at.success)
    demo_db.commit()  # end this session's read snapshot: see the page's write
    people = demo_db.exec(select(Participant).where(Participant.email.in_(emails))).all()
    assert {person.consular_post for person in people} == {"Asunción", "La Paz"}
    course_id = at.session_state["course_id"]
    enrolled = demo_db.exec(
        select(Enrollment).where(
            Enrollment.course_id == course_id,
            Enrollment.participant_id.in_([person.id for person in people]),
        )
    ).all()
    assert len(enrolled) == 2


def test_unreadable_upload_shows_a_plain_error(demo_db, courses_page):
    at = choose_section(courses_page(), "import")
    at.file_uploader[0].set_value(("x.csv", b"\x00\x01garbage", "text/csv")).run()
    click(at, "import_preview")
    assert any("not a text" in error.value for error in at.error)


def test_progress_grid_and_course_sections_render(demo_db, courses_page):
    at = choose_section(courses_page(), "progress")
    assert len(at.dataframe) == 2, "the courses table and the progress grid"
    at = choose_section(at, "course")
    assert by_key(at.text_input, "edit_title").value
    click(at, "archive_course")
    assert any("archived" in message.value for message in at.success)


def test_officer_sees_own_course_progress_on_home(demo_db, app_as):
    at = app_as(ACCOUNTS["officer"]).run()
    assert not at.exception, at.exception
    assert at.dataframe, "the officer's module table"
    assert at.get("progress"), "a progress bar per course"
