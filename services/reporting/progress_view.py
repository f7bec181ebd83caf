"""The progress dashboard as people see it and take it away: tables with translated headers,
the Altair charts, the page's view model, and the export files and packs (audited). Counts
of people as published (small ones suppressed for managers) are in `small_counts`.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
from sqlmodel import Session

from models import UserAccount
from services.platform import formatting
from services.platform.access import DASHBOARD_READERS, STAFF, require_role
from services.platform.i18n import N_, _
from services.platform.labels import label
from services.platform.settings import get_settings
from services.reporting import charts, suppression
from services.reporting.dashboard import ProgressDashboard, country_label, to_query
from services.reporting.export import ExportInfo, record_export, suppression_legend
from services.reporting.progress import (
    CountryProgress,
)
from services.reporting.reports import OKABE_ITO
from services.reporting.small_counts import PublishedCounts, published_counts

BAR_COLOUR = OKABE_ITO[0]
RULE_COLOUR = OKABE_ITO[5]

# Items of the page that can be exported: charts (image + data) and tables (data only).
CHARTS = ("completion", "modules", "completions")
TABLES = ("countries", "at_risk")
ITEM_TITLES = {
    "completion": N_("Completion rate by country"),
    "modules": N_("Module completion by country"),
    "completions": N_("Cumulative completions over time"),
    "countries": N_("Progress by country"),
    "at_risk": N_("Participants behind schedule"),
    "participants": N_("Participants and module states"),
}

# ------------------------------------------------------------------------ labels and tables


def _percent(value: float) -> str:
    return formatting.percent(value)


def _with_formats(frame: pd.DataFrame, formats: Mapping[str, str]) -> pd.DataFrame:
    """Mark columns of numbers ("0%": a fraction, "0.0": a decimal): files keep them numbers
    formatted by the cell (XLSX), `page_table` writes them as the reader does."""
    frame.attrs["number_formats"] = dict(formats)
    return frame


def page_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The table as the page shows it: marked numbers as text in the reader's format
    ("78,7", "79 %"); a mark such as "x" stays as it is."""
    formats = frame.attrs.get("number_formats", {})
    if not formats:
        return frame
    shown = frame.copy()

    def text(value: Any, number_format: str) -> Any:
        if isinstance(value, str):
            return value
        if number_format.endswith("%"):
            return formatting.percent(value)
        return formatting.decimal(value, len(number_format.partition(".")[2]))

    for column, number_format in formats.items():
        if column in shown.columns:
            shown[column] = [text(value, number_format) for value in frame[column]]
    return shown


def progress_table(
    rows: Sequence[CountryProgress], published: PublishedCounts | None = None
) -> pd.DataFrame:
    """The country table; with `published`, its counts of people as published."""

    def count(row: CountryProgress, column: str) -> Any:
        if published is None or row.country not in published.countries:
            return getattr(row, column)
        return published.countries[row.country][column]

    def rate(row: CountryProgress) -> float | str:
        if published is not None and published.countries.get(row.country, {}).get("rate_hidden"):
            return suppression.SECONDARY_MARK
        return row.completion_rate

    frame = pd.DataFrame(
        {
            _("Country"): [country_label(row.country) for row in rows],
            _("Enrolled"): [count(row, "enrolled") for row in rows],
            _("Invited"): [count(row, "invited") for row in rows],
            _("Active"): [count(row, "active") for row in rows],
            _("Completed"): [count(row, "completed") for row in rows],
            _("Withdrawn"): [count(row, "withdrawn") for row in rows],
            _("Completion rate"): [rate(row) for row in rows],
            _("Average final grade"): [row.average_grade for row in rows],
            _("Behind schedule"): [count(row, "behind") for row in rows],
        }
    )
    return _with_formats(frame, {_("Completion rate"): "0%", _("Average final grade"): "0.0"})


