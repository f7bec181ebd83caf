from datetime import UTC, date, datetime

import pytest
from sqlmodel import select

from models import Course, CourseCreate, Enrollment, Module, ModuleProgress, Participant
from models.enums import ProgressState, Role
from services.courses import catalog as courses
from services.platform import i18n
from services.platform.errors import NotFound, PermissionDenied
from services.platform.i18n import set_language
from services.reporting import dashboard, progress, progress_view, reports
from tests.support import ENDS_ON, TODAY

D = date

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


def _new_course(session, users, code: str, modules=("Detection", "Assistance")) -> Course:
    return courses.create_course(
        session=session,
        actor=users["coordinator"],
        course_in=CourseCreate(code=code, title=f"Course {code}", starts_on=date(2018, 5, 7)),
        modules=list(modules),
    )


@pytest.fixture
def course(session, users, enroll_people) -> Course:
    """The course of PEOPLE: AR with completions, BR none, CL only withdrawn, one unknown."""
    course = _new_course(session, users, "CTR-2018")
    enroll_people(course, PEOPLE)
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
    # CountryProgress(country, enrolled, invited, active, completed, withdrawn, rate, grade)
    assert by_country["AR"] == progress.CountryProgress("AR", 4, 0, 1, 2, 1, 2 / 3, 85.0)
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
    assert summary == progress.CountryProgress("ALL", 8, 1, 3, 2, 2, 2 / 6, 85.0)


def test_course_without_enrollments_has_no_rows_and_an_empty_summary(session, users):
    empty = _new_course(session, users, "EMPTY-1")
    coordinator = users["coordinator"]
    assert (
        progress.progress_by_country(session=session, actor=coordinator, course_id=empty.id) == []
    )
    summary = progress.regional_summary(session=session, actor=coordinator, course_id=empty.id)
    assert (summary.enrolled, summary.completed, summary.completion_rate) == (0, 0, 0.0)
    assert summary.average_grade is None


def test_other_courses_do_not_count(session, users, course, enroll_people):
    other = _new_course(session, users, "OTHER-1")
    enroll_people(other, [("zz@consul.test", "AR", "completed", 10.0, "completed", "completed")])
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


def test_officer_without_country_is_refused(session, users, course, make_user):
    stateless = make_user("nowhere@enlace.test", Role.officer)
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


def test_dashboard_courses_for_an_officer_are_those_with_their_country(
    session, users, course, make_user, enroll_people
):
    other = _new_course(session, users, "OTHER-1")
    enroll_people(other, [("uy@consul.test", "UY", "active", None, "completed", "completed")])
    archived = _new_course(session, users, "OLD-1")
    archived.archived_at = archived.created_at
    session.add(archived)
    session.commit()

    everyone = progress.list_dashboard_courses(session=session, actor=users["manager"])
    assert sorted(choice.code for choice in everyone) == ["CTR-2018", "OTHER-1"]
    officer_courses = progress.list_dashboard_courses(session=session, actor=users["officer_br"])
    assert [choice.code for choice in officer_courses] == ["CTR-2018"]
    uruguay = make_user("officer.uy@enlace.test", Role.officer, "UY")
    assert [c.code for c in progress.list_dashboard_courses(session=session, actor=uruguay)] == [
        "OTHER-1"
    ]


# ------------------------------------------------------------------ table and chart


def test_progress_table_names_countries_and_formats_the_rate(session, users, course):
    rows = progress.progress_by_country(
        session=session, actor=users["coordinator"], course_id=course.id
    )
    table = progress_view.progress_table(rows)
    assert list(table["Country"]) == ["Argentina", "Brazil", "Chile", "Country unknown"]
    # Numbers in the frame (files keep them numbers), text as the reader writes it on the page.
    assert list(table["Completion rate"]) == pytest.approx([2 / 3, 0, 0, 0])
    shown = progress_view.page_table(table)
    assert list(shown["Completion rate"]) == ["67%", "0%", "0%", "0%"]


def test_completion_states_exclude_a_failed_module():
    assert ProgressState.completed_fail not in courses.MODULE_DONE_STATES
    assert set(courses.MODULE_DONE_STATES) == {"completed", "completed_pass"}


