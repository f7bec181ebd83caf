"""Reading import files (pure, no database): CSV or XLSX bytes to a table, the format
detected (Moodle's user upload, grade export or completion report, or the app's own
columns), values parsed, each row a record or a rejection with its row, column and reason.
"""

import csv
import gettext
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from enum import StrEnum
from functools import cache
from typing import Any

import pycountry
from pydantic import ValidationError

from models import (
    ParticipantCreate,
)
from models.enums import COMPLETED_STATES, EnrollmentStatus, Gender, Language, ProgressState
from services.platform import validation
from services.platform.errors import ImportRejected
from services.platform.i18n import N_, _
from services.platform.labels import LABELS

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
HEADER_ROW = 1


class ImportFormat(StrEnum):
    participants = "participants"
    moodle_users = "moodle_users"
    moodle_grades = "moodle_grades"
    moodle_completion = "moodle_completion"


FORMAT_LABELS: dict[str, str] = {
    ImportFormat.participants: N_("Participants (the app's own columns)"),
    ImportFormat.moodle_users: N_("Moodle user upload"),
    ImportFormat.moodle_grades: N_("Moodle grade export"),
    ImportFormat.moodle_completion: N_("Moodle course completion report"),
}


def format_label(import_format: str) -> str:
    text = FORMAT_LABELS.get(import_format)
    return _(text) if text else import_format


@dataclass(frozen=True)
class Rejection:
    """Why one row of the file (row 1 is the header) cannot be imported."""

    row: int
    column: str
    reason: str


# ------------------------------------------------------------------------- reading files


@dataclass(frozen=True)
class Table:
    """A file's header and rows of text cells; `rows` carry their row number in the file."""

    columns: list[str]
    rows: list[tuple[int, list[str]]]
    encoding: str
    delimiter: str


def read_table(data: bytes, filename: str = "") -> Table:
    """The header and rows of a CSV (UTF-8 with or without BOM, or Latin-1; comma,
    semicolon or tab) or of an XLSX workbook's first sheet. ImportRejected if unreadable."""
    if not data or not data.strip():
        raise ImportRejected(N_("The file is empty."))
    if len(data) > MAX_BYTES:
        raise ImportRejected(
            N_("The file is larger than {size} MB: split it."), size=MAX_BYTES // 2**20
        )
    if data.startswith(b"PK\x03\x04") or filename.lower().endswith(".xlsx"):
        return _read_xlsx(data)
    text, encoding = _decode(data)
    if "\x00" in text:
        raise ImportRejected(N_("This is not a text (CSV) file or an XLSX workbook."))
    delimiter = _delimiter(text)
    try:
        reader = csv.reader(
            io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True
        )
        records = [[cell.strip() for cell in record] for record in _limited(reader)]
    except csv.Error as error:
        raise ImportRejected(
            N_("The file cannot be read as CSV: {problem}"), problem=str(error)
        ) from None
    return _table(records, encoding, delimiter)


def _limited(rows: Iterable[list[str]]) -> Iterator[list[str]]:
    for count, row in enumerate(rows):
        if count > MAX_ROWS:
            raise ImportRejected(
                N_("The file has more than {count} rows: split it."), count=MAX_ROWS
            )
        yield row


def _decode(data: bytes) -> tuple[str, str]:
    if data.startswith(b"\xef\xbb\xbf"):
        try:
            return data[3:].decode("utf-8"), "UTF-8 (BOM)"
        except UnicodeDecodeError:
            raise ImportRejected(N_("The file says it is UTF-8 but is not.")) from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "UTF-16"
        except UnicodeDecodeError:
            raise ImportRejected(N_("The file says it is UTF-16 but is not.")) from None
    try:
        return data.decode("utf-8"), "UTF-8"
    except UnicodeDecodeError:
        # Spreadsheets on Windows save "CSV" as Windows-1252, a superset of Latin-1.
        try:
            return data.decode("cp1252"), "Windows-1252"
        except UnicodeDecodeError:
            return data.decode("latin-1"), "Latin-1"


