"""Admin, Audit log: who did what to which record, in words, filtered, paged, exported."""

from datetime import date

import streamlit as st

from models import UserAccount
from services.cases.records import FIELD_LABELS
from services.platform import audit, audit_log, formatting, users
from services.platform.errors import EnlaceError
from services.platform.i18n import _
from services.reporting.charts import deferred
from services.ui import widget_text
from services.ui.feedback import show_error
from services.ui.runtime import db_session, run_service
from services.ui.tables import show_table


def show_audit_log(actor: UserAccount) -> None:
    """The filters, one page of the log, newest first, and the filtered log as CSV."""
    filters = _filters(actor)
    if filters is None:
        return
    page = st.session_state.get("audit_page", 1)
    reading = {"filters": filters, "page": page, "labels": FIELD_LABELS}
    try:
        found = run_service(audit_log.read_log, actor=actor, **reading)
    except EnlaceError as error:
        show_error(error)
        return
    pages = max(1, -(-found.total // audit_log.PAGE_SIZE))
    st.caption(
        _("Events found: {total}, newest first. Sensitive values are stored masked.").format(
            total=found.total
        )
    )
    show_table(
        [
            {
                _("When"): formatting.datetime_text(entry.when),
                _("Who"): entry.who,
                _("Action"): entry.action,
                _("Record"): entry.record,
                _("Changes"): entry.changes,
            }
            for entry in found.entries
        ]
    )
    cut = audit_log.export_is_cut(found.total)
    if cut:
        st.warning(cut)
    page_column, download_column = st.columns([1, 2])
    page_column.number_input(
        _("Page (of {pages})").format(pages=pages),
        min_value=1,
        max_value=pages,
        step=1,
        key="audit_page",
    )
    download_column.download_button(
        _("Download the filtered log (CSV)"),
        data=deferred(
            run_service,
            audit_log.export_log,
            actor=actor,
            filters=filters,
            labels=FIELD_LABELS,
        ),
        file_name=f"enlace-audit-log-{date.today().isoformat()}.csv",
        mime="text/csv",
        on_click="ignore",
        icon=":material/download:",
        key="audit_download",
    )


def _filters(actor: UserAccount) -> audit_log.LogFilter | None:
    """The filter widgets; None (with the reason shown) when the dates are the wrong way round."""
    with db_session() as session:
        people = {
            a.id or 0: a.display_name or a.email
            for a in users.list_users(session=session, actor=actor)
        }
    action_column, person_column = st.columns(2)
    actions = action_column.multiselect(
        _("Actions"),
        sorted(audit.AuditAction, key=lambda action: _(action.label)),
        format_func=lambda action: _(action.label),
        placeholder=_("All"),
        key="audit_actions",
        on_change=_first_page,
    )
    person = person_column.selectbox(
        _("Person"),
        sorted(people, key=lambda person_id: people[person_id].casefold()),
        index=None,
        placeholder=_("Everyone"),
        format_func=people.__getitem__,
        key="audit_person",
        on_change=_first_page,
    )
    case_column, since_column, until_column = st.columns([2, 1, 1])
    case_code = case_column.text_input(
        _("Case code"),
        placeholder="AR-2026-0007",
        max_chars=20,
        key="audit_case",
        on_change=_first_page,
    )
    since = since_column.date_input(
        format=widget_text.date_format(),
        label=_("From"),
        value=None,
        key="audit_since",
        on_change=_first_page,
    )
    until = until_column.date_input(
        format=widget_text.date_format(),
        label=_("To"),
        value=None,
        key="audit_until",
        on_change=_first_page,
    )
    if isinstance(since, date) and isinstance(until, date) and since > until:
        st.error(_("The start date is after the end date."))
        return None
    return audit_log.LogFilter(
        actions=tuple(actions),
        person_id=person,
        case_code=case_code,
        since=since if isinstance(since, date) else None,
        until=until if isinstance(until, date) else None,
    )


def _first_page() -> None:
    """A new filter starts at its first page."""
    st.session_state["audit_page"] = 1
