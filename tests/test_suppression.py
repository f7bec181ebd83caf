"""Suppression that holds: no hidden count comes back from the visible cells and totals."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from services.reporting import suppression
from services.reporting.suppression import PRIMARY, SECONDARY, SHOWN, Line

T = 5


def solvable(values, lines, status) -> set:
    """Hidden cells the lines' equations fix, found independently of the module's rank test:
    a hidden cell is free when some vector of the null space of the system moves it."""
    hidden = [key for key in values if status[key] != SHOWN]
    if not hidden:
        return set()
    system = suppression.line_equations(hidden, lines) if lines else np.zeros((1, len(hidden)))
    _u, singular, vh = np.linalg.svd(system)
    rank = int((singular > 1e-9).sum())
    null_space = vh[rank:]
    return {key for i, key in enumerate(hidden) if np.allclose(null_space[:, i], 0)}


def assert_holds(values, lines, status):
    """No line with exactly one hidden cell, nothing solvable, no cell pinned by its bounds."""
    for line in lines:
        hidden = [key for key in line.cells() if status[key] != SHOWN]
        assert len(hidden) != 1, f"{line} hides only {hidden}"
    assert solvable(values, lines, status) == set()
    assert suppression.recoverable_cells(values, lines, status, T) == []


def series(counts):
    values = dict(enumerate(counts))
    lines = [Line(tuple(values))]
    return values, lines, dict(enumerate(suppression.suppress_series(counts, T)))


# --- one-way tables whose total is the population total -----------------------------------


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        pytest.param(
            [40, 3, 12, 25, 0],
            [SHOWN, PRIMARY, SECONDARY, SHOWN, SHOWN],
            id="one_small_cell_hides_the_smallest_other_cell_too",
        ),
        pytest.param(
            [40, 3, 12, 1, 0],
            [SHOWN, PRIMARY, SHOWN, PRIMARY, SHOWN],
            id="two_small_cells_protect_each_other",
        ),
        # 4 + 4 = 8 and each is at most 4: both would be known.
        pytest.param(
            [4, 4, 20, 9],
            [PRIMARY, PRIMARY, SHOWN, SECONDARY],
            id="two_small_cells_whose_sum_pins_them_hide_a_third",
        ),
        pytest.param(
            [1, 2, 3, 40], [PRIMARY, PRIMARY, PRIMARY, SHOWN], id="all_but_one_cell_small"
        ),
    ],
)
def test_a_series_hides_its_small_cells_and_what_would_give_them_away(counts, expected):
    values, lines, status = series(counts)
    assert [status[i] for i in values] == expected
    assert_holds(values, lines, status)


def test_a_small_cell_and_a_hidden_one_just_above_the_threshold_hide_a_third():
    # 1 + 5 = 6: "<5" is at least 1 and "x" at least 5, so both would be known.
    values, lines, status = series([1, 5, 30, 7])
    assert status[0] == PRIMARY and status[1] == SECONDARY and status[3] == SECONDARY
    assert_holds(values, lines, status)


def test_every_cell_small():
    values, lines, status = series([1, 2, 3])
    assert set(status.values()) == {PRIMARY}
    assert_holds(values, lines, status)


def test_a_small_population_hides_the_whole_table():
    # 3 cases in all, all in one category: the zeros would give it away.
    values, lines, status = series([3, 0, 0])
    assert all(suppression.is_hidden(s) for s in status.values())


def test_nothing_small_hides_nothing():
    assert set(suppression.suppress_series([0, 5, 12], T)) == {SHOWN}


def test_a_table_without_a_known_total_only_hides_small_counts():
    assert suppression.suppress_series([3, 12], T, total_known=False) == [PRIMARY, SHOWN]


def test_issue_case_one_undetermined_case_is_not_the_difference_of_two_reports():
    # The stage report (nothing small) totals every case, so the population is known; the
    # situation report has one small cell, which alone would be that total minus the others.
    stage = [20, 11, 9, 7, 6, 7]
    situation = [30, 12, 15, 0, 3]  # trafficking, smuggling, labour, other, undetermined
    assert sum(stage) == sum(situation)
    assert suppression.suppress_series(stage, T) == [SHOWN] * len(stage)
    statuses = suppression.suppress_series(situation, T)
    assert statuses == [SHOWN, SECONDARY, SHOWN, SHOWN, PRIMARY]
    shown_sum = sum(v for v, s in zip(situation, statuses, strict=True) if s == SHOWN)
    assert sum(stage) - shown_sum == 12 + 3  # the difference is a sum of two hidden cells
    values, lines, status = series(situation)
    assert_holds(values, lines, status)


def test_shown_marks_small_and_secondary_cells():
    assert suppression.shown(3, PRIMARY, 5) == "<5"
    assert suppression.shown(12, SECONDARY, 5) == "x"
    assert suppression.shown(12, SHOWN, 5) == 12


# --- two-way tables with margins ---------------------------------------------------------


def grid_model(cells, grid_status, *, grand_public=False, columns_public=False):
    values, status, lines = {}, {}, []
    rows, columns = len(cells), len(cells[0])
    for r in range(rows):
        for c in range(columns):
            values[("cell", r, c)] = cells[r][c]
            status[("cell", r, c)] = grid_status.cells[r][c]
        values[("row", r)] = sum(cells[r])
        status[("row", r)] = grid_status.row_totals[r]
        lines.append(Line(tuple(("cell", r, c) for c in range(columns)), ("row", r)))
    for c in range(columns):
        members = tuple(("cell", r, c) for r in range(rows))
        if columns_public:
            lines.append(Line(members, None))
            continue
        values[("column", c)] = sum(cells[r][c] for r in range(rows))
        status[("column", c)] = grid_status.column_totals[c]
        lines.append(Line(members, ("column", c)))
    grand = None if grand_public else ("grand",)
    if not grand_public:
        values[grand] = sum(values[("row", r)] for r in range(rows))
        status[grand] = grid_status.grand_total
    lines.append(Line(tuple(("row", r) for r in range(rows)), grand))
    if not columns_public:
        lines.append(Line(tuple(("column", c) for c in range(columns)), grand))
    return values, lines, status


@pytest.mark.parametrize(
    "cells",
    [
        [[20, 3, 15], [12, 30, 8], [9, 14, 22]],  # one small cell
        [[20, 3, 15], [12, 30, 1], [9, 14, 22]],  # two, in different rows and columns
        [[1, 2, 3], [4, 1, 2], [3, 3, 40]],  # all but one small
        [[3, 0], [0, 0]],  # a tiny table
        [[0, 7, 0], [6, 0, 2]],  # zeros around a small cell
    ],
)
def test_grid_suppression_holds(cells):
    grid = suppression.suppress_grid(cells, T)
    values, lines, status = grid_model(cells, grid)
    assert_holds(values, lines, status)
    for r, row in enumerate(cells):
        for c, count in enumerate(row):
            if 0 < count < T:
                assert grid.cells[r][c] == PRIMARY


def test_grid_with_a_public_grand_total_holds():
    cells = [[20, 3, 15], [12, 30, 8]]
    grid = suppression.suppress_grid(cells, T, grand_total_public=True)
    values, lines, status = grid_model(cells, grid, grand_public=True)
    assert_holds(values, lines, status)
    assert grid.grand_total == SHOWN


@pytest.mark.parametrize(
    "cells",
    [
        [[20, 3, 15, 0], [12, 30, 8, 1], [9, 14, 22, 6]],
        [[2, 0, 1, 0], [40, 12, 30, 2]],
        [[3, 0, 0, 0], [0, 0, 7, 0]],
    ],
)
def test_grid_with_public_column_and_grand_totals_holds(cells):
    # The progress table: statuses by country, their totals shown as the page's key figures.
    grid = suppression.suppress_grid(cells, T, grand_total_public=True, column_totals_public=True)
    values, lines, status = grid_model(cells, grid, grand_public=True, columns_public=True)
    cells_shown = [k for k in values if k[0] == "cell" and status[k] == SHOWN and values[k]]
    if cells_shown:  # else too few people to protect against public column totals
        assert_holds(values, lines, status)
    assert set(grid.column_totals) == {SHOWN}


def test_rank_check_catches_a_cell_no_single_line_gives_away():
    # Two hidden 2x2 rectangles joined by one hidden cell: every row and column holds two or
    # more hidden cells, yet the joining cell is fixed by the system.
    values = {("a",): 10, ("b",): 10, ("c",): 10, ("d",): 10}
    values.update({("e",): 10, ("f",): 10, ("g",): 10, ("h",): 10, ("bridge",): 10})
    lines = [
        Line((("a",), ("b",)), None),
        Line((("c",), ("d",)), None),
        Line((("a",), ("c",)), None),
        Line((("b",), ("d",), ("bridge",)), None),
        Line((("bridge",), ("e",), ("f",)), None),
        Line((("e",), ("g",)), None),
        Line((("f",), ("h",)), None),
        Line((("g",), ("h",)), None),
    ]
    all_hidden = dict.fromkeys(values, SECONDARY)
    assert ("bridge",) in solvable(values, lines, all_hidden)
    assert ("bridge",) in suppression.recoverable_cells(values, lines, all_hidden, T)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.lists(st.integers(min_value=0, max_value=30), min_size=2, max_size=5),
        min_size=2,
        max_size=5,
    ).filter(lambda rows: len({len(row) for row in rows}) == 1)
)
def test_no_hidden_count_is_recoverable_in_any_grid(cells):
    grid = suppression.suppress_grid(cells, T)
    values, lines, status = grid_model(cells, grid)
    assert solvable(values, lines, status) == set()
    for line in lines:
        hidden = [key for key in line.cells() if status[key] != SHOWN]
        assert len(hidden) != 1


@settings(max_examples=80, deadline=None)
@given(st.lists(st.integers(min_value=0, max_value=30), min_size=1, max_size=12))
def test_no_hidden_count_is_recoverable_in_any_series(counts):
    values, lines, status = series(counts)
    if any(status[i] == SHOWN and counts[i] > 0 for i in values):
        assert_holds(values, lines, status)
    # else: too few cases to protect (e.g. 4 and 4 of 8 known): every count is hidden
    for value, state in zip(counts, suppression.suppress_series(counts, T), strict=True):
        assert (state == PRIMARY) == (0 < value < T)
