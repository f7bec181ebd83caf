"""Referral statistics for dashboards: aggregates only, never an alias, a note or free text.

Each function is one GROUP BY query (services/reporting/referral_stats.py: the reader's scope
and the filters) returning a small DataFrame with a code column and a `cases` column. The
report catalog (report_catalog.py) passes it through `suppress_small` before anyone sees it.
"""

from collections import Counter
from typing import Any, TypeVar

import altair as alt
import pandas as pd
from sqlmodel import Session, col

from models import Case, UserAccount
from models.enums import STAGE_ORDER
from services.platform import formatting
from services.platform.i18n import _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings
from services.reporting import referral_stats as stats
from services.reporting import suppression
from services.reporting.report_parts import ReportFilters

COUNT = "cases"
# Okabe & Ito's palette: distinguishable with every common form of colour blindness.
OKABE_ITO = [
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
]
BAR_COLOUR = OKABE_ITO[0]

# A DataFrame of aggregates, or the same rows as a list of dicts.
Rows = TypeVar("Rows", pd.DataFrame, list[dict[str, Any]])
ALL_CASES = ReportFilters()


def cases_by_stage(
    *, session: Session, actor: UserAccount, filters: ReportFilters = ALL_CASES
) -> pd.DataFrame:
    """Columns (stage, cases), every stage in board order."""
    counts = stats.count_by(session=session, actor=actor, filters=filters, column=col(Case.stage))
    return stats.frame("stage", counts, [stage.value for stage in STAGE_ORDER])


def cases_by_situation(
    *, session: Session, actor: UserAccount, filters: ReportFilters = ALL_CASES
) -> pd.DataFrame:
    """Columns (situation, cases), every situation, as suspected when the case was opened."""
    counts = stats.suspected_situations(session=session, actor=actor, filters=filters)
    return stats.frame("situation", counts, stats.situation_order())


def cases_by_country(
    *, session: Session, actor: UserAccount, filters: ReportFilters = ALL_CASES
) -> pd.DataFrame:
    """Columns (country, cases) for the reporting countries that have cases, most first."""
    counts = stats.count_by(
        session=session, actor=actor, filters=filters, column=col(Case.reporting_country)
    )
    order = sorted(counts, key=lambda code: (-counts[code], code))
    return stats.frame("country", counts, order)


def cases_by_month(
    *, session: Session, actor: UserAccount, filters: ReportFilters = ALL_CASES
) -> pd.DataFrame:
    """Columns (month 'YYYY-MM', cases) by month identified, months without cases as 0."""
    # Count per day, straight from the index on identified_on (a few thousand days at most),
    # and fold the days into months here: no date function evaluated for every case, and the
    # same on SQLite and PostgreSQL.
    counts: Counter[str] = Counter()
    for identified_on, number in stats.count_by_day(session=session, actor=actor, filters=filters):
        counts[f"{identified_on.year:04d}-{identified_on.month:02d}"] += int(number)
    if not counts:
        return stats.frame("month", {}, [])
    months = pd.period_range(min(counts), max(counts), freq="M").strftime("%Y-%m")
    return stats.frame("month", counts, list(months))


# --- small-count suppression ---------------------------------------------------------------


def suppress_small(rows: Rows, threshold: int | None = None, *, column: str = COUNT) -> Rows:
    """Counts from 1 to threshold-1 become the text "<threshold" (e.g. "<5"); 0 stays 0; and
    enough other counts become "x" that no hidden count can be worked out from the others and
    the table's total (services/reporting/suppression.py). Every report counts the same cases,
    so each
    table's total is known from any other table of the page or pack.

    The threshold defaults to the `small_count_threshold` setting. Returns a copy.
    """
    limit = get_settings().small_count_threshold if threshold is None else threshold
    if isinstance(rows, pd.DataFrame):
        suppressed = rows.copy()
        if column in suppressed:
            values = _protected(suppressed[column].tolist(), limit)
            suppressed[column] = pd.Series(values, index=suppressed.index, dtype=object)
        return suppressed
    counted = [row for row in rows if column in row]
    protected = iter(_protected([row[column] for row in counted], limit))
    return [{**row, column: next(protected)} if column in row else dict(row) for row in rows]