def at_risk_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The participants at risk with translated headers and labels, for the page and files."""
    return pd.DataFrame(
        {
            _("Participant"): frame["full_name"].tolist(),
            _("Country"): [country_label(code) for code in frame["country"]],
            _("Consular post"): frame["consular_post"].tolist(),
            _("Status"): [label(code) for code in frame["status"]],
            _("Modules overdue"): frame["overdue_modules"].tolist(),
            _("Days behind"): frame["days_behind"].tolist(),
            _("First missed due date"): frame["first_missed_due"].tolist(),
            _("Last activity"): [
                value.date() if value is not None and not pd.isna(value) else None
                for value in frame["last_activity"]
            ],
        }
    )


def participants_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The drill-down with translated headers and state labels."""
    fixed = {
        "full_name": _("Participant"),
        "consular_post": _("Consular post"),
        "status": _("Status"),
        "final_grade": _("Final grade"),
    }
    shown = frame.rename(columns=fixed)
    for column in frame.columns:
        if column == "status" or column not in fixed:
            target = fixed.get(column, column)
            shown[target] = [label(code) for code in frame[column]]
    return shown


def module_table(cells: Sequence[dict[str, Any]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        {
            _("Module"): [f"{cell['position']}. {cell['module_title']}" for cell in cells],
            _("Country"): [country_label(cell["country"]) for cell in cells],
            _("Completed"): [cell["completed"] for cell in cells],
            _("Participants"): [cell["total"] for cell in cells],
            _("Completion rate"): [_cell_rate(cell) for cell in cells],
        }
    )
    return _with_formats(frame, {_("Completion rate"): "0%"})


def _cell_rate(cell: Mapping[str, Any]) -> float | str | None:
    if cell.get("rate_hidden"):
        return suppression.SECONDARY_MARK
    return cell["completed"] / cell["total"] if cell["total"] else None


def completions_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Country"): [country_label(code) for code in frame["country"]],
            _("Date"): frame["completed_on"].tolist(),
            _("Completions"): frame["completions"].tolist(),
            _("Cumulative completions"): frame["cumulative"].tolist(),
        }
    )


# ------------------------------------------------------------------------ charts


