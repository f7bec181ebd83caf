"""Counts of people on the progress dashboard, as managers and files see them: small ones
suppressed, and no suppressed one recoverable from the others, the totals or the key figures."""

from datetime import date

import pandas as pd
import pytest

from services.reporting import dashboard as progress_page
from services.reporting import progress, progress_view, small_counts, suppression
from services.reporting.dashboard import ProgressDashboard
from services.reporting.progress import CourseChoice
from services.reporting.suppression import Line
from tests.support import TODAY

T = 5


def country(code, invited, active, completed, withdrawn, behind=0):
    """A country's row as the dashboard's query would count it (no grades)."""
    enrolled = invited + active + completed + withdrawn
    counts = (enrolled, invited, active, completed, withdrawn, None, behind)
    return progress.country_progress(code, counts)


def dashboard(rows, modules=(), completions=None):
    total = country(
        None,
        sum(r.invited for r in rows),
        sum(r.active for r in rows),
        sum(r.completed for r in rows),
        sum(r.withdrawn for r in rows),
        sum(r.behind for r in rows),
    )
    return ProgressDashboard(
        course=CourseChoice(1, "HT-2018", "Course"),
        filters=progress.NO_FILTERS,
        today=date(2018, 6, 15),
        officer_country=None,
        selection=total,
        region=total,
        countries=list(rows),
        modules=list(modules),
        completions=(
            completions
            if completions is not None
            else pd.DataFrame(columns=["country", "completed_on", "completions", "cumulative"])
        ),
    )


ROWS = [
    country("AR", 2, 10, 12, 1, behind=3),
    country("BO", 0, 8, 6, 0, behind=6),
    country("BR", 7, 12, 20, 9, behind=9),
    country("PY", 1, 0, 3, 0, behind=0),
]


def test_small_counts_of_people_are_suppressed_in_the_country_table():
    published = small_counts.published_counts(dashboard(ROWS), T)
    argentina, paraguay = published.countries["AR"], published.countries["PY"]
    assert argentina["invited"] == "<5" and argentina["withdrawn"] == "<5"
    assert paraguay["completed"] == "<5" and paraguay["enrolled"] == "<5"
    assert published.countries["BR"]["completed"] == 20  # large counts stay
    assert paraguay["rate_hidden"] and argentina["rate_hidden"]


def test_no_suppressed_count_of_the_country_table_is_recoverable():
    board = dashboard(ROWS)
    published = small_counts.published_counts(board, T)
    columns = [*small_counts.STATUS_COLUMNS, "enrolled"]
    values, status, lines = {}, {}, []
    for row in ROWS:
        for column in columns:
            values[(row.country, column)] = getattr(row, column)
            shown = published.countries[row.country][column]
            status[(row.country, column)] = (
                (suppression.PRIMARY if shown == "<5" else suppression.SECONDARY)
                if isinstance(shown, str)
                else suppression.SHOWN
            )
        members = tuple((row.country, column) for column in small_counts.STATUS_COLUMNS)
        lines.append(Line(members, (row.country, "enrolled")))
    # Column totals and the grand total are the key figures above the table: known.
    for column in columns:
        lines.append(Line(tuple((row.country, column) for row in ROWS), None))
    assert suppression.recoverable_cells(values, lines, status, T) == []
    for line in lines:
        hidden = [key for key in line.cells() if status[key] != suppression.SHOWN]
        assert len(hidden) != 1


def test_behind_schedule_is_suppressed_against_its_key_figure():
    published = small_counts.published_counts(dashboard(ROWS), T)
    behind = [published.countries[row.country]["behind"] for row in ROWS]
    assert behind[0] == "<5"
    assert sum(1 for value in behind if isinstance(value, str)) >= 2


def test_the_table_shows_x_for_a_hidden_rate():
    board = dashboard(ROWS)
    published = small_counts.published_counts(board, T)
    table = progress_view.page_table(progress_view.progress_table(ROWS, published))
    rates = dict(zip(table["Country"], table["Completion rate"], strict=True))
    assert rates["Paraguay"] == "x"
    # Brazil's withdrawn count is hidden with Argentina's: its rate would give it away.
    assert published.countries["BR"]["withdrawn"] == "x" and rates["Brazil"] == "x"
    plain = progress_view.page_table(
        progress_view.progress_table([country("BR", 7, 12, 20, 9), country("CL", 6, 10, 8, 5)])
    )
    assert list(plain["Completion rate"]) == ["51%", "33%"]


def test_module_cells_hide_few_completions_and_few_left():
    modules = [
        {"module_id": 1, "position": 1, "module_title": "M", "country": "BR", "completed": 38,
         "total": 39},
        {"module_id": 1, "position": 1, "module_title": "M", "country": "BO", "completed": 3,
         "total": 14},
        {"module_id": 2, "position": 2, "module_title": "N", "country": "BR", "completed": 20,
         "total": 39},
        {"module_id": 2, "position": 2, "module_title": "N", "country": "BO", "completed": 0,
         "total": 14},
    ]  # fmt: skip
    rows = [country("BR", 7, 12, 20, 9), country("BO", 0, 8, 6, 0)]  # nothing small
    cells = small_counts.published_counts(dashboard(rows, modules), T).modules
    assert (cells[0]["completed"], cells[0]["rate_hidden"]) == ("x", True)  # 1 left
    assert (cells[1]["completed"], cells[1]["rate_hidden"]) == ("<5", True)
    assert (cells[2]["completed"], cells[2]["total"], cells[2]["rate_hidden"]) == (20, 39, False)
    assert (cells[3]["completed"], cells[3]["rate_hidden"]) == (0, False)
    table = progress_view.page_table(progress_view.module_table(cells))
    assert list(table["Completion rate"]) == ["x", "x", "51%", "0%"]


def test_completions_of_suppressed_countries_are_drawn_as_one_line():
    frame = pd.DataFrame(
        {
            "country": ["AR", "PY", "BR", "PY"],
            "completed_on": [
                date(2018, 6, 1),
                date(2018, 6, 1),
                date(2018, 6, 2),
                date(2018, 6, 3),
            ],
            "completions": [12, 1, 20, 2],
            "cumulative": [12, 1, 20, 3],
        }
    )
    published = small_counts.published_counts(dashboard(ROWS, completions=frame), T)
    lines = published.completions
    assert "PY" not in set(lines["country"])
    other = lines[lines["country"] == progress.OTHER_COUNTRIES]
    assert other["cumulative"].iloc[-1] == 3
    assert (
        progress_page.country_label(progress.OTHER_COUNTRIES) == "Countries with few participants"
    )


@pytest.mark.parametrize(("role", "threshold"), [("manager", 5), ("coordinator", None)])
def test_managers_see_suppressed_counts_coordinators_see_them_all(
    role, threshold, session, users, make_scheduled_course
):
    course = make_scheduled_course(users["coordinator"])
    board = progress_page.progress_dashboard(
        session=session, actor=users[role], course_id=course.id, today=TODAY
    )
    assert board.small_count_threshold == threshold
    view = progress_view.dashboard_view(board)
    small = [value for value in view.key_figures.values() if isinstance(value, str)]
    assert bool(small) == (threshold is not None)
    table = view.countries_table.to_csv()
    assert ("<5" in table) == (threshold is not None)