def _delimiter(text: str) -> str:
    """Comma, semicolon or tab: the one found most often in the first non-comment line."""
    for line in text.splitlines():
        if line.strip() and not line.lstrip('"').startswith("#"):
            counts = {sep: line.count(sep) for sep in (",", ";", "\t")}
            best = max(counts, key=lambda sep: counts[sep])
            return best if counts[best] else ","
    return ","


def _read_xlsx(data: bytes) -> Table:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        records = [
            [_xlsx_cell(value) for value in row]
            for row in _limited(sheet.iter_rows(values_only=True))
        ]  # type: ignore[arg-type]
        workbook.close()
    except ImportRejected:
        raise
    except Exception:  # noqa: BLE001  (a damaged workbook fails in many ways inside openpyxl)
        raise ImportRejected(
            N_("This XLSX workbook cannot be read: is the file damaged?")
        ) from None
    return _table(records, "XLSX", "")


def _xlsx_cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _table(records: list[list[str]], encoding: str, delimiter: str) -> Table:
    """Skip blank rows and "# ..." lines (the header lines of the app's own exports)."""
    header_index = None
    for index, record in enumerate(records):
        first = next((cell for cell in record if cell), "")
        if first and not first.startswith("#"):
            header_index = index
            break
    if header_index is None:
        raise ImportRejected(N_("The file has no header row."))
    columns = [_clean_header(cell) for cell in records[header_index]]
    while columns and not columns[-1]:
        columns.pop()
    rows = [
        (index + 1, record)
        for index, record in enumerate(records)
        if index > header_index and any(cell for cell in record)
    ]
    return Table(columns=columns, rows=rows, encoding=encoding, delimiter=delimiter)


def _clean_header(cell: str) -> str:
    return cell.replace("\ufeff", "").strip()


def header_key(text: str) -> str:
    """A header or title compared loosely: case, accents, underscores and spaces ignored."""
    plain = unicodedata.normalize("NFKD", text)
    plain = "".join(char for char in plain if not unicodedata.combining(char))
    return " ".join(plain.replace("_", " ").casefold().split())


# ------------------------------------------------------------------------ format detection

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
COMPLETION_DATE_SUFFIX = " - completion date"
COURSE_COMPLETE = "course complete"
COURSE_TOTAL = "course total"
# Grade export columns end with the display type in newer Moodle: "Quiz: Module 3 (Real)".
DISPLAY_SUFFIX = re.compile(r"\s*\((real|percentage|letter|feedback)\)$", re.IGNORECASE)


def detect_format(columns: Sequence[str]) -> ImportFormat:
    """Which importer reads a file with this header; ImportRejected when none does."""
    keys = {header_key(column) for column in columns}
    if COURSE_COMPLETE in keys or any(key.endswith(COMPLETION_DATE_SUFFIX) for key in keys):
        return ImportFormat.moodle_completion
    if any(DISPLAY_SUFFIX.sub("", key) == COURSE_TOTAL for key in keys) or (
        "email address" in keys and any(":" in key for key in keys)
    ):
        return ImportFormat.moodle_grades
    if {"username", "firstname", "lastname", "email"} <= keys:
        return ImportFormat.moodle_users
    names = set(PARTICIPANT_COLUMNS["full_name"])
    if keys & set(PARTICIPANT_COLUMNS["email"]) and keys & names:
        return ImportFormat.participants
    raise ImportRejected(
        N_(
            "The header row is not one this app knows. Expected a Moodle user upload "
            "(username, firstname, lastname, email), a Moodle grade export (… Course total), "
            "a Moodle course completion report (… Course complete) or the columns "
            "full_name, email, country, …"
        )
    )


# ---------------------------------------------------------------------- parsing values

MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "enero", "janeiro"),
            ("february", "febrero", "fevereiro"),
            ("march", "marzo", "marco"),
            ("april", "abril"),
            ("may", "mayo", "maio"),
            ("june", "junio", "junho"),
            ("july", "julio", "julho"),
            ("august", "agosto"),
            ("september", "septiembre", "setiembre", "setembro"),
            ("october", "octubre", "outubro"),
            ("november", "noviembre", "novembro"),
            ("december", "diciembre", "dezembro"),
        ],
        start=1,
    )
    for name in names
}
BLANK = {"", "-", "—"}


