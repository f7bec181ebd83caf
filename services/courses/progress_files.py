"""Parsing Moodle's progress files (pure): the grade export (module scores, final grade)
and the course completion report (module states, completion dates)."""

import re
from collections.abc import Callable

from models.enums import COMPLETED_STATES, ProgressState
from services.courses import import_table
from services.courses.import_records import ImportFormat, ModuleValue, Parsed, ProgressRecord
from services.courses.import_table import Rejection, Table, cell, header_key
from services.courses.import_values import parse_date, parse_grade
from services.platform.i18n import _

COMPLETION_DATE_SUFFIX = " - completion date"
COURSE_COMPLETE = "course complete"
COURSE_TOTAL = "course total"
# Grade export columns end with the display type in newer Moodle: "Quiz: Module 3 (Real)".
DISPLAY_SUFFIX = re.compile(r"\s*\((real|percentage|letter|feedback)\)$", re.IGNORECASE)


IDENTITY_COLUMNS = {
    "email": ("email address", "email", "e-mail"),
    "external_id": ("id number", "idnumber"),
    "first": ("first name", "firstname"),
    "last": ("surname", "last name", "lastname"),
    "name": ("name", "full name"),
}
IGNORED_GRADE_COLUMNS = {
    "last downloaded from this course",
    "institution",
    "department",
    "username",
    "city",
    "country",
    "id",
}


def _identity(found: dict[str, int]) -> dict[str, int | None]:
    return {
        name: next((found[alias] for alias in aliases if alias in found), None)
        for name, aliases in IDENTITY_COLUMNS.items()
    }


def _progress_record(
    table: Table, row: int, record: list[str], identity: dict[str, int | None]
) -> ProgressRecord | Rejection:
    email = cell(record, identity["email"]).lower() or None
    external_id = cell(record, identity["external_id"]) or None
    full_name = cell(record, identity["name"]) or " ".join(
        part for part in (cell(record, identity["first"]), cell(record, identity["last"])) if part
    )
    key_index = next(
        (
            identity[name]
            for name in ("email", "external_id", "name", "first")
            if identity[name] is not None
        ),
        None,
    )
    key_column = table.columns[key_index] if key_index is not None else "—"
    if not (email or external_id or full_name):
        return Rejection(row, key_column, _("The row has no email, ID number or name."))
    return ProgressRecord(
        row=row, key_column=key_column, email=email, external_id=external_id, full_name=full_name
    )


def parse_moodle_grades(table: Table) -> Parsed:
    """Moodle's grade export: "First name", "Surname", "ID number", …, "Email address",
    one "<Activity type>: <name>" column per graded activity (newer Moodle adds " (Real)"),
    "Course total"; → module scores and the final grade."""
    parsed = Parsed(ImportFormat.moodle_grades, table)
    found = import_table.column_positions(table)
    identity = _identity(found)
    identity_positions = {position for position in identity.values() if position is not None}
    activities: dict[str, tuple[int, str]] = {}  # name → (column index, display type)
    total: tuple[int, str] | None = None
    for position, column in enumerate(table.columns):
        key = header_key(column)
        if position in identity_positions or key in IGNORED_GRADE_COLUMNS or not key:
            continue
        suffix = DISPLAY_SUFFIX.search(column)
        display = suffix.group(1).lower() if suffix else "real"
        bare = DISPLAY_SUFFIX.sub("", column).strip()
        if display in {"feedback", "letter"}:
            continue
        if header_key(bare) == COURSE_TOTAL:
            if total is None or display == "percentage":
                total = (position, display)
            continue
        name = bare.split(":", 1)[1].strip() if ":" in bare else bare
        if name not in activities or display == "percentage":
            activities[name] = (position, display)
    parsed.activities = {
        name: table.columns[position] for name, (position, _d) in activities.items()
    }

    def read_values(progress: ProgressRecord, record: list[str]) -> list[Rejection]:
        problems: list[Rejection] = []
        for name, (position, _display) in activities.items():
            text = cell(record, position)
            try:
                score = parse_grade(text)
            except ValueError:
                reason = _("“{value}” is not a score between 0 and 100.").format(value=text)
                problems.append(Rejection(progress.row, table.columns[position], reason))
                continue
            if score is not None:
                progress.modules[name] = ModuleValue(table.columns[position], score=score)
        if total is not None:
            text = cell(record, total[0])
            try:
                progress.final_grade = parse_grade(text)
            except ValueError:
                reason = _("“{value}” is not a grade between 0 and 100.").format(value=text)
                problems.append(Rejection(progress.row, table.columns[total[0]], reason))
        return problems

    parsed.progress = _progress_records(parsed, identity, read_values)
    return parsed


