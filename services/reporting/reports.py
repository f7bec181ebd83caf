"""Referral statistics for dashboards: aggregates only, never an alias, a note or free text.

Each function is one GROUP BY query returning a small DataFrame with a code column and a
`cases` column. Pages pass it through `suppress_small` before showing or exporting it.
"""

from collections import Counter
from typing import Any, TypeVar

import altair as alt
import pandas as pd
from sqlmodel import Session, col, func, select

from models import Case, UserAccount
from models.enums import STAGE_ORDER, Situation
from services.platform.access import DASHBOARD_READERS, require_role
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings
from services.reporting import charts, suppression
from services.reporting.export import ExportInfo, record_export, suppression_legend

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


def _frame(column: str, counts: dict[str, int], order: list[str]) -> pd.DataFrame:
    return pd.DataFrame(
        {column: order, COUNT: [int(counts.get(code, 0)) for code in order]},
    ).astype({COUNT: "int64"})


def cases_by_stage(*, session: Session, actor: UserAccount) -> pd.DataFrame:
    """Columns (stage, cases), every stage in board order."""
    require_role(actor, DASHBOARD_READERS)
    statement = select(Case.stage, func.count(col(Case.id))).group_by(Case.stage)
    counts = {str(stage): count for stage, count in session.exec(statement).all()}
    return _frame("stage", counts, [stage.value for stage in STAGE_ORDER])


def cases_by_situation(*, session: Session, actor: UserAccount) -> pd.DataFrame:
    """Columns (situation, cases), every suspected situation."""
    require_role(actor, DASHBOARD_READERS)
    statement = select(Case.situation, func.count(col(Case.id))).group_by(Case.situation)
    counts = {str(situation): count for situation, count in session.exec(statement).all()}
    return _frame("situation", counts, [situation.value for situation in Situation])


def cases_by_country(*, session: Session, actor: UserAccount) -> pd.DataFrame:
    """Columns (country, cases) for the reporting countries that have cases, most first."""
    require_role(actor, DASHBOARD_READERS)
    count = func.count(col(Case.id))
    statement = (
        select(Case.reporting_country, count)
        .group_by(Case.reporting_country)
        .order_by(count.desc(), Case.reporting_country)
    )
    counts = dict(session.exec(statement).all())
    return _frame("country", counts, list(counts))


def cases_by_month(*, session: Session, actor: UserAccount) -> pd.DataFrame:
    """Columns (month 'YYYY-MM', cases) by month identified, months without cases as 0."""
    require_role(actor, DASHBOARD_READERS)
    # Count per day, straight from the index on identified_on (a few thousand days at most),
    # and fold the days into months here: no date function evaluated for every case, and the
    # same on SQLite and PostgreSQL.
    day = col(Case.identified_on)
    statement = select(day, func.count()).group_by(day)
    counts: Counter[str] = Counter()
    for identified_on, number in session.exec(statement).all():
        counts[f"{identified_on.year:04d}-{identified_on.month:02d}"] += int(number)
    if not counts:
        return _frame("month", {}, [])
    months = pd.period_range(min(counts), max(counts), freq="M").strftime("%Y-%m")
    return _frame("month", counts, list(months))


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


def _chart_data(rows: pd.DataFrame, column: str, names: list[str]) -> pd.DataFrame:
    """`name` to show, `value` to draw (a suppressed count draws no bar) and `shown` text."""
    data = pd.DataFrame({"name": names, "shown": [str(v) for v in rows[COUNT].tolist()]})
    data["value"] = pd.to_numeric(rows[COUNT], errors="coerce").fillna(0).to_numpy()
    data["code"] = rows[column].to_numpy()
    return data


