"""Bulk import of participants and progress: Moodle's user upload, grade export and course
completion report, or a CSV / XLSX with the app's own column names.

Reading the file is pure (`moodle.parse_file`); `preview_import` plans the import
(`import_plan`) and writes nothing; `apply_import` plans it again inside one transaction
and writes it (`import_writes`), all or nothing. Importing the same file twice changes
nothing the second time: every row is then "unchanged".
"""

from typing import Unpack

import pandas as pd
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from models import UserAccount
from services.courses.import_plan import (
    CREATE,
    UNCHANGED,
    UPDATE,
    ImportPreview,
    ImportRequest,
    plan_import,
)
from services.courses.import_records import format_label
from services.courses.import_writes import write_import
from services.platform.errors import Conflict, ImportRejected, StaleVersion
from services.platform.i18n import N_, _


def preview_import(
    *, session: Session, actor: UserAccount, **request: Unpack[ImportRequest]
) -> ImportPreview:
    """What importing the file would do, row by row. Writes nothing.

    ImportRejected when the file cannot be read at all; row problems are in `rejected`.
    """
    preview, _writes = plan_import(session=session, actor=actor, **request)
    return preview


def apply_import(
    *,
    session: Session,
    actor: UserAccount,
    skip_rejected: bool = False,
    confirmed: ImportPreview | None = None,
    **request: Unpack[ImportRequest],
) -> ImportPreview:
    """Write what the preview showed, in one transaction, with an audit event per change.

    With rejected rows nothing is written (ImportRejected) unless `skip_rejected`. With
    `confirmed` (the preview the coordinator saw), StaleVersion when the data changed since.
    """
    preview, writes = plan_import(session=session, actor=actor, **request)
    if preview.rejected and not skip_rejected:
        raise ImportRejected(
            N_("{count} rows are rejected: nothing was imported. Correct the file or skip them."),
            count=preview.counts["rejected"],
        )
    if confirmed is not None and confirmed.signature != preview.signature:
        raise StaleVersion(
            N_("The data changed since the preview; nothing was imported. Check the new preview.")
        )
    try:
        write_import(session, actor, preview, writes)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            N_("Someone changed these participants meanwhile; nothing was imported. Try again.")
        ) from None
    except BaseException:
        session.rollback()
        raise
    preview.written = preview.has_changes
    return preview


# ------------------------------------------------------------------------------ reports


ACTION_LABELS = {
    CREATE: N_("Create"),
    UPDATE: N_("Update"),
    UNCHANGED: N_("Unchanged"),
}


def summary(preview: ImportPreview) -> str:
    """One line: what the import does (or did)."""
    counts = preview.counts
    template = (
        _("{file}: {create} created, {update} updated, {unchanged} unchanged, {rejected} rejected.")
        if preview.written
        else _(
            "{file}: {create} to create, {update} to update, {unchanged} unchanged, "
            "{rejected} rejected."
        )
    )
    return template.format(
        file=preview.filename or format_label(preview.format),
        create=counts[CREATE],
        update=counts[UPDATE],
        unchanged=counts[UNCHANGED],
        rejected=counts["rejected"],
    )


def changes_table(preview: ImportPreview, *, include_unchanged: bool = False) -> pd.DataFrame:
    """One line per row to create or update: row, action, who, what changes (old → new)."""
    rows = [*preview.to_create, *preview.to_update]
    if include_unchanged:
        rows += preview.unchanged
    rows.sort(key=lambda change: change.row)
    return pd.DataFrame(
        {
            _("Row"): [change.row for change in rows],
            _("Action"): [_(ACTION_LABELS[change.action]) for change in rows],
            _("Participant"): [change.who for change in rows],
            _("Changes"): [
                "; ".join(f"{item.field}: {item.old} → {item.new}" for item in change.changes)
                for change in rows
            ],
        }
    )


def rejections_table(preview: ImportPreview) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Row"): [rejection.row for rejection in preview.rejected],
            _("Column"): [rejection.column for rejection in preview.rejected],
            _("Reason"): [rejection.reason for rejection in preview.rejected],
        }
    )