def parse_date(text: str) -> date | None:
    """A date as Moodle and spreadsheets write it: 2018-07-03, 03/07/18, 14:05 (day first),
    3 July 2018, or a Unix timestamp. Blank or "-" is None; anything else ValueError."""
    value = text.strip()
    if value in BLANK:
        return None
    if value.isdigit() and len(value) >= 9:
        return datetime.fromtimestamp(int(value), UTC).date()
    if match := re.match(r"^(\d{4})[-/](\d{1,2})[-/](\d{1,2})\b", value):
        year, month, day = (int(part) for part in match.groups())
        return date(year, month, day)
    if match := re.match(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{2}|\d{4})\b", value):
        day, month, year = (int(part) for part in match.groups())
        return date(year + 2000 if year < 100 else year, month, day)
    if match := re.search(r"(\d{1,2})(?:\s+de)?\s+([^\W\d_]+)(?:\s+de)?\s+(\d{4})", value):
        month_number = MONTHS.get(header_key(match.group(2)))
        if month_number:
            return date(int(match.group(3)), month_number, int(match.group(1)))
    raise ValueError(value)


def parse_number(text: str) -> float | None:
    """A grade: 85, 85.5, 85,5 or 85.00 %; blank or "-" is None; anything else ValueError."""
    value = text.strip().rstrip("%").strip().replace(" ", "")
    if value in BLANK:
        return None
    if "," in value and "." not in value:
        value = value.replace(",", ".")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(text)
    return number


@cache
def _country_names() -> dict[str, str]:
    """Country names in English, Spanish and Portuguese, codes and alpha-3 → alpha-2 code."""
    names: dict[str, str] = {}
    catalogs = [
        gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=[lang], fallback=True)
        for lang in ("es", "pt", "pt_BR")
    ]
    for country in pycountry.countries:
        code = country.alpha_2
        english = [country.name, getattr(country, "common_name", None)]
        english.append(getattr(country, "official_name", None))
        spellings = [name for name in english if name]
        spellings += [catalog.gettext(name) for catalog in catalogs for name in list(spellings)]
        for spelling in [*spellings, country.alpha_3]:
            names.setdefault(header_key(spelling), code)
    for code in {country.alpha_2 for country in pycountry.countries}:
        names[header_key(code)] = code
    return names


def parse_country(text: str) -> str | None:
    """'AR', 'ARG', 'Argentina', 'Perú', 'Brasil' → the ISO alpha-2 code; blank → None."""
    value = text.strip()
    if value in BLANK:
        return None
    code = _country_names().get(header_key(value))
    if code is None:
        raise ValueError(value)
    return code


def _enum_value(text: str, values: type[StrEnum], labels: dict[str, str]) -> str | None:
    value = header_key(text)
    if not value:
        return None
    for member in values:
        if value in {header_key(member.value), header_key(labels.get(member.value, ""))}:
            return member.value
    raise ValueError(text)


def _language(text: str) -> str | None:
    value = text.strip().lower()
    if not value:
        return None
    # Moodle writes "es_mx", "pt_br"; a spreadsheet may say "Español".
    code = value[:2]
    if code in {language.value for language in Language}:
        return code
    raise ValueError(text)


def _unneutralise(text: str) -> str:
    """The app's exports prefix formula-like cells with a quote; take it off again."""
    if text.startswith("'") and text[1:2] in {"=", "+", "-", "@"}:
        return text[1:]
    return text


# ------------------------------------------------------------------------ parsed records


@dataclass
class ParticipantRecord:
    """One row of a participants file, validated; `provided` lists the non-blank fields."""

    row: int
    participant: ParticipantCreate
    provided: set[str]
    status: EnrollmentStatus | None = None
    enrolled_on: date | None = None
    completed_on: date | None = None
    final_grade: float | None = None


@dataclass(frozen=True)
class ModuleValue:
    column: str
    state: ProgressState | None = None
    score: float | None = None
    completed_on: date | None = None


@dataclass
class ProgressRecord:
    """One row of a Moodle grade export or completion report."""

    row: int
    key_column: str
    email: str | None
    external_id: str | None
    full_name: str
    modules: dict[str, ModuleValue] = field(default_factory=dict)
    """Activity name as written in the file → value."""
    final_grade: float | None = None
    course_completed_on: date | None = None


