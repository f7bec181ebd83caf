"""Every report of the Reports page by name, and what the page, the downloads, the PDF pack and
`enlace export reports` do with them: build a report's parts for a reader and filters, export
one part (PNG/SVG/PDF chart, CSV/XLSX table) or a pack (multi-page PDF, ZIP), each audited.

A report is `(*, session, actor, filters: ReportFilters) -> list[ReportPart]`; registering one
more is one line in REPORTS.
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any

from sqlmodel import Session

from models import UserAccount
from models.enums import Role
from services.platform.access import DASHBOARD_READERS, require_role
from services.platform.errors import NotFound
from services.platform.i18n import N_, _
from services.platform.labels import country_name
from services.platform.settings import get_settings
from services.reporting import charts, referral_parts, training_impact
from services.reporting.export import ExportInfo, record_export, suppression_legend
from services.reporting.referral_stats import STATISTICS_READERS, check_filters, scoped
from services.reporting.report_parts import ReportFilters, ReportPart

Report = Callable[..., list[ReportPart]]

REPORTS: dict[str, tuple[str, Report]] = {
    # name: (title, builder), in page order
    "cases": (N_("Cases"), referral_parts.case_counts),
    "exploitation": (N_("Exploitation"), referral_parts.exploitation),
    "times": (N_("Time to act"), referral_parts.times),
    "routes": (N_("Origin and destination"), referral_parts.routes),
    "referrals": (N_("Referrals and answers"), referral_parts.referral_outcomes),
    "training": (N_("Training impact"), training_impact.training_impact),
}
# Who may read a report, where it is not every reader of statistics: training impact compares
# officers with each other, so it is for coordinators, managers and admins, not officers.
READERS: dict[str, tuple[Role, ...]] = {"training": DASHBOARD_READERS}


def readable_reports(actor: UserAccount) -> list[str]:
    """The names of the reports this reader may read, in page order."""
    return [name for name in REPORTS if actor.role in READERS.get(name, STATISTICS_READERS)]


def report_title(name: str) -> str:
    return _(REPORTS[name][0])


def build_report(
    name: str, *, session: Session, actor: UserAccount, filters: ReportFilters
) -> list[ReportPart]:
    """One report's parts for this reader and filters (small counts already suppressed)."""
    if name not in REPORTS:
        raise NotFound(
            N_("There is no report {name}; the reports are: {names}."),
            name=name,
            names=", ".join(REPORTS),
        )
    require_role(actor, READERS.get(name, STATISTICS_READERS))
    return REPORTS[name][1](session=session, actor=actor, filters=check_filters(filters))


def build_reports(
    *, session: Session, actor: UserAccount, filters: ReportFilters
) -> dict[str, list[ReportPart]]:
    """Every report this reader may read, in page order."""
    require_role(actor, STATISTICS_READERS)
    return {
        name: build_report(name, session=session, actor=actor, filters=filters)
        for name in readable_reports(actor)
    }


def find_part(every: Mapping[str, list[ReportPart]], name: str) -> ReportPart:
    for parts in every.values():
        for part in parts:
            if part.name == name:
                return part
    names = ", ".join(part.name for parts in every.values() for part in parts)
    raise NotFound(
        N_("There is no report part {name}; the parts are: {names}."), name=name, names=names
    )


# --- filters: in words, in the query string ---------------------------------------------------


def filter_labels(filters: ReportFilters) -> dict[str, str]:
    """The filters in words, for the page and every file: {"Reporting country": "Argentina",
    "Period identified": "2025-01-01 – …"}."""
    labels = {
        _("Reporting country"): (
            country_name(filters.country) if filters.country else _("Every country you may see")
        )
    }
    if filters.date_from or filters.date_to:
        start = filters.date_from.isoformat() if filters.date_from else "…"
        end = filters.date_to.isoformat() if filters.date_to else "…"
        labels[_("Period identified")] = f"{start} – {end}"
    else:
        labels[_("Period identified")] = _("Every case")
    return labels


