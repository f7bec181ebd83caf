"""Small-count suppression that holds: primary and secondary cell suppression over tables of
counts (pure functions, no database).

A count from 1 to threshold-1 is hidden (primary suppression, shown "<5"). A hidden count must
not come back from what stays visible, so more cells are hidden (secondary suppression, shown
"x") until, in every *line* (cells whose sum is published or publicly known: a table whose
total is the population total shown elsewhere, a row with its row total, a column with its
column total, the margins with the grand total):

- no line holds exactly one hidden cell (it would be the total minus the others);
- no hidden cell's range, from the line's hidden sum and what the marks say ("<5": 1 to 4,
  "x": at least the threshold), narrows to one value (two "<5" cells summing to 8 are 4 and 4);
- across lines, no hidden cell is determined by the linear system of every line (checked by
  rank: a cell is determined when its unit vector lies in the span of the lines' equations).

The cells chosen for secondary suppression are the smallest visible non-zero counts of the line
(least information lost); a line whose other cells are all 0 hides its total, or failing that its
zeros.
"""

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

SHOWN = "shown"
PRIMARY = "primary"
SECONDARY = "secondary"
SECONDARY_MARK = "x"
_UNBOUNDED = float("inf")


@dataclass(frozen=True)
class Line:
    """Cells whose sum is known: the cell `total` (itself maybe hidden), or when `total` is
    None a sum known to everyone (the population total shown by another table)."""

    members: tuple[Hashable, ...]
    total: Hashable | None = None

    def cells(self) -> tuple[Hashable, ...]:
        return self.members if self.total is None else (*self.members, self.total)


def is_small(value: int, threshold: int) -> bool:
    return 0 < value < threshold


def suppress_cells(
    values: Mapping[Hashable, int], lines: Sequence[Line], threshold: int
) -> dict[Hashable, str]:
    """The status (SHOWN, PRIMARY, SECONDARY) of every cell, such that no hidden count can be
    worked out from the visible cells and the lines' totals."""
    status = {
        key: PRIMARY if is_small(value, threshold) else SHOWN for key, value in values.items()
    }
    if threshold <= 1:
        return status
    while True:
        exposed = [line for line in lines if _line_exposed(line, values, status, threshold)]
        if not exposed:
            exposed = _lines_of(_determined(values, lines, status), lines)
        if not exposed:
            return status
        progressed = False
        for line in exposed:
            pick = _next_to_hide(line, values, status)
            if pick is not None:
                status[pick] = SECONDARY
                progressed = True
                break
        if not progressed:
            return status  # nothing left to hide: every cell of these lines is hidden


def _hidden(key: Hashable, status: Mapping[Hashable, str]) -> bool:
    return status[key] != SHOWN


def _bounds(
    key: Hashable, values: Mapping[Hashable, int], status: Mapping[Hashable, str], t: int
) -> tuple[float, float]:
    """What a reader knows of a hidden cell from its mark."""
    if status[key] == PRIMARY:
        return 1.0, float(t - 1)
    return (float(t), _UNBOUNDED) if values[key] >= t else (0.0, _UNBOUNDED)


def _line_exposed(
    line: Line, values: Mapping[Hashable, int], status: Mapping[Hashable, str], t: int
) -> bool:
    hidden = [key for key in line.cells() if _hidden(key, status)]
    if not hidden:
        return False
    if len(hidden) == 1:
        return True
    if line.total is not None and _hidden(line.total, status):
        return False  # an unknown total: the single-unknown rule above is what applies
    total = sum(values[k] for k in line.members) if line.total is None else values[line.total]
    hidden_sum = total - sum(values[k] for k in line.members if not _hidden(k, status))
    if hidden_sum < t:
        # An "x" is 0 or at least t: here it can only be 0, so only the "<t" cells are unknown.
        hidden = [key for key in hidden if status[key] == PRIMARY]
        if len(hidden) <= 1:
            return bool(hidden)
    bounds = [_bounds(key, values, status, t) for key in hidden]
    low_sum = sum(low for low, _high in bounds)
    high_sum = sum(high for _low, high in bounds)
    for low, high in bounds:
        if low == high:
            continue  # "<2" says 1 by itself: hiding more cells cannot help
        narrowest_low = max(low, hidden_sum - (high_sum - high))
        narrowest_high = min(high, hidden_sum - (low_sum - low))
        if narrowest_low >= narrowest_high:
            return True
    return False


def _next_to_hide(
    line: Line, values: Mapping[Hashable, int], status: Mapping[Hashable, str]
) -> Hashable | None:
    """The smallest visible non-zero member; else the line's visible total; else a zero."""
    visible = [key for key in line.members if not _hidden(key, status)]
    non_zero = [key for key in visible if values[key] > 0]
    if non_zero:
        return min(non_zero, key=lambda key: values[key])
    if line.total is not None and not _hidden(line.total, status):
        return line.total
    return visible[0] if visible else None


