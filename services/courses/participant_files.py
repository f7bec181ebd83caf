"""Parsing participant files (pure): a CSV/XLSX with the app's own columns, or Moodle's
user upload; each row a validated participant (and enrollment values) or a rejection."""

import re
from typing import Any

from pydantic import ValidationError

from models import ParticipantCreate
from models.enums import EnrollmentStatus, Gender
from services.courses.import_records import ImportFormat, Parsed, ParticipantRecord
from services.courses.import_table import (
    Rejection,
    Table,
    cell,
    column_positions,
    header_key,
    reject_duplicates,
    rows_within_header,
)
from services.courses.import_values import (
    enum_value,
    language_code,
    parse_country,
    parse_date,
    parse_grade,
)
from services.platform import validation
from services.platform.i18n import _
from services.platform.labels import LABELS

PARTICIPANT_COLUMNS: dict[str, tuple[str, ...]] = {
    # field: header names accepted (compared with header_key), the app's own names first
    "full_name": ("full_name", "full name", "participant", "name"),
    "email": ("email", "e-mail", "email address"),
    "country": ("country",),
    "consular_post": ("consular_post", "consular post"),
    "institution": ("institution",),
    "position": ("position",),
    "gender": ("gender",),
    "language": ("language",),
    "external_id": ("external_id", "external id", "id number"),
    "status": ("status",),
    "enrolled_on": ("enrolled_on", "enrolled on"),
    "completed_on": ("completed_on", "completed on"),
    "final_grade": ("final_grade", "final grade"),
}


def _participant_record(
    *,
    row: int,
    values: dict[str, str],
    columns: dict[str, str],
    default_country: str | None,
    extra: dict[str, str] | None = None,
) -> tuple[ParticipantRecord | None, list[Rejection]]:
    """Validate one person's values; `columns` names the file's column of each field."""
    rejections: list[Rejection] = []
    converted: dict[str, Any] = {}
    for name, text in values.items():
        if not text:
            continue
        try:
            if name == "country":
                converted[name] = parse_country(text)
            elif name == "gender":
                converted[name] = enum_value(text, Gender, LABELS)
            elif name == "language":
                converted[name] = language_code(text)
            else:
                converted[name] = text
        except ValueError:
            reason = {
                "country": _("Unknown country “{value}”: use an ISO code such as AR or a name."),
                "gender": _("Unknown gender “{value}”."),
                "language": _("Unknown language “{value}”: use en, es or pt."),
            }[name]
            rejections.append(Rejection(row, columns.get(name, name), reason.format(value=text)))
    provided = {name for name in converted if converted[name] is not None}
    if "country" not in provided and default_country:
        converted["country"] = default_country
    enrollment: dict[str, Any] = {}
    for name, text in (extra or {}).items():
        if not text:
            continue
        try:
            if name == "status":
                status = enum_value(text, EnrollmentStatus, LABELS)
                enrollment[name] = EnrollmentStatus(status) if status else None
            elif name in {"enrolled_on", "completed_on"}:
                enrollment[name] = parse_date(text)
            elif name == "final_grade":
                enrollment[name] = parse_grade(text)
        except ValueError:
            reason = {
                "status": _(
                    "Unknown status “{value}”: use invited, active, completed or withdrawn."
                ),
                "enrolled_on": _("“{value}” is not a date."),
                "completed_on": _("“{value}” is not a date."),
                "final_grade": _("“{value}” is not a grade between 0 and 100."),
            }[name]
            rejections.append(Rejection(row, columns.get(name, name), reason.format(value=text)))
    if enrollment.get("completed_on") and enrollment.get("status") not in (
        None,
        EnrollmentStatus.completed,
    ):
        rejections.append(
            Rejection(
                row,
                columns.get("completed_on", "completed_on"),
                _("Only a completed enrollment has a completion date."),
            )
        )
    try:
        participant = ParticipantCreate.model_validate(converted)
    except ValidationError as error:
        for name, message in validation.form_errors(error).items():
            column = columns.get(name, name)
            if name == "full_name" and "full_name" not in columns:
                column = columns.get("firstname", column)
            rejections.append(Rejection(row, column, message))
        return None, rejections
    if rejections:
        return None, rejections
    return (
        ParticipantRecord(
            row=row,
            participant=participant,
            provided=provided,
            status=enrollment.get("status"),
            enrolled_on=enrollment.get("enrolled_on"),
            completed_on=enrollment.get("completed_on"),
            final_grade=enrollment.get("final_grade"),
        ),
        [],
    )