# ============================================================ the dashboard, with a schedule


def _read(read, session, actor, course, **kwargs):
    return read(session=session, actor=actor, course_id=course.id, **kwargs)


def test_kpis_of_the_region_by_hand(session, users, scheduled):
    region = _read(progress.regional_summary, session, users["manager"], scheduled, today=TODAY)
    # CountryProgress(country, enrolled, invited, active, completed, withdrawn, rate, grade)
    assert region == progress.CountryProgress(
        "ALL", 9, 1, 4, 3, 1, 3 / 8, 80.0, behind=4
    )  # behind: ar3, br1, br2 (no progress rows at all), br3 (a failed module)


def test_by_country_includes_zero_completions_and_the_withdrawn(session, users, scheduled):
    rows = _read(
        progress.progress_by_country, session, users["coordinator"], scheduled, today=TODAY
    )
    got = {row.country: row for row in rows}
    assert got["AR"] == progress.CountryProgress("AR", 4, 0, 1, 2, 1, 2 / 3, 85.0, behind=1)
    assert got["BR"] == progress.CountryProgress("BR", 3, 1, 2, 0, 0, 0.0, None, behind=3)
    assert got["CL"] == progress.CountryProgress("CL", 1, 0, 0, 1, 0, 1.0, 70.0, behind=0)
    assert got[None] == progress.CountryProgress(None, 1, 0, 1, 0, 0, 0.0, None, behind=0)


def test_nobody_is_behind_before_the_first_due_date(session, users, scheduled):
    early = D(2018, 5, 20)  # due that day: not yet late
    region = _read(progress.regional_summary, session, users["admin"], scheduled, today=early)
    assert region.behind == 0


def test_filters_narrow_every_figure(session, users, scheduled):
    manager = users["manager"]
    done = progress.ProgressFilters(status="completed")
    rows = _read(progress.progress_by_country, session, manager, scheduled, filters=done)
    assert {row.country: row.completed for row in rows} == {"AR": 2, "CL": 1}
    late_cohort = progress.ProgressFilters(enrolled_from=D(2018, 5, 2), enrolled_to=D(2018, 6, 1))
    rows = _read(progress.progress_by_country, session, manager, scheduled, filters=late_cohort)
    assert {row.country: row.enrolled for row in rows} == {"AR": 1, "BR": 1, "CL": 1, None: 1}
    brazil = progress.ProgressFilters(country="BR")
    selection = _read(
        progress.regional_summary, session, manager, scheduled, filters=brazil, by_country=True
    )
    region = _read(progress.regional_summary, session, manager, scheduled, filters=brazil)
    assert (selection.enrolled, region.enrolled) == (3, 9)
    unknown = progress.ProgressFilters(country=progress.UNKNOWN_COUNTRY)
    rows = _read(progress.progress_by_country, session, manager, scheduled, filters=unknown)
    assert [row.country for row in rows] == [None]


def test_module_heat_map_cells_by_hand(session, users, scheduled):
    cells = _read(progress.module_completion_by_country, session, users["manager"], scheduled)
    got = {(c["position"], c["country"]): (c["completed"], c["total"]) for c in cells}
    assert got == {
        (1, "AR"): (3, 3), (1, "BR"): (0, 3), (1, "CL"): (1, 1), (1, None): (1, 1),
        (2, "AR"): (2, 3), (2, "BR"): (1, 3), (2, "CL"): (1, 1), (2, None): (1, 1),
        (3, "AR"): (1, 3), (3, "BR"): (0, 3), (3, "CL"): (1, 1), (3, None): (0, 1),
    }  # fmt: skip


def test_cumulative_completions_per_country_by_hand(session, users, scheduled):
    frame = _read(progress.completions_over_time, session, users["manager"], scheduled)
    assert list(frame.itertuples(index=False, name=None)) == [
        ("AR", D(2018, 6, 1), 1, 1),
        ("AR", D(2018, 6, 5), 1, 2),
        ("CL", D(2018, 6, 5), 1, 1),
    ]