def completion_chart(
    rows: Sequence[CountryProgress],
    region: CountryProgress | None = None,
    published: PublishedCounts | None = None,
) -> alt.TopLevelMixin:
    """Bars of completion rate by country, counts in the tooltip, and the regional average
    as a rule across them. With `published`, a hidden rate draws no bar and the tooltip
    gives the counts as published."""

    def shown(row: CountryProgress) -> dict[str, Any]:
        numbers = {
            "completion_rate": row.completion_rate,
            "completed": row.completed,
            "remaining": row.enrolled - row.withdrawn,
        }
        counts = published.countries.get(row.country) if published else None
        if counts is None:
            return numbers
        mark = suppression.SECONDARY_MARK
        return {
            "completion_rate": None if counts["rate_hidden"] else row.completion_rate,
            "completed": str(counts["completed"]),
            "remaining": str(numbers["remaining"]) if counts["remaining_public"] else mark,
        }

    values = [shown(row) for row in rows]
    data = pd.DataFrame(
        {
            "country": [country_label(row.country) for row in rows],
            "completion_rate": [value["completion_rate"] for value in values],
            "completed": [value["completed"] for value in values],
            "remaining": [value["remaining"] for value in values],
        }
    )
    bars = (
        alt.Chart(data)
        .mark_bar(color=BAR_COLOUR)
        .encode(
            x=alt.X("country:N", title=_("Country"), sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "completion_rate:Q",
                title=_("Completion rate"),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[
                alt.Tooltip("country:N", title=_("Country")),
                alt.Tooltip("completion_rate:Q", title=_("Completion rate"), format=".0%"),
                alt.Tooltip("completed:N", title=_("Completed")),
                alt.Tooltip("remaining:N", title=_("Enrolled, not withdrawn")),
            ],
        )
    )
    title = _("Completion rate by country")
    if region is None:
        return bars.properties(title=title)
    average = pd.DataFrame(
        {
            "average": [region.completion_rate],
            "caption": [_("Regional average {rate}").format(rate=_percent(region.completion_rate))],
        }
    )
    base = alt.Chart(average).encode(
        y="average:Q",
        tooltip=[alt.Tooltip("average:Q", title=_("Regional average"), format=".0%")],
    )
    rule = base.mark_rule(color=RULE_COLOUR, strokeDash=[6, 3], strokeWidth=2)
    text = base.mark_text(
        color=RULE_COLOUR, align="right", baseline="bottom", dy=-3, x="width"
    ).encode(text="caption:N")
    return alt.layer(bars, rule, text).properties(title=title, width=520, height=300)


HEATMAP_ROW = 30  # px per module
HEATMAP_COLUMN = 72  # px per country


def module_heatmap(cells: Sequence[dict[str, Any]]) -> alt.TopLevelMixin:
    """Module (rows, in course order) × country (columns) coloured by completion rate."""
    data = pd.DataFrame(
        {
            "module": [f"{cell['position']}. {cell['module_title']}" for cell in cells],
            "country": [country_label(cell["country"]) for cell in cells],
            "rate": [
                None
                if cell.get("rate_hidden")
                else (cell["completed"] / cell["total"] if cell["total"] else 0.0)
                for cell in cells
            ],
            "completed": [str(cell["completed"]) for cell in cells],
            "total": [str(cell["total"]) for cell in cells],
            "label": [_cell_rate(cell) for cell in cells],
        }
    )
    modules = list(dict.fromkeys(data["module"]))
    countries = list(dict.fromkeys(data["country"]))
    base = alt.Chart(data).encode(
        x=alt.X(
            "country:N",
            title=_("Country"),
            sort=countries,
            axis=alt.Axis(orient="top", labelAngle=-30, labelLimit=140),
        ),
        # Every module's label: a row is HEATMAP_ROW px high, so labels never overlap (a
        # label Vega-Lite thinks overlaps is dropped: every other one, before).
        y=alt.Y(
            "module:N",
            title=_("Module"),
            sort=modules,
            axis=alt.Axis(labelLimit=280, labelOverlap=False),
        ),
        tooltip=[
            alt.Tooltip("module:N", title=_("Module")),
            alt.Tooltip("country:N", title=_("Country")),
            alt.Tooltip("rate:Q", title=_("Completion rate"), format=".0%"),
            alt.Tooltip("completed:N", title=_("Completed")),
            alt.Tooltip("total:N", title=_("Participants")),
        ],
    )
    # Viridis: ordered light-to-dark for every common colour-vision deficiency.
    cells_mark = base.mark_rect().encode(
        color=alt.Color(
            "rate:Q",
            title=_("Completion rate"),
            scale=alt.Scale(scheme="viridis", domain=[0, 1], reverse=True),
            legend=alt.Legend(format="%", orient="bottom", direction="horizontal"),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("label:N"),
        color=alt.condition("datum.rate > 0.5", alt.value("white"), alt.value("black")),
    )
    # An explicit size per row and column, and "pad" autosize: the page (Streamlit's default
    # "fit" to a height it does not know) squeezed the rows into a band ~10 px high, with
    # the legend clipped and the title over the table above.
    return alt.layer(cells_mark, text).properties(
        title=_("Module completion by country"),
        width=alt.Step(HEATMAP_COLUMN),
        height=alt.Step(HEATMAP_ROW),
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
    )


def completions_chart(frame: pd.DataFrame, ends_on: date | None = None) -> alt.TopLevelMixin:
    """Cumulative completions per country over time (colour and dash per country), with the
    course end date marked."""
    data = pd.DataFrame(
        {
            "country": [country_label(code) for code in frame["country"]],
            "date": pd.to_datetime(frame["completed_on"]),
            "cumulative": frame["cumulative"].astype("int64"),
            "completions": frame["completions"].astype("int64"),
        }
    )
    countries = list(dict.fromkeys(data["country"]))
    lines = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("date:T", title=_("Date completed")),
            # A count: whole-number ticks only (no 0.5 steps on a small course).
            y=alt.Y(
                "cumulative:Q",
                title=_("Completions (cumulative)"),
                axis=alt.Axis(tickMinStep=1, format="d"),
            ),
            color=alt.Color(
                "country:N",
                title=_("Country"),
                sort=countries,
                scale=alt.Scale(range=OKABE_ITO),
            ),
            # The dash tells the lines apart without colour; the colour legend names them
            # (a second legend of the dashes drew every country in black).
            strokeDash=alt.StrokeDash("country:N", sort=countries, legend=None),
            tooltip=[
                alt.Tooltip("country:N", title=_("Country")),
                alt.Tooltip("date:T", title=_("Date"), format="%x"),
                alt.Tooltip("completions:Q", title=_("Completions that day")),
                alt.Tooltip("cumulative:Q", title=_("Completions (cumulative)")),
            ],
        )
    )
    title = _("Cumulative completions over time")
    if ends_on is None:
        return lines.properties(title=title, width=520, height=300)
    end = pd.DataFrame(
        {
            "date": [pd.Timestamp(ends_on)],
            "caption": [_("Course end {date}").format(date=formatting.date_text(ends_on))],
        }
    )
    base = alt.Chart(end).encode(
        x="date:T", tooltip=[alt.Tooltip("caption:N", title=_("Course end"))]
    )
    rule = base.mark_rule(color="#000000", strokeDash=[4, 4])
    text = base.mark_text(align="right", baseline="top", dx=-4, y=4).encode(text="caption:N")
    return alt.layer(lines, rule, text).properties(title=title, width=520, height=300)


