from datetime import date

import pytest
from sqlmodel import select

from models import Course, CourseCreate, Enrollment, Module, ModuleProgress, Participant
from models.enums import ProgressState, Role
from services import courses, progress
from services.errors import NotFound, PermissionDenied
from tests.conftest import make_user

# Hand-made course: (email, country, status, final grade, state of module 1, of module 2).
PEOPLE = [
    ("ar1@consul.test", "AR", "completed", 80.0, "completed_pass", "completed"),
    ("ar2@consul.test", "AR", "completed", 90.0, "completed", "completed_fail"),
    ("ar3@consul.test", "AR", "active", None, "in_progress", "not_started"),
    ("ar4@consul.test", "AR", "withdrawn", None, "completed", "not_started"),
    ("br1@consul.test", "BR", "active", None, "completed", "not_started"),
    ("br2@consul.test", "BR", "active", None, "not_started", "not_started"),
    ("cl1@consul.test", "CL", "withdrawn", None, "not_started", "not_started"),
    ("xx1@consul.test", None, "invited", None, "not_started", "not_started"),
]


def _enroll_people(session, course: Course, people) -> None:
    """Participants, enrollments and module states written straight to the tables."""
    modules = session.exec(
        select(Module).where(Module.course_id == course.id).order_by(Module.position)
    ).all()
    for email, country, status, grade, *states in people:
        participant = Participant(full_name=email.split("@")[0], email=email, country=country)
        session.add(participant)
        session.flush()
        enrollment = Enrollment(
            participant_id=participant.id,
            course_id=course.id,
            status=status,
            final_grade=grade,
        )
        session.add(enrollment)
        session.flush()
        for module, state in zip(modules, states, strict=True):
            session.add(
                ModuleProgress(enrollment_id=enrollment.id, module_id=module.id, state=state)
            )
    session.commit()


def _new_course(session, users, code: str, modules=("Detection", "Assistance")) -> Course:
    return courses.create_course(
        session=session,
        actor=users["coordinator"],
        course_in=CourseCreate(code=code, title=f"Course {code}", starts_on=date(2018, 5, 7)),
        modules=list(modules),
    )


@pytest.fixture
def course(session, users) -> Course:
    """The course of PEOPLE: AR with completions, BR none, CL only withdrawn, one unknown."""
    course = _new_course(session, users, "CTR-2018")
    _enroll_people(session, course, PEOPLE)
    return course


def _by_country(rows) -> dict:
    return {row.country: row for row in rows}


# ------------------------------------------------------------------ progress by country


def test_progress_by_country_counts_each_status_and_rates_exactly(session, users, course):
    rows = progress.progress_by_country(
        session=session, actor=users["coordinator"], course_id=course.id
    )
    assert [row.country for row in rows] == ["AR", "BR", "CL", None]
    by_country = _by_country(rows)
    assert by_country["AR"] == progress.CountryProgress(
        country="AR",
        enrolled=4,
        invited=0,
        active=1,
        completed=2,
        withdrawn=1,
        completion_rate=2 / 3,
        average_grade=85.0,
    )
    # A country with nobody done yet, and one where everybody withdrew: rate 0, no error.
    assert (by_country["BR"].enrolled, by_country["BR"].completion_rate) == (2, 0.0)
    assert by_country["BR"].average_grade is None
    assert (by_country["CL"].enrolled, by_country["CL"].withdrawn) == (1, 1)
    assert by_country["CL"].completion_rate == 0.0
    assert (by_country[None].enrolled, by_country[None].invited) == (1, 1)


def test_regional_summary_adds_up_every_country(session, users, course):
    summary = progress.regional_summary(
        session=session, actor=users["manager"], course_id=course.id
    )
    assert summary == progress.CountryProgress(
        country="ALL",
        enrolled=8,
        invited=1,
        active=3,
        completed=2,
        withdrawn=2,
        completion_rate=2 / 6,
        average_grade=85.0,
    )


def test_course_without_enrollments_has_no_rows_and_an_empty_summary(session, users):
    empty = _new_course(session, users, "EMPTY-1")
    coordinator = users["coordinator"]
    assert (
        progress.progress_by_country(session=session, actor=coordinator, course_id=empty.id) == []
    )
    summary = progress.regional_summary(session=session, actor=coordinator, course_id=empty.id)
    assert (summary.enrolled, summary.completed, summary.completion_rate) == (0, 0, 0.0)
    assert summary.average_grade is None


def test_other_courses_do_not_count(session, users, course):
    other = _new_course(session, users, "OTHER-1")
    _enroll_people(
        session, other, [("zz@consul.test", "AR", "completed", 10.0, "completed", "completed")]
    )
    rows = progress.progress_by_country(session=session, actor=users["admin"], course_id=course.id)
    assert _by_country(rows)["AR"].enrolled == 4
    assert _by_country(rows)["AR"].average_grade == 85.0


def test_manager_reads_progress_of_every_country(session, users, course):
    rows = progress.progress_by_country(
        session=session, actor=users["manager"], course_id=course.id
    )
    assert len(rows) == 4