@dataclass
class Parsed:
    format: ImportFormat
    table: Table
    participants: list[ParticipantRecord] = field(default_factory=list)
    progress: list[ProgressRecord] = field(default_factory=list)
    activities: dict[str, str] = field(default_factory=dict)
    """Activity name in the file → the column it was read from (for header rejections)."""
    rejected: list[Rejection] = field(default_factory=list)


def _columns(table: Table) -> dict[str, int]:
    """header_key(header) → index of the first column with that header."""
    found: dict[str, int] = {}
    for index, column in enumerate(table.columns):
        found.setdefault(header_key(column), index)
    return found


def _cell(record: list[str], index: int | None) -> str:
    if index is None or index >= len(record):
        return ""
    return _unneutralise(record[index].strip())


def _too_many_cells(table: Table, row: int, record: list[str]) -> Rejection | None:
    extra = record[len(table.columns) :]
    if any(cell.strip() for cell in extra):
        return Rejection(
            row,
            "—",
            _("The row has {cells} cells but the header has {columns} columns.").format(
                cells=len(record), columns=len(table.columns)
            ),
        )
    return None


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
                converted[name] = _enum_value(text, Gender, LABELS)
            elif name == "language":
                converted[name] = _language(text)
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
                status = _enum_value(text, EnrollmentStatus, LABELS)
                enrollment[name] = EnrollmentStatus(status) if status else None
            elif name in {"enrolled_on", "completed_on"}:
                enrollment[name] = parse_date(text)
            elif name == "final_grade":
                grade = parse_number(text)
                if grade is not None and not 0 <= grade <= 100:
                    raise ValueError(text)
                enrollment[name] = grade
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


def _reject_duplicates(
    records: list[Any], key: Any, column: str, rejected: list[Rejection]
) -> list[Any]:
    """Keep the first row of each key; later rows with the same key are rejected."""
    first_row: dict[Any, int] = {}
    kept = []
    for record in records:
        value = key(record)
        if value in first_row:
            rejected.append(
                Rejection(
                    record.row,
                    column,
                    _("Duplicate in the file: same person as row {row}.").format(
                        row=first_row[value]
                    ),
                )
            )
            continue
        first_row[value] = record.row
        kept.append(record)
    return kept


