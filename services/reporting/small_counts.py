"""The progress dashboard's counts of people as published to a manager or in a file: small
ones suppressed, and enough others with them that none can be worked out
(services/reporting/suppression.py holds the methods).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from services.reporting import suppression
from services.reporting.dashboard import ProgressDashboard
from services.reporting.progress import OTHER_COUNTRIES

STATUS_COLUMNS = ("invited", "active", "completed", "withdrawn")


@dataclass(frozen=True)
class PublishedCounts:
    """The dashboard's counts of people as published to a manager or in a file: a number, "<5"
    (small) or "x" (hidden so that no small one can be worked out;
    services/reporting/suppression.py).

    `countries`: per country (the table's rows), enrolled, the statuses and behind, and whether
    its completion rate is hidden. `modules`: the heat map's cells with `completed` and `total`
    as published and `rate_hidden`. `completions`: the countries whose completions may be
    drawn. `selection`: the key figures (enrolled, active, completed, behind).
    """

    threshold: int
    countries: dict[str | None, dict[str, Any]]
    modules: list[dict[str, Any]]
    completions: pd.DataFrame
    selection: dict[str, Any]


def published_counts(dashboard: ProgressDashboard, threshold: int) -> PublishedCounts:
    """Suppress the small counts of people of the dashboard, and enough others with them.

    The country table is a two-way table (countries × statuses, enrolled as row totals) whose
    column totals and grand total are the key figures shown above it; "behind" is a one-way
    table whose total is a key figure too. A completion rate is hidden with any of its counts.
    A heat-map cell shows its rate only where the country's participants remaining are
    published and neither those who completed the module nor those who did not are few.
    """
    rows = dashboard.countries
    grid = suppression.suppress_grid(
        [[getattr(row, column) for column in STATUS_COLUMNS] for row in rows],
        threshold,
        grand_total_public=True,
        column_totals_public=True,
    )
    behind = suppression.suppress_series([row.behind for row in rows], threshold)
    countries: dict[str | None, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        statuses = dict(zip(STATUS_COLUMNS, grid.cells[index], strict=True))
        statuses["enrolled"] = grid.row_totals[index]
        shown = {
            column: suppression.shown(getattr(row, column), status, threshold)
            for column, status in statuses.items()
        }
        shown["behind"] = suppression.shown(row.behind, behind[index], threshold)
        hidden = {column for column, status in statuses.items() if suppression.is_hidden(status)}
        shown["rate_hidden"] = bool(hidden & {"enrolled", "completed", "withdrawn"})
        shown["remaining_public"] = not hidden & {"enrolled", "withdrawn"}
        countries[row.country] = shown
    modules = [_published_cell(cell, countries, threshold) for cell in dashboard.modules]
    selection = dashboard.selection
    key_figures = {
        name: value if not suppression.is_small(value, threshold) else f"<{threshold}"
        for name, value in (
            ("enrolled", selection.enrolled),
            ("active", selection.active),
            ("completed", selection.completed),
            ("behind", selection.behind),
        )
    }
    return PublishedCounts(
        threshold=threshold,
        countries=countries,
        modules=modules,
        completions=_published_completions(dashboard.completions, countries),
        selection=key_figures,
    )


def _published_completions(
    frame: pd.DataFrame, countries: Mapping[str | None, dict[str, Any]]
) -> pd.DataFrame:
    """The completions of countries whose completed count is hidden, as one line: its total is
    the column total (a key figure) minus the visible counts, so it gives nothing away."""
    hidden = {code for code, row in countries.items() if isinstance(row["completed"], str)}
    if frame.empty or not hidden:
        return frame
    merged = frame.assign(
        country=[OTHER_COUNTRIES if code in hidden else code for code in frame["country"]]
    )
    merged = (
        merged.groupby(["country", "completed_on"], sort=False, dropna=False)["completions"]
        .sum()
        .reset_index()
        .sort_values(["completed_on"], kind="stable")
        .reset_index(drop=True)
    )
    merged["cumulative"] = merged.groupby("country", dropna=False)["completions"].cumsum()
    return merged.astype({"completions": "int64", "cumulative": "int64"})


def _published_cell(
    cell: dict[str, Any], countries: Mapping[str | None, dict[str, Any]], threshold: int
) -> dict[str, Any]:
    completed, total = int(cell["completed"]), int(cell["total"])
    row = countries.get(cell["country"])
    total_shown = (row is None or row["remaining_public"]) and not suppression.is_small(
        total, threshold
    )
    few = suppression.is_small(completed, threshold) or suppression.is_small(
        total - completed, threshold
    )
    shown_completed: Any = completed
    if completed and (not total_shown or few):
        small = suppression.is_small(completed, threshold)
        shown_completed = f"<{threshold}" if small else suppression.SECONDARY_MARK
    return {
        **cell,
        "completed": shown_completed,
        "total": total
        if total_shown
        else (f"<{threshold}" if suppression.is_small(total, threshold) else "x"),
        "rate_hidden": not total_shown or few,
    }