def dashboard_charts(
    dashboard: ProgressDashboard, published: PublishedCounts | None = None
) -> dict[str, alt.TopLevelMixin]:
    """Every chart of the page, by name (CHARTS); only those with data to draw. With
    `published`, drawn from the counts as published (small ones suppressed)."""
    compared = dashboard.countries
    modules = published.modules if published else dashboard.modules
    completions = published.completions if published else dashboard.completions
    built: dict[str, alt.TopLevelMixin] = {}
    if compared:
        built["completion"] = completion_chart(compared, dashboard.region, published)
    if modules:
        built["modules"] = module_heatmap(modules)
    if not completions.empty:
        built["completions"] = completions_chart(completions, dashboard.course.ends_on)
    return built


@dataclass(frozen=True)
class DashboardView:
    """What the page draws, ready to send: Vega-Lite specs (Altair's output, validated once)
    and the tables with translated headers. Built once per dashboard and language."""

    specs: dict[str, dict[str, Any]]
    countries_table: pd.DataFrame
    at_risk_table: pd.DataFrame | None
    # The key figures as shown: numbers, or "<5" for a manager when small.
    key_figures: dict[str, Any] = field(default_factory=dict)


def _published(dashboard: ProgressDashboard, threshold: int | None) -> PublishedCounts | None:
    return None if threshold is None else published_counts(dashboard, threshold)


def dashboard_view(dashboard: ProgressDashboard) -> DashboardView:
    """The page's charts as specs and its tables, in the current language; for a manager,
    with the small counts of people suppressed (dashboard.small_count_threshold)."""
    compared = (
        [*dashboard.countries, dashboard.region]
        if dashboard.is_officer_view
        else dashboard.countries
    )
    at_risk = dashboard.at_risk
    published = _published(dashboard, dashboard.small_count_threshold)
    selection = dashboard.selection
    key_figures: dict[str, Any] = (
        published.selection
        if published
        else {
            "enrolled": selection.enrolled,
            "active": selection.active,
            "completed": selection.completed,
            "behind": selection.behind,
        }
    )
    return DashboardView(
        specs={
            name: chart.to_dict() for name, chart in dashboard_charts(dashboard, published).items()
        },
        # As text when suppressed: a column of numbers and "<5" is not one Arrow type.
        countries_table=(
            page_table(progress_table(compared, published)).astype(str)
            if published
            else page_table(progress_table(compared))
        ),
        at_risk_table=None if at_risk is None or at_risk.empty else at_risk_table(at_risk),
        key_figures=key_figures,
    )


def export_threshold(dashboard: ProgressDashboard) -> int:
    """Files always suppress small counts of people: the manager's threshold, or the setting."""
    return dashboard.small_count_threshold or get_settings().small_count_threshold


