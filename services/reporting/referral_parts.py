"""Issue 16's referral reports as parts (a chart and its table, as published): every count
from 1 to threshold-1 hidden with the counts that would give it away, every time statistic
over fewer cases than the threshold withheld. Each builder is a report of the catalog
(report_catalog.REPORTS): `(*, session, actor, filters) -> list[ReportPart]`."""

from collections.abc import Sequence
from typing import Any

import altair as alt
import pandas as pd
from sqlmodel import Session, col

from models import Case, UserAccount
from models.enums import ExploitationType, ForcedLabourIndustry, Stage
from services.platform.i18n import _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings
from services.reporting import referral_stats as stats
from services.reporting import reports, suppression
from services.reporting.report_parts import ReportFilters, ReportPart

LIGHT_BAR = "#9ECAE1"  # the 90th percentile behind the median's darker bar
WITHHELD = "—"
ROW_STEP = 28  # pixels per row of a heat map: labels never overlap, however many rows


def threshold() -> int:
    return get_settings().small_count_threshold


def _table(category: str, names: Sequence[str], published: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({category: list(names), _("Cases"): published[reports.COUNT].tolist()})


def _counts_part(
    name: str,
    title: str,
    category: str,
    rows: pd.DataFrame,
    names: Sequence[str],
    *,
    note: str = "",
    coloured: bool = False,
) -> ReportPart:
    """A one-way table of cases whose total is known (the population counted): small counts
    hidden with secondary suppression along the table's line."""
    published = reports.suppress_small(rows, threshold())
    data = reports.chart_data(published, rows.columns[0], list(names))
    chart = reports.bar_chart(data, category_title=category, title=title, coloured=coloured)
    return ReportPart(name, title, _table(category, names, published), chart, note)


# --- cases ------------------------------------------------------------------------------------


def case_counts(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> list[ReportPart]:
    """Cases by stage, suspected situation, final situation, reporting country and month."""
    common: dict[str, Any] = {"session": session, "actor": actor, "filters": filters}
    stage = reports.cases_by_stage(**common)
    situation = reports.cases_by_situation(**common)
    final = stats.frame("situation", stats.final_situations(**common), stats.situation_order())
    country = reports.cases_by_country(**common)
    month = reports.cases_by_month(**common)
    t = threshold()
    month_published = reports.suppress_small(month, t)
    situations = [label(code) for code in stats.situation_order()]
    return [
        _counts_part(
            "stage",
            _("Cases by stage"),
            _("Stage"),
            stage,
            [label(code) for code in stage["stage"]],
            coloured=True,
        ),
        _counts_part(
            "situation",
            _("Cases by suspected situation"),
            _("Suspected situation"),
            situation,
            situations,
            note=_("The situation suspected when the case was opened."),
        ),
        _counts_part(
            "final_situation",
            _("Closed cases by final situation"),
            _("Final situation"),
            final,
            situations,
            note=_("The situation recorded when the case was closed (closed cases only)."),
        ),
        _counts_part(
            "country",
            _("Cases by reporting country"),
            _("Reporting country"),
            country,
            [country_name(code) for code in country["country"]],
        ),
        ReportPart(
            "month",
            _("Cases by month identified"),
            _table(_("Month identified"), reports.month_names(month), month_published),
            reports.month_chart(month_published),
        ),
    ]


# --- exploitation -----------------------------------------------------------------------------


def _listed_label(code: str) -> str:
    return _("Not recorded") if code == stats.NOT_RECORDED else label(code)


def exploitation(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> list[ReportPart]:
    """Cases by type of exploitation and by forced-labour industry (HTCDS codes)."""
    parts = []
    for name, title, category, column, codes, note in (
        (
            "exploitation_type",
            _("Cases by type of exploitation"),
            _("Type of exploitation"),
            col(Case.exploitation_types),
            [code.value for code in ExploitationType],
            _("A case may have several types: the counts add up to more than the cases."),
        ),
        (
            "industry",
            _("Cases by forced-labour industry"),
            _("Industry (ISIC section)"),
            col(Case.forced_labour_industries),
            [code.value for code in ForcedLabourIndustry],
            _(
                "Textile work is counted under manufacturing (ISIC C), domestic work under "
                "households as employers (ISIC T). A case may name several industries."
            ),
        ),
    ):
        counts = stats.count_listed(
            session=session, actor=actor, filters=filters, column=column, codes=codes
        )
        order = [*codes, stats.NOT_RECORDED]
        rows = stats.frame(name, counts, order)
        names = [_listed_label(code) for code in order]
        parts.append(_counts_part(name, title, category, rows, names, note=note))
    return parts


# --- times ------------------------------------------------------------------------------------


def _days_text(value: float | None) -> Any:
    return WITHHELD if value is None else round(value, 1)


def _spread_rows(
    spreads: Sequence[tuple[str, stats.Spread]], t: int
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(published table, chart data) of named spreads; fewer than t cases: withheld."""
    names, cases, medians, p90s = [], [], [], []
    for name, spread in spreads:
        withheld = spread.cases < t
        names.append(name)
        cases.append(f"<{t}" if withheld and spread.cases > 0 else spread.cases)
        medians.append(None if withheld else spread.median)
        p90s.append(None if withheld else spread.p90)
    table = pd.DataFrame(
        {
            _("Measured"): names,
            _("Cases"): cases,
            _("Median (days)"): [_days_text(value) for value in medians],
            _("90th percentile (days)"): [_days_text(value) for value in p90s],
        }
    )
    shown = [
        _("withheld (fewer than {threshold} cases)").format(threshold=t)
        if median is None
        else _("median {median} · p90 {p90}").format(median=_days_text(median), p90=_days_text(p90))
        for median, p90 in zip(medians, p90s, strict=True)
    ]
    data = pd.DataFrame(
        {
            "name": names,
            "median": [0.0 if value is None else value for value in medians],
            "p90": [0.0 if value is None else value for value in p90s],
            "shown": shown,
        }
    )
    return table, data


def times_chart(data: pd.DataFrame, *, category: str, title: str) -> alt.TopLevelMixin:
    """Horizontal bars: the 90th percentile (light) behind the median (dark), in days."""
    order = data["name"].tolist()
    base = alt.Chart(data).encode(
        y=alt.Y("name:N", sort=order, title=category, axis=alt.Axis(labelLimit=260)),
        tooltip=[alt.Tooltip("name:N", title=category), alt.Tooltip("shown:N", title=_("Days"))],
    )
    p90 = base.mark_bar(color=LIGHT_BAR).encode(
        x=alt.X("p90:Q", title=_("Days (median, dark; 90th percentile, light)"))
    )
    median = base.mark_bar(color=reports.BAR_COLOUR, size=10).encode(x="median:Q")
    text = base.mark_text(align="left", dx=4).encode(x="p90:Q", text="shown:N")
    return alt.layer(p90, median, text).properties(
        title=title,
        height=alt.Step(ROW_STEP),
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
    )


def times(*, session: Session, actor: UserAccount, filters: ReportFilters) -> list[ReportPart]:
    """Median and 90th percentile of the days in each stage and to referral and assistance."""
    common: dict[str, Any] = {"session": session, "actor": actor, "filters": filters}
    t = threshold()
    stays = stats.stage_durations(**common)
    stage_spreads = [
        (label(stage.value), stats.spread(stays.get(stage.value, [])))
        for stage in Stage
        if stage != Stage.closed
    ]
    reached = stats.milestone_durations(**common)
    milestone_spreads = [
        (_("Identification → first referral"), stats.spread(reached.get("referral", []))),
        (_("Identification → assistance"), stats.spread(reached.get("assistance", []))),
    ]
    parts = []
    for name, title, category, spreads, note in (
        (
            "stage_times",
            _("Days in each stage"),
            _("Stage"),
            stage_spreads,
            _(
                "From the case timeline: stays that have ended (a case still in a stage is "
                "not counted for it). Withheld when fewer than {threshold} cases."
            ).format(threshold=t),
        ),
        (
            "milestone_times",
            _("Days from identification to referral and to assistance"),
            _("Measured"),
            milestone_spreads,
            _(
                "Cases that reached the step: the first referral sent, the first move into "
                "assistance. Withheld when fewer than {threshold} cases."
            ).format(threshold=t),
        ),
    ):
        table, data = _spread_rows(spreads, t)
        table = table.rename(columns={_("Measured"): category})
        parts.append(
            ReportPart(name, title, table, times_chart(data, category=category, title=title), note)
        )
    return parts


# --- two-way tables ---------------------------------------------------------------------------


def grid_chart(
    cells: pd.DataFrame,
    *,
    rows: Sequence[str],
    columns: Sequence[str],
    titles: tuple[str, str, str],
) -> alt.TopLevelMixin:
    """A heat map of a published two-way table (row, column, value, shown): a hidden count
    is drawn grey with its mark, an explicit height per row so labels never overlap."""
    row_title, column_title, title = titles
    drawn = sorted({int(value) for value in cells["value"].dropna()})
    base = alt.Chart(cells).encode(
        x=alt.X(
            "column:N",
            sort=list(columns),
            title=column_title,
            axis=alt.Axis(orient="top", labelAngle=-40, labelLimit=160),
        ),
        y=alt.Y("row:N", sort=list(rows), title=row_title, axis=alt.Axis(labelLimit=220)),
        tooltip=[
            alt.Tooltip("row:N", title=row_title),
            alt.Tooltip("column:N", title=column_title),
            alt.Tooltip("shown:N", title=_("Count")),
        ],
    )
    # Every cell: grey when its count is hidden ("<5", "x"), white otherwise; then the
    # counts shown, coloured (Vega-Lite leaves out the marks of a null quantitative value).
    background = base.mark_rect(stroke="white").encode(
        color=alt.condition("datum.hidden", alt.value("#DDDDDD"), alt.value("#FFFFFF"))
    )
    rects = base.mark_rect(stroke="white").encode(
        color=alt.Color(
            "value:Q",
            title=_("Count"),
            scale=alt.Scale(scheme="blues"),
            # Whole counts on the legend (5, 5.5, 6 read "5 6 6" before).
            legend=alt.Legend(
                orient="bottom",
                direction="horizontal",
                format="d",
                values=drawn if len(drawn) <= 6 else alt.Undefined,
            ),
        )
    )
    text = base.mark_text(fontSize=11).encode(text="shown:N")
    # A size per row and column, and "pad": Streamlit's default "fit" squeezes rows.
    return alt.layer(background, rects, text).properties(
        title=title,
        height=alt.Step(ROW_STEP),
        width=alt.Step(max(ROW_STEP, 44)),
        autosize=alt.AutoSizeParams(type="pad", contains="padding"),
    )


def published_grid(
    cells: Sequence[Sequence[int]], t: int, *, width: int, **public: bool
) -> tuple[list[list[Any]], list[Any], list[Any], Any]:
    """(cells, row totals, column totals, grand total) as published by suppress_grid; `width`:
    the number of columns (a table with no rows still has them)."""
    if not cells:
        return [], [], [0] * width, 0
    status = suppression.suppress_grid(cells, t, **public)
    row_totals = [sum(row) for row in cells]
    column_totals = [sum(column) for column in zip(*cells, strict=True)]
    return (
        [
            [suppression.shown(v, s, t) for v, s in zip(row, statuses, strict=True)]
            for row, statuses in zip(cells, status.cells, strict=True)
        ],
        [suppression.shown(v, s, t) for v, s in zip(row_totals, status.row_totals, strict=True)],
        [
            suppression.shown(v, s, t)
            for v, s in zip(column_totals, status.column_totals, strict=True)
        ],
        suppression.shown(sum(row_totals), status.grand_total, t),
    )


def _grid_table(
    corner: str,
    row_names: Sequence[str],
    column_names: Sequence[str],
    published: tuple[list[list[Any]], list[Any], list[Any], Any],
) -> pd.DataFrame:
    cells, row_totals, column_totals, grand = published
    body: list[list[Any]] = [
        [name, *row, total] for name, row, total in zip(row_names, cells, row_totals, strict=True)
    ]
    body.append([_("Total"), *column_totals, grand])
    return pd.DataFrame(body, columns=[corner, *column_names, _("Total")]).astype(str)


def _grid_cells(
    row_names: Sequence[str], column_names: Sequence[str], cells: Sequence[Sequence[Any]]
) -> pd.DataFrame:
    records = [
        {
            "row": row_name,
            "column": column_name,
            "value": value if isinstance(value, int) and value > 0 else None,
            "shown": str(value),
            "hidden": isinstance(value, str),
        }
        for row_name, row in zip(row_names, cells, strict=True)
        for column_name, value in zip(column_names, row, strict=True)
    ]
    return pd.DataFrame(records, columns=["row", "column", "value", "shown", "hidden"])


def _country(code: str) -> str:
    return _("Not recorded") if code == stats.UNKNOWN else country_name(code)


def _by_total(counts: dict[tuple[str, str], int], index: int) -> list[str]:
    totals: dict[str, int] = {}
    for key, number in counts.items():
        totals[key[index]] = totals.get(key[index], 0) + number
    return sorted(totals, key=lambda code: (code == stats.UNKNOWN, -totals[code], code))


def routes(*, session: Session, actor: UserAccount, filters: ReportFilters) -> list[ReportPart]:
    """The matrix of country of origin (citizenship) × country of exploitation."""
    counts = stats.origin_destination(session=session, actor=actor, filters=filters)
    origins, destinations = _by_total(counts, 0), _by_total(counts, 1)
    cells = [[counts.get((o, d), 0) for d in destinations] for o in origins]
    # The grand total is the number of cases counted, which every other report shows.
    published = published_grid(cells, threshold(), width=len(destinations), grand_total_public=True)
    row_names = [_country(code) for code in origins]
    column_names = [_country(code) for code in destinations]
    title = _("Country of origin × country of exploitation")
    corner = _("Origin (citizenship)")
    chart = grid_chart(
        _grid_cells(row_names, column_names, published[0]),
        rows=row_names,
        columns=column_names,
        titles=(corner, _("Country of exploitation"), title),
    )
    note = _(
        "Rows: the person's citizenship; columns: the country where they were exploited. "
        "Small counts and the counts that would give them away through the totals are hidden."
    )
    table = _grid_table(corner, row_names, column_names, published)
    return [ReportPart("origin_destination", title, table, chart if cells else None, note)]


def referral_outcomes(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> list[ReportPart]:
    """Referrals of the counted cases by organisation and answer; days to answer."""
    found = stats.referrals_by_organisation(session=session, actor=actor, filters=filters)
    t = threshold()
    ids = sorted(found.organisations, key=lambda key: found.organisations[key])
    states = stats.REFERRAL_STATES
    cells = [[found.counts.get((org, state), 0) for state in states] for org in ids]
    published = published_grid(cells, t, width=len(states))
    names = [f"{found.organisations[org][0]} ({found.organisations[org][1]})" for org in ids]
    state_names = [label(state) for state in states]
    title = _("Referrals by organisation and answer")
    corner = _("Organisation")
    outcomes = ReportPart(
        "referral_outcomes",
        title,
        _grid_table(corner, names, state_names, published),
        grid_chart(
            _grid_cells(names, state_names, published[0]),
            rows=names,
            columns=state_names,
            titles=(corner, _("State"), title),
        )
        if cells
        else None,
        _("Referrals of the cases counted, by the organisation's answer so far."),
    )
    spreads = [
        (name, stats.spread(found.answer_days.get(str(org), [])))
        for org, name in zip(ids, names, strict=True)
    ]
    table, data = _spread_rows(spreads, t)
    answer_title = _("Days to answer a referral, by organisation")
    table = table.rename(columns={_("Measured"): corner, _("Cases"): _("Answered referrals")})
    answers = ReportPart(
        "answer_times",
        answer_title,
        table,
        times_chart(data, category=corner, title=answer_title) if spreads else None,
        _(
            "From the day a referral was sent to the day it was answered. Withheld when "
            "fewer than {threshold} answers."
        ).format(threshold=t),
    )
    return [outcomes, answers]