def test_participants_at_risk_furthest_behind_first_with_last_activity(session, users, scheduled):
    frame = _read(
        progress.participants_at_risk, session, users["coordinator"], scheduled, today=TODAY
    )
    rows = frame[["full_name", "overdue_modules", "days_behind"]]
    assert list(rows.itertuples(index=False, name=None)) == [
        ("br1", 2, 26),
        ("br2", 2, 26),
        ("br3", 1, 26),
        ("ar3", 1, 5),
    ]
    last = dict(zip(frame["full_name"], frame["last_activity"], strict=True))
    assert last["br1"] is None and last["br2"] is None
    assert last["br3"].date() == D(2018, 6, 3)
    assert last["ar3"].date() == D(2018, 6, 13)
    assert list(frame["first_missed_due"])[-1] == D(2018, 6, 10)


def test_days_behind_stop_at_the_end_of_a_course_that_has_ended(session, users, scheduled):
    years_later = date(2026, 12, 1)
    frame = _read(
        progress.participants_at_risk, session, users["coordinator"], scheduled, today=years_later
    )
    behind = dict(zip(frame["full_name"], frame["days_behind"], strict=True))
    missed = dict(zip(frame["full_name"], frame["first_missed_due"], strict=True))
    # Counted up to ENDS_ON (2018-07-03), not to 2026: the same for every later day.
    assert behind == {name: (ENDS_ON - due).days for name, due in missed.items()}
    assert max(behind.values()) < 100
    at_end = _read(
        progress.participants_at_risk, session, users["coordinator"], scheduled, today=ENDS_ON
    )
    assert list(at_end["days_behind"]) == list(frame["days_behind"])


def test_drill_down_lists_a_countrys_participants_and_module_states(session, users, scheduled):
    frame = progress.country_participants(
        session=session, actor=users["coordinator"], course_id=scheduled.id, country="AR"
    )
    assert list(frame.columns) == [
        "full_name", "consular_post", "status", "final_grade", "Detection", "Assistance", "Return"
    ]  # fmt: skip
    assert frame["full_name"].tolist() == ["ar1", "ar2", "ar3", "ar4"]
    assert frame.iloc[2][["Detection", "Assistance"]].tolist() == ["completed", "in_progress"]
    brazil = progress.country_participants(
        session=session, actor=users["admin"], course_id=scheduled.id, country="BR"
    )
    assert brazil.set_index("full_name").loc["br2", "Detection"] == "not_started"
    shown = progress_view.participants_table(frame)
    assert shown.iloc[2]["Assistance"] == "In progress"


def test_officer_sees_own_country_and_region_but_no_participant(session, users, scheduled):
    officer = users["officer_br"]
    board = dashboard.progress_dashboard(
        session=session,
        actor=officer,
        course_id=scheduled.id,
        filters=progress.ProgressFilters(country="AR"),  # ignored: an officer's is BR
        today=TODAY,
    )
    assert [row.country for row in board.countries] == ["BR"]
    assert (board.selection.enrolled, board.region.enrolled) == (3, 9)
    assert {cell["country"] for cell in board.modules} == {"BR", "ALL"}
    assert set(board.completions["country"]) == {"ALL"}
    assert board.at_risk is None
    with pytest.raises(PermissionDenied):
        _read(progress.participants_at_risk, session, officer, scheduled, today=TODAY)
    with pytest.raises(PermissionDenied):
        _read(progress.country_participants, session, officer, scheduled, country="BR")
    with pytest.raises(PermissionDenied):
        progress.course_countries(session=session, actor=officer, course_id=scheduled.id)


def test_dashboard_for_a_coordinator_has_every_part(session, users, scheduled):
    board = dashboard.progress_dashboard(
        session=session, actor=users["coordinator"], course_id=scheduled.id, today=TODAY
    )
    assert board.selection == board.region
    assert board.course.ends_on == ENDS_ON and board.course_enrolled == 9
    assert len(board.at_risk) == 4
    assert set(progress_view.dashboard_charts(board)) == set(progress_view.CHARTS)