COMPLETION_STATES: dict[str, ProgressState] = {
    # Moodle's completion-n / -y / -pass / -fail strings, English, Spanish, Portuguese.
    "not completed": ProgressState.not_started,
    "no finalizado": ProgressState.not_started,
    "nao concluido": ProgressState.not_started,
    "completed": ProgressState.completed,
    "finalizado": ProgressState.completed,
    "concluido": ProgressState.completed,
    "completed (achieved pass grade)": ProgressState.completed_pass,
    "finalizado (ha alcanzado la calificacion de aprobado)": ProgressState.completed_pass,
    "finalizado (ha alcanzado la calificacion para aprobar)": ProgressState.completed_pass,
    "concluido (atingiu nota de aprovacao)": ProgressState.completed_pass,
    "completed (did not achieve pass grade)": ProgressState.completed_fail,
    "finalizado (no ha alcanzado la calificacion de aprobado)": ProgressState.completed_fail,
    "finalizado (no ha alcanzado la calificacion para aprobar)": ProgressState.completed_fail,
    "concluido (nao atingiu nota de aprovacao)": ProgressState.completed_fail,
}


def parse_moodle_completion(table: Table) -> Parsed:
    """Moodle's course completion report: "ID", "Name", identity fields ("Email address"),
    per activity a status column and "<activity> - Completion date", then "Course complete"
    (its date when the course is complete); → module states and completion dates."""
    parsed = Parsed(ImportFormat.moodle_completion, table)
    found = import_table.column_positions(table)
    identity = _identity(found)
    activities: dict[str, tuple[int, int | None]] = {}  # name → (status column, date column)
    for position, column in enumerate(table.columns):
        key = header_key(column)
        if key.endswith(COMPLETION_DATE_SUFFIX):
            name = column[: len(column) - len(COMPLETION_DATE_SUFFIX)].strip()
            status = found.get(header_key(name))
            if status is not None:
                activities[name] = (status, position)
    parsed.activities = {name: table.columns[status] for name, (status, _d) in activities.items()}
    complete_at = found.get(COURSE_COMPLETE)

    def read_values(progress: ProgressRecord, record: list[str]) -> list[Rejection]:
        problems: list[Rejection] = []
        for name, (status_at, date_at) in activities.items():
            status_text = cell(record, status_at)
            date_text = cell(record, date_at)
            state = COMPLETION_STATES.get(header_key(status_text)) if status_text else None
            if status_text and state is None:
                reason = _("Unknown completion status “{value}”.").format(value=status_text)
                problems.append(Rejection(progress.row, table.columns[status_at], reason))
                continue
            try:
                completed_on = parse_date(date_text)
            except ValueError:
                column = table.columns[date_at] if date_at is not None else name
                reason = _("“{value}” is not a date.").format(value=date_text)
                problems.append(Rejection(progress.row, column, reason))
                continue
            if state is None and completed_on is not None:
                state = ProgressState.completed
            if state is not None:
                progress.modules[name] = ModuleValue(
                    table.columns[status_at],
                    state=state,
                    completed_on=completed_on if state in COMPLETED_STATES else None,
                )
        if complete_at is not None:
            text = cell(record, complete_at)
            try:
                progress.course_completed_on = parse_date(text)
            except ValueError:
                reason = _("“{value}” is not a date.").format(value=text)
                problems.append(Rejection(progress.row, table.columns[complete_at], reason))
        return problems

    parsed.progress = _progress_records(parsed, identity, read_values)
    return parsed


def _progress_records(
    parsed: Parsed,
    identity: dict[str, int | None],
    read_values: Callable[[ProgressRecord, list[str]], list[Rejection]],
) -> list[ProgressRecord]:
    """Each row's person and values (`read_values` fills them in and says what is wrong);
    a row with any problem is rejected whole."""
    table = parsed.table
    records: list[ProgressRecord] = []
    for row, record in import_table.rows_within_header(table, parsed.rejected):
        progress = _progress_record(table, row, record, identity)
        if isinstance(progress, Rejection):
            parsed.rejected.append(progress)
            continue
        if problems := read_values(progress, record):
            parsed.rejected += problems
            continue
        records.append(progress)
    return records
