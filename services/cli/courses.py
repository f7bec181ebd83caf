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

if TYPE_CHECKING:
    from services.courses import imports

courses_app = typer.Typer(help="Courses and their modules.", no_args_is_help=True)
import_app = typer.Typer(
    help=(
        "Import participants or Moodle progress into a course. Every import shows its "
        "report; --dry-run writes nothing."
    ),
    no_args_is_help=True,
)

# ------------------------------------------------------------------------------ courses


@courses_app.command("list")
def courses_list(
    archived: Annotated[bool, typer.Option("--archived", help="Include archived courses")] = False,
) -> None:
    """List the courses with their modules, enrollments and completions."""
    from services.courses import catalog as courses
    from services.platform import users

    with database() as engine, unit_of_work(engine) as session:
        rows = courses.list_courses(
            session=session, actor=users.system_actor(), include_archived=archived
        )
    table = Table("code", "title", "starts", "ends", "modules", "enrolled", "completed")
    for row in rows:
        table.add_row(
            row.code,
            row.title,
            str(row.starts_on or ""),
            str(row.ends_on or ""),
            str(row.modules),
            str(row.enrolled),
            str(row.completed),
        )
    console.print(table)
    console.print(f"{len(rows)} courses.")


@courses_app.command("add")
def courses_add(
    code: str,
    title: Annotated[str, typer.Option(help="The course's title")],
    module: Annotated[
        list[str] | None, typer.Option("--module", help="A module title; repeat, in order")
    ] = None,
    organiser: Annotated[str, typer.Option(help="Who runs the course")] = "",
) -> None:
    """Add a course and its modules (in the order given)."""
    from pydantic import ValidationError

    from models import CourseCreate
    from services.courses import catalog as courses
    from services.platform import users
    from services.platform.validation import messages

    try:
        course_in = CourseCreate(code=code, title=title, organiser=organiser)
    except ValidationError as error:
        raise fail(f"Invalid course: {'; '.join(messages(error))}", 2) from None
    with database() as engine, unit_of_work(engine) as session:
        try:
            course = courses.create_course(
                session=session,
                actor=users.system_actor(),
                course_in=course_in,
                modules=module or [],
            )
        except ValidationError as error:
            raise fail(f"Invalid modules: {'; '.join(messages(error))}", 2) from None
    count = len(module or [])
    console.print(f"Added course {course.code} with {count} modules.", markup=False)


# ------------------------------------------------------------------------------ imports

FileArgument = Annotated[
    Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV or XLSX file")
]
CourseOption = Annotated[str, typer.Option("--course", help="Code of the course")]
CountryOption = Annotated[
    str | None,
    typer.Option("--country", help="Country (ISO alpha-2) for rows that have none"),
]
DryRunOption = Annotated[bool, typer.Option("--dry-run", help="Show the report, write nothing")]
SkipOption = Annotated[
    bool,
    typer.Option("--skip-rejected", help="Import the valid rows even when some are rejected"),
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
    from services.platform import users
    from services.platform.errors import ImportRejected

    import_format = moodle.ImportFormat(format_value)
    data = file.read_bytes()
    actor = users.system_actor()
    with database() as engine:
        with Progress(console=err, transient=True) as progress:
            progress.add_task(f"Reading {file.name}", total=None)
            with unit_of_work(engine) as session:
                course = session.exec(
                    select(Course).where(Course.code == course_code.strip())
                ).first()
                if course is None or course.id is None:
                    raise fail(f"No course with the code {course_code}.", 2)
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
                    raise fail(f"Not imported: {error}", 2) from None
    _print_report(report)
    if report.rejected and not report.written:
        hint = "" if dry_run else " Nothing was written; fix the file or use --skip-rejected."
        raise fail(f"Rejected rows: {report.counts['rejected']}.{hint}", 1)
    if dry_run:
        console.print("Dry run: nothing was written.")


def _print_report(report: "imports.ImportPreview") -> None:
    from services.courses import imports

    console.print(imports.summary(report), markup=False, highlight=False)
    for title, frame in (
        ("Changes", imports.changes_table(report)),
        ("Rejected rows", imports.rejections_table(report)),
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
        "A CSV or XLSX with the app's columns: full_name, email, country, consular_post, …",
    ),
    (
        "moodle-users",
        "moodle_users",
        "Moodle's user upload CSV (username, firstname, lastname, email, …).",
    ),
    (
        "moodle-grades",
        "moodle_grades",
        "Moodle's grade export CSV → module scores and final grades.",
    ),
    (
        "moodle-completion",
        "moodle_completion",
        "Moodle's course completion report CSV → module states and completion dates.",
    ),
)


def _import_command(format_value: str, help_text: str) -> Callable[..., None]:
    """The `enlace import` command that reads one file format into a course."""

    def command(
        file: FileArgument,
        course: CourseOption,
        country: CountryOption = None,
        dry_run: DryRunOption = False,
        skip_rejected: SkipOption = False,
    ) -> None:
        _run_import(format_value, file, course, country, dry_run, skip_rejected)

    command.__doc__ = help_text
    return command


for _name, _format, _help in IMPORT_COMMANDS:
    import_app.command(_name)(_import_command(_format, _help))