def test_a_manager_reads_suppressed_counts_and_no_participant_names(session, users, scheduled):
    """Names would give back every count the suppression hides: managers get none."""
    manager = users["manager"]
    board = dashboard.progress_dashboard(
        session=session, actor=manager, course_id=scheduled.id, today=TODAY
    )
    assert board.at_risk is None and board.small_count_threshold is not None
    with pytest.raises(PermissionDenied):
        _read(progress.participants_at_risk, session, manager, scheduled, today=TODAY)
    with pytest.raises(PermissionDenied):
        _read(progress.country_participants, session, manager, scheduled, country="BR")
    countries = progress.course_countries(
        session=session, actor=users["manager"], course_id=scheduled.id
    )
    assert countries == ["AR", "BR", "CL", progress.UNKNOWN_COUNTRY]


# ------------------------------------------------------------------ query string


def test_query_string_round_trip():
    filters = progress.ProgressFilters(
        enrolled_from=D(2018, 5, 1), enrolled_to=D(2018, 5, 31), country="AR", status="active"
    )
    query = dashboard.to_query("HT-2018", filters)
    assert query == {
        "course": "HT-2018", "from": "2018-05-01", "to": "2018-05-31", "country": "AR",
        "status": "active",
    }  # fmt: skip
    assert dashboard.from_query(query) == ("HT-2018", filters)
    assert dashboard.to_query(None, progress.NO_FILTERS) == {}


def test_query_string_ignores_values_that_do_not_parse():
    code, filters = dashboard.from_query(
        {"course": " ", "from": "yesterday", "country": "<script>", "status": "sleeping"}
    )
    assert (code, filters) == (None, progress.NO_FILTERS)


# ------------------------------------------------------------------ charts


def _dashboard(session, actor, course, **filters):
    return dashboard.progress_dashboard(
        session=session,
        actor=actor,
        course_id=course.id,
        filters=progress.ProgressFilters(**filters),
        today=TODAY,
    )


def test_completion_chart_has_titles_tooltip_safe_colours_and_the_regional_rule(
    session, users, scheduled
):
    board = _dashboard(session, users["officer_ar"], scheduled)
    spec = progress_view.completion_chart(board.countries, board.region).to_dict()
    assert spec["title"] == "Completion rate by country"
    bars, rule, caption = spec["layer"]
    assert bars["encoding"]["x"]["title"] == "Country"
    assert bars["encoding"]["y"]["title"] == "Completion rate"
    assert bars["mark"]["color"] in reports.OKABE_ITO
    assert [tip["field"] for tip in bars["encoding"]["tooltip"]] == [
        "country", "completion_rate", "completed", "remaining"
    ]  # fmt: skip
    assert rule["mark"]["type"] == "rule" and rule["mark"]["color"] in reports.OKABE_ITO
    values = spec["datasets"][bars["data"]["name"]]
    assert values == [
        {"country": "Argentina", "completion_rate": 2 / 3, "completed": 2, "remaining": 3}
    ]
    average = spec["datasets"][rule["data"]["name"]]
    assert average[0]["average"] == 3 / 8
    assert average[0]["caption"] == "Regional average 38%"


def test_heat_map_and_time_chart_mark_what_the_issue_asks(session, users, scheduled):
    board = _dashboard(session, users["manager"], scheduled)
    heat = progress_view.module_heatmap(board.modules).to_dict()
    assert heat["title"] == "Module completion by country"
    assert heat["layer"][0]["encoding"]["color"]["scale"]["scheme"] == "viridis"
    # Issue 16: a fixed height per module row, and no "fit" that squeezes it in the page.
    assert (
        heat["height"] == {"step": progress_view.HEATMAP_ROW} and heat["autosize"]["type"] == "pad"
    )
    assert heat["layer"][0]["encoding"]["y"]["axis"]["labelOverlap"] is False
    over_time = progress_view.completions_chart(board.completions, board.course.ends_on).to_dict()
    lines, end_rule, _text = over_time["layer"]
    assert lines["encoding"]["color"]["scale"]["range"] == reports.OKABE_ITO
    assert lines["encoding"]["strokeDash"]["legend"] is None  # one legend: the colours
    assert lines["encoding"]["y"]["axis"] == {"format": "d", "tickMinStep": 1}
    assert spec_values(over_time, end_rule)[0]["caption"] == "Course end Jul 3, 2018"
    set_language("pt")
    try:
        in_portuguese = progress_view.completions_chart(board.completions, board.course.ends_on)
    finally:
        set_language("en")
    rule_pt = in_portuguese.to_dict()["layer"][1]
    assert spec_values(in_portuguese.to_dict(), rule_pt)[0]["caption"] == (
        "Fim do curso 3 de jul. de 2018"
    )