def item_frame(
    dashboard: ProgressDashboard, item: str, published: PublishedCounts | None = None
) -> pd.DataFrame:
    """The data behind a chart or table, as exported (translated headers); with `published`,
    the counts of people as published."""
    if item == "completion" or item == "countries":
        return progress_table(dashboard.countries, published)
    if item == "modules":
        return module_table(published.modules if published else dashboard.modules)
    if item == "completions":
        return completions_table(published.completions if published else dashboard.completions)
    if item == "at_risk" and dashboard.at_risk is not None:
        return at_risk_table(dashboard.at_risk)
    raise ValueError(f"nothing to export named {item!r}")


def export_info(dashboard: ProgressDashboard, item: str) -> ExportInfo:
    return ExportInfo(
        title=_(ITEM_TITLES[item]),
        source=_("Enlace — course progress ({code})").format(code=dashboard.course.code),
        filters=dashboard.filter_labels,
    )


# ------------------------------------------------------------------------ exports


def _suppressed_info(info: ExportInfo, dashboard: ProgressDashboard) -> ExportInfo:
    """The file's header lines, with what "<5" and "x" mean."""
    threshold = export_threshold(dashboard)
    return replace(info, filters={**info.filters, **suppression_legend(threshold)})


def _record_export(
    session: Session, actor: UserAccount, dashboard: ProgressDashboard, item: str, fmt: str
) -> None:
    details = {"item": item, "format": fmt, **to_query(None, dashboard.filters)}
    record_export(
        session, actor=actor, entity="progress", entity_id=dashboard.course.code, details=details
    )


def export_item(
    *,
    session: Session,
    actor: UserAccount,
    dashboard: ProgressDashboard,
    item: str,
    fmt: str,
) -> charts.ExportFile:
    """One chart as PNG/SVG/PDF, or a chart's or table's data as CSV/XLSX; audited.

    Coordinators, managers and admins only; small counts of people suppressed. The caller
    commits (the audit event)."""
    require_role(actor, STAFF if item == "at_risk" else DASHBOARD_READERS)  # names: staff
    info = _suppressed_info(export_info(dashboard, item), dashboard)
    published = published_counts(dashboard, export_threshold(dashboard))
    if fmt in charts.IMAGE_FORMATS:
        built = dashboard_charts(dashboard, published)
        if item not in built:
            raise ValueError(f"no chart named {item!r} to draw")
        file = charts.chart_file(built[item], info, fmt)
    else:
        file = charts.data_file(item_frame(dashboard, item, published), info, fmt)
    _record_export(session, actor, dashboard, item, fmt)
    return file


def export_pack(
    *, session: Session, actor: UserAccount, dashboard: ProgressDashboard, fmt: str
) -> charts.ExportFile:
    """The report pack: "pdf" (one PDF, every chart under a cover with the filters) or
    "zip" (every chart as PNG, SVG and PDF, every table as CSV and XLSX); audited."""
    require_role(actor, DASHBOARD_READERS)
    info = ExportInfo(
        title=_("Progress by country — {code}").format(code=dashboard.course.code),
        source=export_info(dashboard, "countries").source,
        filters=dashboard.filter_labels,
    )
    info = _suppressed_info(info, dashboard)
    published = published_counts(dashboard, export_threshold(dashboard))
    built = dashboard_charts(dashboard, published)
    if fmt == "pdf":
        file = charts.report_pdf(list(built.values()), info)
    elif fmt == "zip":
        files = [
            charts.chart_file(
                chart, _suppressed_info(export_info(dashboard, name), dashboard), image
            )
            for name, chart in built.items()
            for image in charts.IMAGE_FORMATS
        ]
        items = [*built, *(t for t in TABLES if t != "at_risk" or dashboard.at_risk is not None)]
        files += [
            charts.data_file(
                item_frame(dashboard, name, published),
                _suppressed_info(export_info(dashboard, name), dashboard),
                data,
            )
            for name in dict.fromkeys(items)
            if name != "completion"
            for data in charts.DATA_FORMATS
        ]
        file = charts.report_zip(files, info)
    else:
        raise ValueError(f"unknown pack format {fmt!r}; use pdf or zip")
    _record_export(session, actor, dashboard, "pack", fmt)
    return file
