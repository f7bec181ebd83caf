"""`enlace export`: the dashboards' charts and data as files, from the command line.

    enlace export progress --course HT-2018 --format png --out completion.png
    enlace export progress --course HT-2018 --chart all --format pdf --out pack.pdf
    enlace export reports --report stage --format csv --out stages.csv
    enlace export reports --report routes --country AR --from 2026-01-01 --format pdf --out r.pdf
    enlace export cases --layout ctdc --format xlsx --out cases.xlsx --as manager@example.org

Every export is audited (as the operator "cli", or the account given with --as).
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, datetime
from enum import StrEnum
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress

from models.enums import EnrollmentStatus
from services.cli.common import console, database, fail, speak_as, unit_of_work
from services.platform import formatting
from services.platform.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from sqlmodel import Session

    from models import UserAccount
    from services.reporting.charts import ExportFile
    from services.reporting.report_parts import ReportFilters

# The names of report_catalog.REPORTS, spelt out so that `--help` loads no reporting code
# (tests/test_reports_page.py checks they agree).
REPORT_NAMES = ("cases", "exploitation", "times", "routes", "referrals", "training")

export_app = typer.Typer(
    help=N_("Charts (PNG, SVG, PDF) and their data (CSV, XLSX) of the dashboards, as files."),
    no_args_is_help=True,
    rich_markup_mode=None,
)


# The choices of the options, by their values (the command line's words).
FileFormat = StrEnum("FileFormat", ["png", "svg", "pdf", "csv", "xlsx", "zip"])
ProgressItem = StrEnum(
    "ProgressItem", ["completion", "modules", "completions", "countries", "at_risk", "all"]
)
CaseLayout = StrEnum("CaseLayout", ["htcds", "ctdc"])
DataFormat = StrEnum("DataFormat", ["csv", "xlsx"])

OutOption = Annotated[Path, typer.Option(help=N_("File to write"))]
AsAccountOption = Annotated[
    str | None,
    typer.Option(
        "--as",
        help=N_("Export as this account (audited as them), in its language and time zone"),
    ),
]
FORMAT_HELP = N_("File format")


@contextmanager
def _session() -> "Iterator[Session]":
    with database() as engine, unit_of_work(engine) as session:
        yield session


def _actor(session: "Session", email: str | None) -> "UserAccount":
    """The account to export as; its language and time zone for the file (unless --lang)."""
    from services.platform import users

    if not email:
        return users.system_actor()
    account = users.find_by_email(session, email)
    if account is None:
        raise fail(_("No account for {email}.").format(email=email), 2)
    speak_as(str(account.preferred_language), account.time_zone, account.country)
    return account


def _check_format(item: str, fmt: FileFormat, tables: tuple[str, ...]) -> None:
    """Exit 2 with a plain message when the item cannot be written in that format."""
    from services.reporting.charts import IMAGE_FORMATS

    if item == "all" and fmt not in (FileFormat.pdf, FileFormat.zip):
        raise fail(_("--chart all / --report all writes a pack: use --format pdf or zip."), 2)
    if item != "all" and fmt == FileFormat.zip:
        raise fail(_("--format zip writes every file: use it with all."), 2)
    if item in tables and fmt.value in IMAGE_FORMATS:
        raise fail(_("{item} is a table: use --format csv or xlsx.").format(item=item), 2)


def _write(file: "ExportFile", out: Path) -> None:
    try:
        out.write_bytes(file.data)
    except OSError as error:
        raise fail(
            _("Cannot write {file}: {reason}").format(file=out, reason=error.strerror), 2
        ) from None
    console.print(
        _("Wrote {file} ({kind}, {size} KB); the export is audited.").format(
            file=out, kind=file.mime, size=formatting.number(round(len(file.data) / 1024))
        ),
        markup=False,
        highlight=False,
    )


@export_app.command(
    "progress",
    help=N_(
        "A chart of the progress-by-country dashboard (PNG, SVG, PDF), its data (CSV, XLSX), "
        "or with --chart all the report pack (one PDF, or a ZIP of every file)."
    ),
)
def export_progress(
    course: Annotated[str, typer.Option(help=N_("Course code, e.g. HT-2018"))],
    format: Annotated[FileFormat, typer.Option("--format", help=FORMAT_HELP)],  # noqa: A002
    out: OutOption,
    chart: Annotated[
        ProgressItem | None,
        typer.Option(help=N_("What to export (default: completion; all with zip)")),
    ] = None,
    country: Annotated[
        str | None, typer.Option(help=N_("Only participants of this country (ISO alpha-2)"))
    ] = None,
    status: Annotated[EnrollmentStatus | None, typer.Option(help=N_("Enrollment status"))] = None,
    enrolled_from: Annotated[
        datetime | None,
        typer.Option("--from", formats=["%Y-%m-%d"], help=N_("Enrolled on/after")),
    ] = None,
    enrolled_to: Annotated[
        datetime | None,
        typer.Option("--to", formats=["%Y-%m-%d"], help=N_("Enrolled on/before")),
    ] = None,
    as_of: Annotated[
        datetime | None,
        typer.Option(formats=["%Y-%m-%d"], help=N_("Day that decides who is behind (today)")),
    ] = None,
    as_account: AsAccountOption = None,
) -> None:
    from sqlmodel import select

    from models import Course
    from services.reporting import dashboard, progress, progress_view

    item = chart or (ProgressItem.all if format == FileFormat.zip else ProgressItem.completion)
    _check_format(item.value, format, progress_view.TABLES)
    if country and not (len(country) == 2 and country.isalpha()):
        raise fail(
            _("--country must be a two-letter ISO code, not '{country}'.").format(country=country),
            2,
        )
    filters = progress.ProgressFilters(
        enrolled_from=enrolled_from.date() if enrolled_from else None,
        enrolled_to=enrolled_to.date() if enrolled_to else None,
        country=country.upper() if country else None,
        status=status,
    )
    with _session() as session, Progress(console=console, transient=True) as bar:
        task = bar.add_task(_("Reading progress"), total=2)
        course_id = session.exec(select(Course.id).where(Course.code == course)).first()
        if course_id is None:
            raise fail(_("No course with the code {code}.").format(code=course), 2)
        actor = _actor(session, as_account)
        board = dashboard.progress_dashboard(
            session=session,
            actor=actor,
            course_id=course_id,
            filters=filters,
            today=as_of.date() if as_of else date.today(),
        )
        if board.selection.enrolled == 0:
            raise fail(_("Nobody matches: the course has no enrollments, or the filters none."))
        bar.update(task, advance=1, description=_("Rendering"))
        export: Callable[..., ExportFile] = (
            progress_view.export_pack
            if item == ProgressItem.all
            else partial(progress_view.export_item, item=item.value)
        )
        try:
            file = export(session=session, actor=actor, dashboard=board, fmt=format.value)
        except ValueError:
            raise fail(
                _("Nothing to draw for {item} with these filters.").format(item=item.value)
            ) from None
        bar.update(task, advance=1)
    _write(file, out)


def _day(option: str, value: str | None) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise fail(
            _("{option} must be a date as YYYY-MM-DD, not {value}.").format(
                option=option, value=repr(value)
            ),
            2,
        ) from None


def _report_filters(
    country: str | None, date_from: str | None, date_to: str | None
) -> "ReportFilters":
    from services.reporting.referral_stats import InvalidFilter, check_filters
    from services.reporting.report_parts import ReportFilters

    if country is not None and not (len(country) == 2 and country.isalpha()):
        raise fail(
            _("--country must be a two-letter ISO code such as AR, not {value}.").format(
                value=repr(country)
            ),
            2,
        )
    filters = ReportFilters(
        country=country.upper() if country else None,
        date_from=_day("--from", date_from),
        date_to=_day("--to", date_to),
    )
    try:
        return check_filters(filters)
    except InvalidFilter as error:
        raise fail(error.translated(), 2) from None


@export_app.command(
    "reports",
    help=N_(
        "Referral statistics, small counts suppressed: one part as a chart (PNG, SVG, PDF) or "
        "its data (CSV, XLSX), or a report's pack (a multi-page PDF, or a ZIP of every file)."
    ),
)
def export_reports(
    format: Annotated[FileFormat, typer.Option("--format", help=FORMAT_HELP)],  # noqa: A002
    out: OutOption,
    report: Annotated[
        str | None,
        typer.Option(
            # The names are REPORT_NAMES (tests/test_cli_language.py checks they agree).
            help=N_(
                "A report (cases, exploitation, times, routes, referrals, training) or all: "
                "the pack (pdf or zip); or one part, e.g. stage, origin_destination "
                "(default: stage; all with zip)"
            )
        ),
    ] = None,
    country: Annotated[
        str | None, typer.Option(help=N_("Only cases of this reporting country (ISO alpha-2)"))
    ] = None,
    date_from: Annotated[
        str | None, typer.Option("--from", help=N_("Cases identified on/after (YYYY-MM-DD)"))
    ] = None,
    date_to: Annotated[
        str | None, typer.Option("--to", help=N_("Cases identified on/before (YYYY-MM-DD)"))
    ] = None,
    as_account: AsAccountOption = None,
) -> None:
    from services.platform.errors import NotFound, PermissionDenied
    from services.reporting import report_catalog
    from services.reporting.charts import IMAGE_FORMATS

    item = report or ("all" if format == FileFormat.zip else "stage")
    filters = _report_filters(country, date_from, date_to)
    is_pack = item == "all" or item in report_catalog.REPORTS
    if is_pack and format not in (FileFormat.pdf, FileFormat.zip):
        message = _("--report {item} writes a pack: use --format pdf or zip.")
        raise fail(message.format(item=item), 2)
    if not is_pack and format == FileFormat.zip:
        raise fail(_("--format zip writes every file: use it with all or a report's name."), 2)
    with _session() as session:
        actor = _actor(session, as_account)
        names = report_catalog.readable_reports(actor) if item == "all" or not is_pack else [item]
        try:
            every = {
                name: report_catalog.build_report(
                    name, session=session, actor=actor, filters=filters
                )
                for name in names
            }
            if is_pack:
                title = None if item == "all" else report_catalog.report_title(item)
                file = report_catalog.export_pack(
                    session=session,
                    actor=actor,
                    reports=every,
                    filters=filters,
                    fmt=format.value,
                    title=title,
                )
            else:
                part = report_catalog.find_part(every, item)
                if part.chart is None and format.value in IMAGE_FORMATS:
                    raise fail(
                        _("{item} has no chart with these filters: use csv or xlsx.").format(
                            item=item
                        ),
                        2,
                    )
                file = report_catalog.export_part(
                    session=session, actor=actor, part=part, filters=filters, fmt=format.value
                )
        except PermissionDenied as error:
            raise fail(_("Refused: {reason}").format(reason=error.translated())) from None
        except NotFound as error:
            raise fail(error.translated(), 2) from None
    _write(file, out)


@export_app.command(
    "cases",
    help=N_(
        "Case microdata, one row per case: full rows for case workers (the command line acts "
        "as an admin); k-anonymous rows for managers (ENLACE_MICRODATA_K), generalised then "
        "withheld."
    ),
)
def export_cases(
    layout: Annotated[CaseLayout, typer.Option(help=N_("Column names and codes: HTCDS or CTDC"))],
    format: Annotated[DataFormat, typer.Option("--format", help=FORMAT_HELP)],  # noqa: A002
    out: OutOption,
    as_account: AsAccountOption = None,
) -> None:
    from services.cases import exports, microdata
    from services.platform.errors import PermissionDenied

    with _session() as session, Progress(console=console, transient=True) as bar:
        task = bar.add_task(_("Reading cases"), total=2)
        actor = _actor(session, as_account)
        try:
            data = exports.case_microdata(
                session=session, actor=actor, layout=layout.value, file_format=format.value
            )
        except PermissionDenied as error:
            raise fail(_("Refused: {reason}").format(reason=error.translated())) from None
        bar.update(task, advance=1, description=_("Writing"))
        file = microdata.microdata_file(data, format.value)
        bar.update(task, advance=1)
    _write(file, out)
    if data.deidentified:
        summary = _(
            "{rows} of {records} cases, k-anonymous (k={k}): {generalised} rows generalised, "
            "{withheld} withheld."
        ).format(
            rows=formatting.number(len(data.frame)),
            records=formatting.number(data.records),
            k=data.k,
            generalised=formatting.number(data.generalised),
            withheld=formatting.number(data.withheld),
        )
    else:
        rows = len(data.frame)
        summary = formatting.counted(
            ngettext(
                "{count} case, full rows (handle as case data).",
                "{count} cases, full rows (handle as case data).",
                rows,
            ),
            rows,
        )
    console.print(summary, markup=False, highlight=False)