def spec_values(spec, layer):
    return spec["datasets"][layer["data"]["name"]]


def test_chart_labels_follow_the_language(session, users, scheduled):
    board = _dashboard(session, users["manager"], scheduled)
    set_language("es")
    try:
        spec = progress_view.completion_chart(board.countries, board.region).to_dict()
    finally:
        set_language("en")
    assert spec["title"] == _es("Completion rate by country")
    assert spec_values(spec, spec["layer"][0])[0]["country"] == "Argentina"


def _es(text: str) -> str:
    set_language("es")
    try:
        return i18n._(text)
    finally:
        set_language("en")


def test_a_filter_that_matches_nothing_keeps_the_course_total(session, users, scheduled):
    board = _dashboard(session, users["manager"], scheduled, country="UY")
    assert board.course_enrolled == 9
    assert board.selection.enrolled == 0 and board.countries == []
    assert progress_view.dashboard_charts(board) == {}


# ------------------------------------------------ aggregates over the progress rows that exist


def test_participants_at_risk_before_any_due_date_is_empty_with_every_column(
    session, users, scheduled
):
    early = D(2018, 5, 20)  # due that day: not yet late
    frame = _read(
        progress.participants_at_risk, session, users["coordinator"], scheduled, today=early
    )
    assert frame.empty
    on_time = _read(
        progress.participants_at_risk, session, users["coordinator"], scheduled, today=TODAY
    )
    assert list(frame.columns) == list(on_time.columns)


def test_progress_on_another_courses_module_counts_for_neither_course(session, users, scheduled):
    other = _new_course(session, users, "OTHER-2018", modules=("Elsewhere",))
    elsewhere = session.exec(select(Module).where(Module.course_id == other.id)).one()
    ar3 = session.exec(
        select(Enrollment)
        .join(Participant)
        .where(Participant.email == "ar3@c.test", Enrollment.course_id == scheduled.id)
    ).one()
    cells_before = _read(
        progress.module_completion_by_country, session, users["manager"], scheduled
    )
    risk_before = _read(
        progress.participants_at_risk, session, users["coordinator"], scheduled, today=TODAY
    )
    session.add(
        ModuleProgress(
            enrollment_id=ar3.id,
            module_id=elsewhere.id,
            state=ProgressState.completed,
            updated_at=datetime(2018, 6, 14, 12, tzinfo=UTC),
        )
    )
    session.commit()

    cells = _read(progress.module_completion_by_country, session, users["manager"], scheduled)
    risk = _read(
        progress.participants_at_risk, session, users["coordinator"], scheduled, today=TODAY
    )
    assert cells == cells_before
    assert risk.equals(risk_before)
    assert _read(progress.module_completion_by_country, session, users["manager"], other) == []


def test_module_cells_come_in_module_then_country_order_with_the_region_last(
    session, users, scheduled
):
    cells = _read(
        progress.module_completion_by_country,
        session,
        users["officer_ar"],
        scheduled,
        with_region=True,
    )
    assert [(c["position"], c["country"]) for c in cells] == [
        (1, "AR"), (2, "AR"), (3, "AR"), (1, "ALL"), (2, "ALL"), (3, "ALL"),
    ]  # fmt: skip
    region = {c["position"]: (c["completed"], c["total"]) for c in cells if c["country"] == "ALL"}
    assert region == {1: (5, 8), 2: (5, 8), 3: (2, 8)}  # the heat map test, summed