def to_query(filters: ReportFilters) -> dict[str, str]:
    """The filters as URL query parameters (only those set): country, from, to."""
    values = {
        "country": filters.country,
        "from": filters.date_from.isoformat() if filters.date_from else None,
        "to": filters.date_to.isoformat() if filters.date_to else None,
    }
    return {name: value for name, value in values.items() if value}


def from_query(params: Mapping[str, Any]) -> ReportFilters:
    """The filters of a URL; a value that does not parse is ignored (a link never breaks)."""

    def text(name: str) -> str:
        value = params.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        return str(value).strip() if value is not None else ""

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(text(name))
        except ValueError:
            return None

    country = text("country").upper()
    return ReportFilters(
        country=country if len(country) == 2 and country.isalpha() else None,
        date_from=day("from"),
        date_to=day("to"),
    )


# --- exports ----------------------------------------------------------------------------------


def export_info(title: str, filters: ReportFilters, threshold: int | None = None) -> ExportInfo:
    limit = get_settings().small_count_threshold if threshold is None else threshold
    return ExportInfo(
        title=title,
        source=_("Enlace — referral cases (aggregates)"),
        filters={**filter_labels(filters), **suppression_legend(limit)},
    )


def _audit(
    session: Session,
    actor: UserAccount,
    item: str,
    fmt: str,
    filters: ReportFilters,
    **extra: Any,
) -> None:
    details = {
        "format": fmt,
        "small_count_threshold": get_settings().small_count_threshold,
        **to_query(filters),
        **extra,
    }
    record_export(session, actor=actor, entity="report", entity_id=item, details=details)


def part_file(part: ReportPart, info: ExportInfo, fmt: str) -> charts.ExportFile:
    """One part as a chart file or a data file (no audit: see export_part)."""
    if fmt in charts.IMAGE_FORMATS:
        if part.chart is None:
            raise ValueError(f"{part.name} has no chart to draw; use csv or xlsx")
        return charts.chart_file(part.chart, info, fmt)
    return charts.data_file(part.table, info, fmt)


def export_part(
    *,
    session: Session,
    actor: UserAccount,
    part: ReportPart,
    filters: ReportFilters,
    fmt: str,
) -> charts.ExportFile:
    """One part as PNG/SVG/PDF or CSV/XLSX, as published; audited (the caller commits)."""
    require_role(actor, STATISTICS_READERS)
    filters = scoped(actor, filters)
    file = part_file(part, export_info(part.title, filters), fmt)
    _audit(session, actor, part.name, fmt, filters)
    return file


def export_pack(
    *,
    session: Session,
    actor: UserAccount,
    reports: Mapping[str, list[ReportPart]],
    filters: ReportFilters,
    fmt: str,
    title: str | None = None,
) -> charts.ExportFile:
    """The pack of these reports: "pdf" (a cover with the filters and date, then one chart
    per page with its note) or "zip" (every chart as PNG/SVG/PDF, every table as CSV/XLSX);
    audited."""
    require_role(actor, STATISTICS_READERS)
    filters = scoped(actor, filters)
    info = export_info(title or _("Referral statistics"), filters)
    parts = [part for report in reports.values() for part in report]
    if fmt == "pdf":
        pages = [(part.chart, part.title, part.note) for part in parts if part.chart is not None]
        file = charts.report_pdf(
            [chart for chart, _title, _note in pages],
            info,
            notes=[(page_title, note) for _chart, page_title, note in pages],
        )
    elif fmt == "zip":
        files = []
        for part in parts:
            part_info = export_info(part.title, filters)
            formats: tuple[str, ...] = charts.DATA_FORMATS
            if part.chart is not None:
                formats = (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS)
            files += [part_file(part, part_info, each) for each in formats]
        file = charts.report_zip(files, info)
    else:
        raise ValueError(f"unknown pack format {fmt!r}; use pdf or zip")
    _audit(session, actor, "pack", fmt, filters, reports=", ".join(reports))
    return file
