"""Which import file this is, and parsing it (pure, no database): Moodle's user upload,
grade export or course completion report, or a CSV/XLSX with the app's own columns.

Reading the table is in `import_table`, cell values in `import_values`; each format's
parser in `participant_files` and `progress_files`; what they give in `import_records`.
"""

from collections.abc import Sequence

from services.courses.import_records import ImportFormat, Parsed, format_label
from services.courses.import_table import header_key, read_table
from services.courses.participant_files import (
    PARTICIPANT_COLUMNS,
    parse_moodle_users,
    parse_participants,
)
from services.courses.progress_files import (
    COMPLETION_DATE_SUFFIX,
    COURSE_COMPLETE,
    COURSE_TOTAL,
    DISPLAY_SUFFIX,
    parse_moodle_completion,
    parse_moodle_grades,
)
from services.platform.errors import ImportRejected
from services.platform.i18n import N_


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
