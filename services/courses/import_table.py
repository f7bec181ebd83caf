"""Reading an import file (pure, no database): CSV or XLSX bytes to a table of text cells,
its header and rows, and the reason a row cannot be imported."""

import csv
import io
import unicodedata
from collections.abc import Callable, Hashable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol, TypeVar

from services.platform.errors import ImportRejected
from services.platform.i18n import N_, _

MAX_BYTES = 20 * 1024 * 1024
MAX_ROWS = 50_000
HEADER_ROW = 1


@dataclass(frozen=True)
class Rejection:
    """Why one row of the file (row 1 is the header) cannot be imported."""

    row: int
    column: str
    reason: str


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


def unneutralise(text: str) -> str:
    """The app's exports prefix formula-like cells with a quote; take it off again."""
    if text.startswith("'") and text[1:2] in {"=", "+", "-", "@"}:
        return text[1:]
    return text


def column_positions(table: Table) -> dict[str, int]:
    """header_key(header) → index of the first column with that header."""
    found: dict[str, int] = {}
    for index, column in enumerate(table.columns):
        found.setdefault(header_key(column), index)
    return found


def cell(record: list[str], index: int | None) -> str:
    if index is None or index >= len(record):
        return ""
    return unneutralise(record[index].strip())


def rows_within_header(table: Table, rejected: list[Rejection]) -> Iterator[tuple[int, list[str]]]:
    """The table's rows; a row with more filled cells than the header has columns is
    rejected instead."""
    for row, record in table.rows:
        if any(value.strip() for value in record[len(table.columns) :]):
            reason = _("The row has {cells} cells but the header has {columns} columns.")
            rejected.append(
                Rejection(row, "—", reason.format(cells=len(record), columns=len(table.columns)))
            )
            continue
        yield row, record


class _Row(Protocol):
    row: int


Record = TypeVar("Record", bound=_Row)


def reject_duplicates(
    records: list[Record],
    rejected: list[Rejection],
    *,
    key: Callable[[Record], Hashable],
    column: Callable[[Record], str],
) -> list[Record]:
    """Keep the first row of each key (one person); later rows with the same key are rejected."""
    first_row: dict[Hashable, int] = {}
    kept = []
    for record in records:
        value = key(record)
        if value in first_row:
            reason = _("Duplicate in the file: same person as row {row}.")
            rejected.append(
                Rejection(record.row, column(record), reason.format(row=first_row[value]))
            )
            continue
        first_row[value] = record.row
        kept.append(record)
    return kept