def test_officer_sees_only_own_country_and_the_regional_summary(session, users, course):
    officer = users["officer_br"]
    rows = progress.progress_by_country(session=session, actor=officer, course_id=course.id)
    assert [row.country for row in rows] == ["BR"]
    summary = progress.regional_summary(session=session, actor=officer, course_id=course.id)
    assert summary.enrolled == 8


def test_officer_without_country_is_refused(session, users, course):
    stateless = make_user(session, "nowhere@enlace.test", Role.officer)
    with pytest.raises(PermissionDenied):
        progress.progress_by_country(session=session, actor=stateless, course_id=course.id)


def test_inactive_manager_is_refused(session, users, course):
    manager = users["manager"]
    manager.is_active = False
    with pytest.raises(PermissionDenied):
        progress.regional_summary(session=session, actor=manager, course_id=course.id)


def test_unknown_course_is_not_found(session, users):
    for read in (
        progress.progress_by_country,
        progress.regional_summary,
        progress.module_completion_by_country,
    ):
        with pytest.raises(NotFound):
            read(session=session, actor=users["coordinator"], course_id=9999)


# --------------------------------------------------------------- modules by country


def test_module_completion_counts_done_states_and_leaves_withdrawn_out(session, users, course):
    cells = progress.module_completion_by_country(
        session=session, actor=users["coordinator"], course_id=course.id
    )
    counts = {
        (cell["position"], cell["country"]): (cell["completed"], cell["total"]) for cell in cells
    }
    assert counts == {
        # AR: ar4 withdrew (their module 1 is not counted); completed_fail is not done.
        (1, "AR"): (2, 3),
        (2, "AR"): (1, 3),
        (1, "BR"): (1, 2),
        (2, "BR"): (0, 2),
        (1, None): (0, 1),
        (2, None): (0, 1),
    }
    assert cells[0]["module_title"] == "Detection"


def test_module_added_later_counts_as_not_started(session, users, course):
    session.add(Module(course_id=course.id, position=3, title="Return"))
    session.commit()
    cells = progress.module_completion_by_country(
        session=session, actor=users["manager"], course_id=course.id
    )
    assert {cell["country"]: cell["total"] for cell in cells if cell["position"] == 3} == {
        "AR": 3,
        "BR": 2,
        None: 1,
    }
    assert all(cell["completed"] == 0 for cell in cells if cell["position"] == 3)


def test_officer_sees_module_completion_of_own_country_only(session, users, course):
    cells = progress.module_completion_by_country(
        session=session, actor=users["officer_ar"], course_id=course.id
    )
    assert {cell["country"] for cell in cells} == {"AR"}


# ---------------------------------------------------------------- course choices


def test_dashboard_courses_for_an_officer_are_those_with_their_country(session, users, course):
    other = _new_course(session, users, "OTHER-1")
    _enroll_people(
        session, other, [("uy@consul.test", "UY", "active", None, "completed", "completed")]
    )
    archived = _new_course(session, users, "OLD-1")
    archived.archived_at = archived.created_at
    session.add(archived)
    session.commit()

    everyone = progress.list_dashboard_courses(session=session, actor=users["manager"])
    assert sorted(choice.code for choice in everyone) == ["CTR-2018", "OTHER-1"]
    officer_courses = progress.list_dashboard_courses(session=session, actor=users["officer_br"])
    assert [choice.code for choice in officer_courses] == ["CTR-2018"]
    uruguay = make_user(session, "officer.uy@enlace.test", Role.officer, "UY")
    assert [c.code for c in progress.list_dashboard_courses(session=session, actor=uruguay)] == [
        "OTHER-1"
    ]


# ------------------------------------------------------------------ table and chart


def test_progress_table_names_countries_and_formats_the_rate(session, users, course):
    rows = progress.progress_by_country(
        session=session, actor=users["coordinator"], course_id=course.id
    )
    table = progress.progress_table(rows)
    assert list(table["Country"]) == ["Argentina", "Brazil", "Chile", "Country unknown"]
    assert list(table["Completion rate"]) == ["67%", "0%", "0%", "0%"]


def test_completion_chart_has_titles_tooltip_and_a_colour_blind_safe_scheme(session, users, course):
    officer = users["officer_ar"]
    own = progress.progress_by_country(session=session, actor=officer, course_id=course.id)
    region = progress.regional_summary(session=session, actor=officer, course_id=course.id)
    spec = progress.completion_chart([*own, region]).to_dict()
    assert spec["title"] == "Completion rate by country"
    assert spec["encoding"]["x"]["title"] == "Country"
    assert spec["encoding"]["y"]["title"] == "Completion rate"
    assert spec["encoding"]["color"]["scale"]["scheme"] == "tableau10"
    assert [tip["field"] for tip in spec["encoding"]["tooltip"]] == [
        "country",
        "completion_rate",
        "completed",
        "remaining",
    ]
    values = next(iter(spec["datasets"].values()))
    assert values == [
        {"country": "Argentina", "completion_rate": 2 / 3, "completed": 2, "remaining": 3},
        {
            "country": "Region (all countries)",
            "completion_rate": 2 / 6,
            "completed": 2,
            "remaining": 6,
        },
    ]


def test_completion_states_exclude_a_failed_module():
    assert ProgressState.completed_fail not in courses.MODULE_DONE_STATES
    assert set(courses.MODULE_DONE_STATES) == {"completed", "completed_pass"}
