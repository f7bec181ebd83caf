"""Files for people to take away: CSV and XLSX that are safe to open in a spreadsheet.

Every exported table carries a title, the active filters, the date and the data source, and
cells that a spreadsheet would run as a formula are neutralised.
"""

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import pandas as pd
from openpyxl import Workbook
from openpyxl.styles import Font
from sqlmodel import Session

from models import UserAccount
from services.platform import audit, formatting
from services.platform.i18n import _, get_language
from services.reporting.suppression import SECONDARY_MARK

# A cell starting with one of these is run as a formula by Excel, LibreOffice or Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(value: Any) -> Any:
    """Prefix a text cell that a spreadsheet would evaluate with a quote (OWASP advice)."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


@dataclass(frozen=True)
class ExportInfo:
    """What every exported file says about itself."""

    title: str
    source: str = "Enlace"
    filters: Mapping[str, str] = field(default_factory=dict)
    generated_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    def header_lines(self) -> list[tuple[str, str]]:
        lines = [
            (_("Title"), self.title),
            (_("Generated"), formatting.datetime_text(self.generated_at)),
            (_("Source"), self.source),
        ]
        lines += [(name, value) for name, value in self.filters.items()]
        return lines


def to_csv(frame: pd.DataFrame, info: ExportInfo) -> bytes:
    """UTF-8 CSV with a BOM (so Excel reads accents), the file's header lines first.

    Each header line starts with "#" and is never quoted (even with commas in it), so a reader
    that skips comment lines, e.g. pandas.read_csv(comment="#"), reads the table itself."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for name, value in info.header_lines():
        line = " ".join(f"# {name}: {value}".splitlines())
        buffer.write(line + writer.dialect.lineterminator)
    writer.writerow([neutralise(str(column)) for column in frame.columns])
    for row in frame.itertuples(index=False, name=None):
        writer.writerow([neutralise(_cell(value)) for value in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def to_xlsx(frame: pd.DataFrame, info: ExportInfo, *, sheet: str = "Data") -> bytes:
    """An XLSX workbook: the data sheet, and an "About" sheet with title, filters and date."""
    workbook = Workbook()
    data = workbook.active
    data.title = sheet[:31]
    data.append([neutralise(str(column)) for column in frame.columns])
    for cell in data[1]:
        cell.font = Font(bold=True)
    formats = frame.attrs.get("number_formats", {})
    column_formats = [formats.get(column) for column in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        data.append([neutralise(_cell(value)) for value in row])
        for cell, number_format in zip(data[data.max_row], column_formats, strict=True):
            _format_cell(cell, number_format)
    data.freeze_panes = "A2"
    about = workbook.create_sheet(_("About"))
    for name, value in info.header_lines():
        about.append([neutralise(name), neutralise(str(value))])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _format_cell(cell: Any, number_format: str | None) -> None:
    """Numbers and dates stay numbers and dates, shown by the cell's format: a marked column's
    format ("0%", "0.0"), dates and times as day/month/year (as es/pt write them)."""
    value = cell.value
    if isinstance(value, bool):
        return
    if number_format and isinstance(value, int | float):
        cell.number_format = number_format
    elif isinstance(value, datetime):
        cell.number_format = "dd/mm/yyyy hh:mm" if get_language() != "en" else "yyyy-mm-dd hh:mm"
    elif isinstance(value, date):
        cell.number_format = "dd/mm/yyyy" if get_language() != "en" else "yyyy-mm-dd"


def _cell(value: Any) -> Any:
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return ""
    if isinstance(value, list | tuple | set):
        return ", ".join(str(item) for item in value)
    if isinstance(value, datetime):  # in the reader's time zone (a spreadsheet has none)
        return formatting.local_time(value).replace(tzinfo=None)
    return value


def suppression_legend(threshold: int) -> dict[str, str]:
    """A file's header lines saying what its suppressed counts, "<5" and "x", mean."""
    return {
        _("Counts below {threshold} shown as").format(threshold=threshold): f"<{threshold}",
        _("Counts hidden so that no small count can be worked out, shown as"): SECONDARY_MARK,
    }


def record_export(
    session: Session,
    *,
    actor: UserAccount,
    entity: str,
    entity_id: str,
    details: dict[str, Any],
) -> None:
    """The audit row of a file taken away: what it holds (`entity`, `entity_id`) and how."""
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.export,
        entity=entity,
        entity_id=entity_id,
        changes=audit.diff({}, details),
    )