def line_equations(unknowns: Sequence[Hashable], lines: Sequence[Line]) -> "np.ndarray":
    """The lines as equations over the unknown cells: one row a line, the coefficient of a
    member +1 and of the line's total -1 (cells not in `unknowns` are known, so left out)."""
    column = {key: index for index, key in enumerate(unknowns)}
    system = np.zeros((len(lines), len(unknowns)))
    for row, line in enumerate(lines):
        for key in line.members:
            if key in column:
                system[row, column[key]] += 1
        if line.total is not None and line.total in column:
            system[row, column[line.total]] -= 1
    return system


def _determined(
    values: Mapping[Hashable, int], lines: Sequence[Line], status: Mapping[Hashable, str]
) -> list[Hashable]:
    """Hidden cells whose value the lines' equations fix (whatever the other hidden ones)."""
    unknowns = [key for key in values if _hidden(key, status)]
    if not unknowns:
        return []
    system = line_equations(unknowns, lines)
    system = system[system.any(axis=1)]
    if not len(system):
        return []
    rank = np.linalg.matrix_rank(system)
    determined = []
    for index, key in enumerate(unknowns):
        unit = np.zeros(len(unknowns))
        unit[index] = 1
        if np.linalg.matrix_rank(np.vstack([system, unit])) == rank:
            determined.append(key)
    return determined


def _lines_of(keys: Sequence[Hashable], lines: Sequence[Line]) -> list[Line]:
    return [line for key in keys for line in lines if key in line.cells()]


def recoverable_cells(
    values: Mapping[Hashable, int],
    lines: Sequence[Line],
    status: Mapping[Hashable, str],
    threshold: int,
) -> list[Hashable]:
    """Hidden cells a reader could work out (a check for tests and for callers' assertions):
    determined by the lines' equations, or pinned to one value by a line's bounds."""
    pinned = {
        key
        for line in lines
        if _line_exposed(line, values, status, threshold)
        for key in line.cells()
        if _hidden(key, status)
    }
    return sorted({*pinned, *_determined(values, lines, status)}, key=str)


# --- tables ----------------------------------------------------------------------------------


def suppress_series(
    counts: Sequence[int], threshold: int, *, total_known: bool = True
) -> list[str]:
    """Statuses of a one-way table's counts; `total_known`: its total is published (or is the
    population total another table shows), so the cells form a line."""
    values: dict[Hashable, int] = {index: int(count) for index, count in enumerate(counts)}
    lines = [Line(tuple(values))] if total_known else []
    status = suppress_cells(values, lines, threshold)
    return [status[index] for index in range(len(counts))]


@dataclass(frozen=True)
class GridStatus:
    """Statuses of a two-way table: cells[row][column], row totals, column totals, grand total."""

    cells: list[list[str]]
    row_totals: list[str]
    column_totals: list[str]
    grand_total: str


def suppress_grid(
    cells: Sequence[Sequence[int]],
    threshold: int,
    *,
    grand_total_public: bool = False,
    column_totals_public: bool = False,
) -> GridStatus:
    """Statuses of a two-way table of counts published with its row, column and grand totals.

    `grand_total_public` / `column_totals_public`: those totals are known from elsewhere (the
    population total, figures shown next to the table) and cannot be hidden.
    """
    row_count = len(cells)
    column_count = len(cells[0]) if row_count else 0
    values: dict[Hashable, int] = {}
    for r, row in enumerate(cells):
        for c, count in enumerate(row):
            values[("cell", r, c)] = int(count)
        values[("row", r)] = sum(int(count) for count in row)
    for c in range(column_count if not column_totals_public else 0):
        values[("column", c)] = sum(int(cells[r][c]) for r in range(row_count))
    grand = sum(values[("row", r)] for r in range(row_count))
    lines = [
        Line(tuple(("cell", r, c) for c in range(column_count)), ("row", r))
        for r in range(row_count)
    ]
    lines += [
        Line(
            tuple(("cell", r, c) for r in range(row_count)),
            None if column_totals_public else ("column", c),
        )
        for c in range(column_count)
    ]
    margins_total: Hashable | None = None
    if not grand_total_public:
        values[("grand",)] = grand
        margins_total = ("grand",)
    lines.append(Line(tuple(("row", r) for r in range(row_count)), margins_total))
    if not column_totals_public:
        lines.append(Line(tuple(("column", c) for c in range(column_count)), margins_total))
    status = suppress_cells(values, lines, threshold)
    status.update({("column", c): SHOWN for c in range(column_count) if column_totals_public})
    return GridStatus(
        cells=[[status[("cell", r, c)] for c in range(column_count)] for r in range(row_count)],
        row_totals=[status[("row", r)] for r in range(row_count)],
        column_totals=[status[("column", c)] for c in range(column_count)],
        grand_total=SHOWN if grand_total_public else status[("grand",)],
    )


def shown(value: int, status: str, threshold: int) -> Any:
    """The count as published: the number, "<threshold" (small) or "x" (hidden to protect a
    small one)."""
    if status == PRIMARY:
        return f"<{threshold}"
    if status == SECONDARY:
        return SECONDARY_MARK
    return value


def is_hidden(status: str) -> bool:
    return status != SHOWN