def _bar_chart(
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
    data = _chart_data(rows, "stage", names)
    return _bar_chart(data, category_title=_("Stage"), title=_("Cases by stage"), coloured=True)


def situation_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars of cases per suspected situation."""
    names = [label(code) for code in rows["situation"].tolist()]
    data = _chart_data(rows, "situation", names)
    return _bar_chart(
        data, category_title=_("Suspected situation"), title=_("Cases by suspected situation")
    )


def country_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Horizontal bars of cases per reporting country."""
    names = [country_name(code) for code in rows["country"].tolist()]
    data = _chart_data(rows, "country", names)
    return _bar_chart(
        data, category_title=_("Reporting country"), title=_("Cases by reporting country")
    )


def month_chart(rows: pd.DataFrame) -> alt.LayerChart:
    """Vertical bars of cases per month identified, oldest month first."""
    data = _chart_data(rows, "month", rows["month"].tolist())
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


# --- the page's reports, their tables and exports ------------------------------------------

REPORTS: dict[str, tuple[str, str]] = {
    # name: (title, category column title), in page order
    "stage": (N_("Cases by stage"), N_("Stage")),
    "situation": (N_("Cases by suspected situation"), N_("Suspected situation")),
    "country": (N_("Cases by reporting country"), N_("Reporting country")),
    "month": (N_("Cases by month identified"), N_("Month identified")),
}


def referral_reports(*, session: Session, actor: UserAccount) -> dict[str, pd.DataFrame]:
    """Every report of the page by name (REPORTS), unsuppressed: suppress before showing."""
    require_role(actor, DASHBOARD_READERS)
    return {
        "stage": cases_by_stage(session=session, actor=actor),
        "situation": cases_by_situation(session=session, actor=actor),
        "country": cases_by_country(session=session, actor=actor),
        "month": cases_by_month(session=session, actor=actor),
    }


def report_chart(name: str, rows: pd.DataFrame) -> alt.LayerChart:
    """The chart of one report, drawn from its (suppressed) rows."""
    builders = {
        "stage": stage_chart,
        "situation": situation_chart,
        "country": country_chart,
        "month": month_chart,
    }
    return builders[name](rows)


def report_specs(
    every_report: dict[str, pd.DataFrame], threshold: int
) -> dict[str, dict[str, Any]]:
    """Every report's chart as a Vega-Lite spec (Altair's output, validated once), drawn from
    its rows with small counts suppressed, in page order and the current language."""
    return {
        name: report_chart(name, suppress_small(every_report[name], threshold)).to_dict()
        for name in REPORTS
    }


def report_table(name: str, rows: pd.DataFrame) -> pd.DataFrame:
    """A report's (suppressed) rows with translated headers and category labels, as exported."""
    names: dict[str, Any] = {
        "stage": label,
        "situation": label,
        "country": country_name,
        "month": str,
    }
    title, category = REPORTS[name]
    return pd.DataFrame(
        {
            _(category): [names[name](code) for code in rows[name].tolist()],
            _("Cases"): rows[COUNT].tolist(),
        }
    )


def _export_info(title: str, threshold: int) -> ExportInfo:
    return ExportInfo(
        title=title,
        source=_("Enlace — referral cases (aggregates)"),
        filters=suppression_legend(threshold),
    )


def _record_export(
    session: Session, actor: UserAccount, item: str, fmt: str, threshold: int
) -> None:
    details = {"format": fmt, "small_count_threshold": threshold}
    record_export(session, actor=actor, entity="report", entity_id=item, details=details)


def export_report(
    *,
    session: Session,
    actor: UserAccount,
    reports: dict[str, pd.DataFrame],
    name: str,
    fmt: str,
    threshold: int | None = None,
) -> charts.ExportFile:
    """One report as PNG/SVG/PDF chart or CSV/XLSX data, small counts suppressed; audited.

    `reports` is referral_reports' answer (unsuppressed); the caller commits."""
    require_role(actor, DASHBOARD_READERS)
    limit = get_settings().small_count_threshold if threshold is None else threshold
    rows = suppress_small(reports[name], limit)
    info = _export_info(_(REPORTS[name][0]), limit)
    if fmt in charts.IMAGE_FORMATS:
        file = charts.chart_file(report_chart(name, rows), info, fmt)
    else:
        file = charts.data_file(report_table(name, rows), info, fmt)
    _record_export(session, actor, name, fmt, limit)
    return file


def export_reports_pack(
    *,
    session: Session,
    actor: UserAccount,
    reports: dict[str, pd.DataFrame],
    fmt: str,
    threshold: int | None = None,
) -> charts.ExportFile:
    """Every report in one PDF ("pdf") or as all files in a ZIP ("zip"); audited."""
    require_role(actor, DASHBOARD_READERS)
    limit = get_settings().small_count_threshold if threshold is None else threshold
    suppressed = {name: suppress_small(rows, limit) for name, rows in reports.items()}
    info = _export_info(_("Referral statistics"), limit)
    if fmt == "pdf":
        drawn = [report_chart(name, rows) for name, rows in suppressed.items()]
        file = charts.report_pdf(drawn, info)
    elif fmt == "zip":
        files = []
        for name, rows in suppressed.items():
            item_info = _export_info(_(REPORTS[name][0]), limit)
            files += [
                charts.chart_file(report_chart(name, rows), item_info, image)
                for image in charts.IMAGE_FORMATS
            ]
            files += [
                charts.data_file(report_table(name, rows), item_info, data)
                for data in charts.DATA_FORMATS
            ]
        file = charts.report_zip(files, info)
    else:
        raise ValueError(f"unknown pack format {fmt!r}; use pdf or zip")
    _record_export(session, actor, "pack", fmt, limit)
    return file