def _protected(counts: list[Any], threshold: int) -> list[Any]:
    """The counts as published: the number, "<threshold" or "x" (see suppress_small)."""
    numbers = [
        int(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0
        for value in counts
    ]
    statuses = suppression.suppress_series(numbers, threshold)
    return [
        suppression.shown(value, status, threshold)
        for value, status in zip(counts, statuses, strict=True)
    ]


# --- charts ----------------------------------------------------------------------------------


def chart_data(rows: pd.DataFrame, column: str, names: list[str]) -> pd.DataFrame:
    """`name` to show, `value` to draw (a suppressed count draws no bar) and `shown` text."""
    data = pd.DataFrame({"name": names, "shown": [str(v) for v in rows[COUNT].tolist()]})
    data["value"] = pd.to_numeric(rows[COUNT], errors="coerce").fillna(0).to_numpy()
    data["code"] = rows[column].to_numpy()
    return data


def bar_chart(
    data: pd.DataFrame, *, category_title: str, title: str, coloured: bool = False
) -> alt.LayerChart:
    order = data["name"].tolist()
    colour: Any = (
        alt.Color("name:N", sort=order, scale=alt.Scale(range=OKABE_ITO), legend=None)
        if coloured
        else alt.value(BAR_COLOUR)
    )
    base = alt.Chart(data).encode(
        y=alt.Y("name:N", sort=order, title=category_title),
        x=alt.X("value:Q", title=_("Cases"), axis=alt.Axis(tickMinStep=1)),
        tooltip=[
            alt.Tooltip("name:N", title=category_title),
            alt.Tooltip("shown:N", title=_("Cases")),
        ],
    )
    bars = base.mark_bar().encode(color=colour)
    counts = base.mark_text(align="left", dx=4).encode(text="shown:N")
    return (bars + counts).properties(title=title)


def stage_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars of cases per stage, in board order."""
    names = [label(code) for code in rows["stage"].tolist()]
    data = chart_data(rows, "stage", names)
    return bar_chart(data, category_title=_("Stage"), title=_("Cases by stage"), coloured=True)


def situation_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars of cases per suspected situation."""
    names = [label(code) for code in rows["situation"].tolist()]
    data = chart_data(rows, "situation", names)
    return bar_chart(
        data, category_title=_("Suspected situation"), title=_("Cases by suspected situation")
    )


def country_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars of cases per reporting country."""
    names = [country_name(code) for code in rows["country"].tolist()]
    data = chart_data(rows, "country", names)
    return bar_chart(
        data, category_title=_("Reporting country"), title=_("Cases by reporting country")
    )


def month_names(rows: pd.DataFrame) -> list[str]:
    """The months of `cases_by_month` as the reader names them ('out. de 2025')."""
    return [formatting.month_text(month) for month in rows["month"].tolist()]


def month_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Vertical bars of cases per month identified, oldest month first."""
    data = chart_data(rows, "month", month_names(rows))
    order = data["name"].tolist()
    base = alt.Chart(data).encode(
        x=alt.X("name:O", sort=order, title=_("Month identified")),
        y=alt.Y("value:Q", title=_("Cases"), axis=alt.Axis(tickMinStep=1)),
        tooltip=[
            alt.Tooltip("name:O", title=_("Month identified")),
            alt.Tooltip("shown:N", title=_("Cases")),
        ],
    )
    bars = base.mark_bar(color=BAR_COLOUR)
    counts = base.mark_text(baseline="bottom", dy=-2).encode(text="shown:N")
    return (bars + counts).properties(title=_("Cases by month identified"))