def parse_participants(table: Table, *, default_country: str | None = None) -> Parsed:
    """A CSV/XLSX with the app's own columns (full_name, email, country, … status …)."""
    parsed = Parsed(ImportFormat.participants, table)
    found = column_positions(table)
    index: dict[str, int | None] = {}
    names: dict[str, str] = {}
    for name, aliases in PARTICIPANT_COLUMNS.items():
        position = next(
            (found[header_key(alias)] for alias in aliases if header_key(alias) in found), None
        )
        index[name] = position
        if position is not None:
            names[name] = table.columns[position]
    records: list[ParticipantRecord] = []
    for row, record in rows_within_header(table, parsed.rejected):
        person = {
            name: cell(record, index[name])
            for name in PARTICIPANT_COLUMNS
            if name not in {"status", "enrolled_on", "completed_on", "final_grade"}
        }
        extra = {
            name: cell(record, index[name])
            for name in ("status", "enrolled_on", "completed_on", "final_grade")
        }
        parsed_record, rejections = _participant_record(
            row=row,
            values=person,
            columns=names,
            default_country=default_country,
            extra=extra,
        )
        parsed.rejected += rejections
        if parsed_record:
            records.append(parsed_record)
    email_column = names.get("email", "email")
    parsed.participants = reject_duplicates(
        records, parsed.rejected, key=lambda r: r.participant.email, column=lambda _r: email_column
    )
    return parsed


def parse_moodle_users(
    table: Table, *, default_country: str | None = None, course_code: str = ""
) -> Parsed:
    """Moodle's user upload file: username, firstname, lastname, email, optional institution,
    department, city, country, lang, idnumber, courseN / enroltimestartN …

    city is the consular post, department the position, idnumber (else username) the
    external id; enroltimestartN is the enrollment date when courseN is this course.
    """
    parsed = Parsed(ImportFormat.moodle_users, table)
    found = column_positions(table)

    def at(name: str) -> int | None:
        return found.get(name)

    names = {
        "full_name": table.columns[found["firstname"]],
        "firstname": table.columns[found["firstname"]],
        "email": table.columns[found["email"]],
    }
    for field_name, header in (
        ("country", "country"),
        ("institution", "institution"),
        ("position", "department"),
        ("consular_post", "city"),
        ("language", "lang"),
        ("external_id", "idnumber"),
    ):
        if header in found:
            names[field_name] = table.columns[found[header]]
    course_columns = sorted(
        (int(match.group(1)), position)
        for key, position in found.items()
        if (match := re.fullmatch(r"course(\d+)", key))
    )
    records: list[ParticipantRecord] = []
    for row, record in rows_within_header(table, parsed.rejected):
        full_name = " ".join(
            part for part in (cell(record, at("firstname")), cell(record, at("lastname"))) if part
        )
        person = {
            "full_name": full_name,
            "email": cell(record, at("email")),
            "country": cell(record, at("country")),
            "institution": cell(record, at("institution")),
            "position": cell(record, at("department")),
            "consular_post": cell(record, at("city")),
            "language": cell(record, at("lang")),
            "external_id": cell(record, at("idnumber")) or cell(record, at("username")),
        }
        extra = {"enrolled_on": ""}
        for number, position in course_columns:
            if course_code and header_key(cell(record, position)) == header_key(course_code):
                extra["enrolled_on"] = cell(record, at(f"enroltimestart{number}"))
                names["enrolled_on"] = f"enroltimestart{number}"
        parsed_record, rejections = _participant_record(
            row=row, values=person, columns=names, default_country=default_country, extra=extra
        )
        parsed.rejected += rejections
        if parsed_record:
            records.append(parsed_record)
    email_column = names["email"]
    parsed.participants = reject_duplicates(
        records, parsed.rejected, key=lambda r: r.participant.email, column=lambda _r: email_column
    )
    return parsed