def parse_participants(table: Table, *, default_country: str | None = None) -> Parsed:
    """A CSV/XLSX with the app's own columns (full_name, email, country, … status …)."""
    parsed = Parsed(ImportFormat.participants, table)
    found = _columns(table)
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
    for row, record in table.rows:
        if rejection := _too_many_cells(table, row, record):
            parsed.rejected.append(rejection)
            continue
        person = {
            name: _cell(record, index[name])
            for name in PARTICIPANT_COLUMNS
            if name not in {"status", "enrolled_on", "completed_on", "final_grade"}
        }
        extra = {
            name: _cell(record, index[name])
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
    parsed.participants = _reject_duplicates(
        records, lambda r: r.participant.email, names.get("email", "email"), parsed.rejected
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
    found = _columns(table)

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
    for row, record in table.rows:
        if rejection := _too_many_cells(table, row, record):
            parsed.rejected.append(rejection)
            continue
        full_name = " ".join(
            part for part in (_cell(record, at("firstname")), _cell(record, at("lastname"))) if part
        )
        person = {
            "full_name": full_name,
            "email": _cell(record, at("email")),
            "country": _cell(record, at("country")),
            "institution": _cell(record, at("institution")),
            "position": _cell(record, at("department")),
            "consular_post": _cell(record, at("city")),
            "language": _cell(record, at("lang")),
            "external_id": _cell(record, at("idnumber")) or _cell(record, at("username")),
        }
        extra = {"enrolled_on": ""}
        for number, position in course_columns:
            if course_code and header_key(_cell(record, position)) == header_key(course_code):
                extra["enrolled_on"] = _cell(record, at(f"enroltimestart{number}"))
                names["enrolled_on"] = f"enroltimestart{number}"
        parsed_record, rejections = _participant_record(
            row=row, values=person, columns=names, default_country=default_country, extra=extra
        )
        parsed.rejected += rejections
        if parsed_record:
            records.append(parsed_record)
    parsed.participants = _reject_duplicates(
        records, lambda r: r.participant.email, names["email"], parsed.rejected
    )
    return parsed


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
    email = _cell(record, identity["email"]).lower() or None
    external_id = _cell(record, identity["external_id"]) or None
    full_name = _cell(record, identity["name"]) or " ".join(
        part for part in (_cell(record, identity["first"]), _cell(record, identity["last"])) if part
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
    found = _columns(table)
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
    records: list[ProgressRecord] = []
    for row, record in table.rows:
        if rejection := _too_many_cells(table, row, record):
            parsed.rejected.append(rejection)
            continue
        progress = _progress_record(table, row, record, identity)
        if isinstance(progress, Rejection):
            parsed.rejected.append(progress)
            continue
        problems: list[Rejection] = []
        for name, (position, _display) in activities.items():
            text = _cell(record, position)
            try:
                score = parse_number(text)
                if score is not None and not 0 <= score <= 100:
                    raise ValueError(text)
            except ValueError:
                problems.append(
                    Rejection(
                        row,
                        table.columns[position],
                        _("“{value}” is not a score between 0 and 100.").format(value=text),
                    )
                )
                continue
            if score is not None:
                progress.modules[name] = ModuleValue(table.columns[position], score=score)
        if total is not None:
            text = _cell(record, total[0])
            try:
                grade = parse_number(text)
                if grade is not None and not 0 <= grade <= 100:
                    raise ValueError(text)
                progress.final_grade = grade
            except ValueError:
                problems.append(
                    Rejection(
                        row,
                        table.columns[total[0]],
                        _("“{value}” is not a grade between 0 and 100.").format(value=text),
                    )
                )
        if problems:
            parsed.rejected += problems
            continue
        records.append(progress)
    parsed.progress = records
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
    found = _columns(table)
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
    records: list[ProgressRecord] = []
    for row, record in table.rows:
        if rejection := _too_many_cells(table, row, record):
            parsed.rejected.append(rejection)
            continue
        progress = _progress_record(table, row, record, identity)
        if isinstance(progress, Rejection):
            parsed.rejected.append(progress)
            continue
        problems: list[Rejection] = []
        for name, (status_at, date_at) in activities.items():
            status_text = _cell(record, status_at)
            date_text = _cell(record, date_at)
            state = COMPLETION_STATES.get(header_key(status_text)) if status_text else None
            if status_text and state is None:
                problems.append(
                    Rejection(
                        row,
                        table.columns[status_at],
                        _("Unknown completion status “{value}”.").format(value=status_text),
                    )
                )
                continue
            try:
                completed_on = parse_date(date_text)
            except ValueError:
                problems.append(
                    Rejection(
                        row,
                        table.columns[date_at] if date_at is not None else name,
                        _("“{value}” is not a date.").format(value=date_text),
                    )
                )
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
            text = _cell(record, complete_at)
            try:
                progress.course_completed_on = parse_date(text)
            except ValueError:
                problems.append(
                    Rejection(
                        row,
                        table.columns[complete_at],
                        _("“{value}” is not a date.").format(value=text),
                    )
                )
        if problems:
            parsed.rejected += problems
            continue
        records.append(progress)
    parsed.progress = records
    return parsed


def parse_file(
    data: bytes,
    *,
    filename: str = "",
    expected: ImportFormat | str | None = None,
    default_country: str | None = None,
    course_code: str = "",
) -> Parsed:
    """Read, detect and parse a file. With `expected`, a file of another format is refused."""
    table = read_table(data, filename)
    detected = detect_format(table.columns)
    if expected is not None and ImportFormat(expected) != detected:
        raise ImportRejected(
            N_("This file looks like a {detected}, not a {expected}."),
            detected=format_label(detected),
            expected=format_label(ImportFormat(expected)),
        )
    if detected == ImportFormat.participants:
        return parse_participants(table, default_country=default_country)
    if detected == ImportFormat.moodle_users:
        return parse_moodle_users(table, default_country=default_country, course_code=course_code)
    if detected == ImportFormat.moodle_grades:
        return parse_moodle_grades(table)
    return parse_moodle_completion(table)
