"""`enlace courses` and `enlace import`: courses and bulk imports from the command line.

The lead registers these Typer apps in services/cli/main.py; they use the same services as the
pages, acting as the command-line operator (an admin, audited as "cli").
"""

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.progress import Progress
from rich.table import Table

from services.cli.common import console, database, err, fail, unit_of_work
from services.platform.i18n import N_, _, ngettext

if TYPE_CHECKING:
    from services.courses import imports

courses_app = typer.Typer(help=N_("Courses and their modules."), no_args_is_help=True)
import_app = typer.Typer(
    help=N_(
        "Import participants or Moodle progress into a course. Every import shows its "
        "report; --dry-run writes nothing."
    ),
    no_args_is_help=True,
)

# ------------------------------------------------------------------------------ courses


@courses_app.command(
    "list", help=N_("List the courses with their modules, enrollments and completions.")
)
def courses_list(
    archived: Annotated[
        bool, typer.Option("--archived", help=N_("Include archived courses"))
    ] = False,
) -> None:
    from services.courses import catalog as courses
    from services.platform import formatting, users

    with database() as engine, unit_of_work(engine) as session:
        rows = courses.list_courses(
            session=session, actor=users.system_actor(), include_archived=archived
        )
    table = Table(
        _("Code"), _("Title"), _("Starts"), _("Ends"), _("Modules"), _("Enrolled"), _("Completed")
    )
    for row in rows:
        table.add_row(
            row.code,
            row.title,
            formatting.date_text(row.starts_on),
            formatting.date_text(row.ends_on),
            formatting.number(row.modules),
            formatting.number(row.enrolled),
            formatting.number(row.completed),
        )
    console.print(table)
    count = len(rows)
    console.print(formatting.counted(ngettext("{count} course.", "{count} courses.", count), count))


@courses_app.command("add", help=N_("Add a course and its modules (in the order given)."))
def courses_add(
    code: Annotated[str, typer.Argument(help=N_("The course's code, e.g. HT-2026"))],
    title: Annotated[str, typer.Option(help=N_("The course's title"))],
    module: Annotated[
        list[str] | None, typer.Option("--module", help=N_("A module title; repeat, in order"))
    ] = None,
    organiser: Annotated[str, typer.Option(help=N_("Who runs the course"))] = "",
) -> None:
    from pydantic import ValidationError

    from models import CourseCreate
    from services.courses import catalog as courses
    from services.platform import formatting, users
    from services.platform.validation import messages

    try:
        course_in = CourseCreate(code=code, title=title, organiser=organiser)
    except ValidationError as error:
        problems = "; ".join(messages(error))
        raise fail(_("Invalid course: {problems}").format(problems=problems), 2) from None
    with database() as engine, unit_of_work(engine) as session:
        try:
            course = courses.create_course(
                session=session,
                actor=users.system_actor(),
                course_in=course_in,
                modules=module or [],
            )
        except ValidationError as error:
            problems = "; ".join(messages(error))
            raise fail(_("Invalid modules: {problems}").format(problems=problems), 2) from None
    count = len(module or [])
    added = ngettext(
        "Added course {code} with {count} module.",
        "Added course {code} with {count} modules.",
        count,
    )
    console.print(added.format(code=course.code, count=formatting.number(count)), markup=False)


# ------------------------------------------------------------------------------ imports

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help=N_("CSV or XLSX file"))
]
CourseOption = Annotated[str, typer.Option("--course", help=N_("Code of the course"))]
CountryOption = Annotated[
    str | None,
    typer.Option("--country", help=N_("Country (ISO alpha-2) for rows that have none")),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help=N_("Show the report, write nothing"))]
SkipOption = Annotated[
    bool,
    typer.Option("--skip-rejected", help=N_("Import the valid rows even when some are rejected")),
]


def _run_import(
    format_value: str,
    file: Path,
    course_code: str,
    country: str | None,
    dry_run: bool,
    skip_rejected: bool,
) -> None:
    from sqlmodel import select

    from models import Course
    from services.courses import imports, moodle
    from services.platform import formatting, users
    from services.platform.errors import ImportRejected

    import_format = moodle.ImportFormat(format_value)
    data = file.read_bytes()
    actor = users.system_actor()
    with database() as engine:
        with Progress(console=err, transient=True) as progress:
            progress.add_task(_("Reading {file}").format(file=file.name), total=None)
            with unit_of_work(engine) as session:
                course = session.exec(
                    select(Course).where(Course.code == course_code.strip())
                ).first()
                if course is None or course.id is None:
                    raise fail(_("No course with the code {code}.").format(code=course_code), 2)
                arguments = {
                    "session": session,
                    "actor": actor,
                    "course_id": course.id,
                    "data": data,
                    "filename": file.name,
                    "expected_format": import_format,
                    "default_country": country,
                }
                try:
                    report = imports.preview_import(**arguments)  # type: ignore[arg-type]
                    if (
                        not dry_run
                        and report.has_changes
                        and (skip_rejected or not report.rejected)
                    ):
                        report = imports.apply_import(
                            **arguments,  # type: ignore[arg-type]
                            skip_rejected=skip_rejected,
                            confirmed=report,
                        )
                except ImportRejected as error:
                    message = _("Not imported: {reason}").format(reason=error.translated())
                    raise fail(message, 2) from None
    _print_report(report)
    if report.rejected and not report.written:
        rejected = report.counts["rejected"]
        message = ngettext("{count} row rejected.", "{count} rows rejected.", rejected)
        if not dry_run:
            message += " " + _("Nothing was written; fix the file or use --skip-rejected.")
        raise fail(message.format(count=formatting.number(rejected)), 1)
    if dry_run:
        console.print(_("Dry run: nothing was written."))


def _print_report(report: "imports.ImportPreview") -> None:
    from services.courses import imports

    console.print(imports.summary(report), markup=False, highlight=False)
    for title, frame in (
        (_("Changes"), imports.changes_table(report)),
        (_("Rejected rows"), imports.rejections_table(report)),
    ):
        if frame.empty:
            continue
        table = Table(*[str(column) for column in frame.columns], title=title)
        for row in frame.itertuples(index=False, name=None):
            table.add_row(*[str(value) for value in row])
        console.print(table)


# (command, file format, help): one `enlace import <command>` per file the app reads. The
# formats are ImportFormat's values (tests/test_cli_start.py checks them): the enum's module
# loads the models, which `enlace --help` does not need.
IMPORT_COMMANDS: tuple[tuple[str, str, str], ...] = (
    (
        "participants",
        "participants",
        N_("A CSV or XLSX with the app's columns: full_name, email, country, consular_post, …"),
    ),
    (
        "moodle-users",
        "moodle_users",
        N_("Moodle's user upload CSV (username, firstname, lastname, email, …)."),
    ),
    (
        "moodle-grades",
        "moodle_grades",
        N_("Moodle's grade export CSV → module scores and final grades."),
    ),
    (
        "moodle-completion",
        "moodle_completion",
        N_("Moodle's course completion report CSV → module states and completion dates."),
    ),
)


def _import_command(format_value: str) -> Callable[..., None]:
    """The `enlace import` command that reads one file format into a course."""

    def command(
        file: FileArgument,
        course: CourseOption,
        country: CountryOption = None,
        dry_run: DryRunOption = False,
        skip_rejected: SkipOption = False,
    ) -> None:
        _run_import(format_value, file, course, country, dry_run, skip_rejected)

    return command


for _name, _format, _help in IMPORT_COMMANDS:
    import_app.command(_name, help=_help)(_import_command(_format))
