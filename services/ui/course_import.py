"""Courses & enrollment: bulk import of participants and results, previewed before any write."""

import streamlit as st

from models import UserAccount
from services.courses import imports, moodle
from services.platform.errors import EnlaceError, ImportRejected
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, literal, options
from services.ui.feedback import show_error
from services.ui.runtime import clear_caches, db_session, run_service
from services.ui.tables import show_frame

IMPORT = "courses_import"
AUTO = ""
UNKNOWN = ""
ACCEPTED = ("csv", "txt", "xlsx")


def import_section(actor: UserAccount, course_id: int, course_code: str) -> None:
    """A file read and previewed; written only when the person confirms the preview."""
    st.caption(
        _(
            "Moodle user upload, grade export or course completion report, or a CSV/XLSX with "
            "the columns full_name, email, country, consular_post, institution, status, "
            "enrolled_on. Nothing is written before you confirm the preview."
        )
    )
    # No `type=`: Streamlit would refuse another file in English ("application/octet-stream
    # files are not allowed"); the type is checked below, in the reader's language.
    upload = st.file_uploader(
        _("File"), help=_("A CSV (.csv, .txt) or Excel (.xlsx) file."), key="import_file"
    )
    format_column, country_column = st.columns(2)
    import_format = format_column.selectbox(
        _("Format"),
        [AUTO, *options(moodle.ImportFormat)],
        format_func=lambda code: (
            _("Detect from the header") if code == AUTO else (moodle.format_label(code))
        ),
        key="import_format",
    )
    default_country = country_column.selectbox(
        _("Country for rows without one"),
        [UNKNOWN, *country_codes()],
        format_func=lambda code: _("Leave unknown") if code == UNKNOWN else country_name(code),
        key="import_country",
    )
    if upload is None:
        st.session_state.pop(IMPORT, None)
        return
    extension = upload.name.rpartition(".")[2].lower() if "." in upload.name else ""
    if extension not in ACCEPTED:
        st.session_state.pop(IMPORT, None)
        st.error(
            _(
                "{name} cannot be imported: it is not a CSV (.csv, .txt) or Excel (.xlsx) file. "
                "Save it as one of these and choose it again."
            ).format(name=literal(upload.name))
        )
        return
    request = {
        "course_id": course_id,
        "data": upload.getvalue(),
        "filename": upload.name,
        "expected_format": import_format or None,
        "default_country": default_country or None,
    }
    if st.button(_("Preview"), icon=":material/preview:", key="import_preview"):
        try:
            with db_session() as session:
                fresh = imports.preview_import(session=session, actor=actor, **request)
        except ImportRejected as error:
            st.session_state.pop(IMPORT, None)
            show_error(error)
            return
        st.session_state[IMPORT] = (request, fresh)
    stored = st.session_state.get(IMPORT)
    if stored is None or stored[0] != request:
        return
    preview: imports.ImportPreview = stored[1]
    _show_report(preview)
    if preview.written:
        return
    if not preview.has_changes:
        st.info(_("Nothing to import: every accepted row is already up to date."))
        return
    skip = False
    if preview.rejected:
        skip = st.checkbox(_("Import the valid rows and skip the rejected ones"), key="import_skip")
    if st.button(
        _("Import into {code}").format(code=course_code),
        type="primary",
        disabled=bool(preview.rejected) and not skip,
        key="import_apply",
    ):
        try:
            result = run_service(
                imports.apply_import,
                actor=actor,
                skip_rejected=skip,
                confirmed=preview,
                **request,
            )
        except EnlaceError as error:
            show_error(error)
            return
        clear_caches()
        st.session_state[IMPORT] = (request, result)
        st.rerun()


def _show_report(preview: imports.ImportPreview) -> None:
    with st.container(border=True, key="import_report"):
        st.caption(
            _("{format} · {rows} rows read · {encoding}").format(
                format=moodle.format_label(preview.format),
                rows=preview.rows_read,
                encoding=preview.encoding,
            )
        )
        message = imports.summary(preview)
        if preview.written:
            st.success(literal(message), icon=":material/task_alt:")
        else:
            st.info(literal(message))
        counts = preview.counts
        columns = st.columns(4)
        created_label = _("Created") if preview.written else _("To create")
        updated_label = _("Updated") if preview.written else _("To update")
        columns[0].metric(created_label, counts["create"])
        columns[1].metric(updated_label, counts["update"])
        columns[2].metric(_("Unchanged"), counts["unchanged"])
        columns[3].metric(_("Rejected"), counts["rejected"])
        if preview.rejected:
            st.subheader(_("Rejected rows"))
            show_frame(imports.rejections_table(preview), key="import_rejected")
        changes = imports.changes_table(preview)
        if not changes.empty:
            st.subheader(_("Changes"))
            show_frame(changes, key="import_changes")
