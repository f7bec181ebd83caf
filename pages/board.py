"""Referral board: cases per stage with counts and filters; a card opens its case's page
(pages/case.py)."""

import math
from dataclasses import replace
from datetime import date

import streamlit as st

from models.enums import ExploitationType, Situation, Stage, Urgency
from services.cases import board, exports, presentation
from services.platform.errors import PermissionDenied
from services.platform.i18n import _
from services.platform.labels import country_name, label, literal, options
from services.reporting import export
from services.ui import case_search, runtime
from services.ui.case_detail import ALL, NOBODY, all_or
from services.ui.runtime import current_actor, db_session

CARDS_PER_COLUMN = 8
OPEN_CASE = "board_open_case"
UNASSIGNED = -1

actor = current_actor()
# A card picked, or an old link to a case on the board (`/board?case=...`): the case's page.
opened = st.session_state.pop(OPEN_CASE, None) or str(st.query_params.get("case", "")).strip()
if opened:
    st.switch_page(case_search.CASE_PAGE, query_params=case_search.case_link(opened.upper()))
st.title(_("Referral board"))

try:
    countries = runtime.case_countries(actor)
    assignees = runtime.list_assignees(actor)
except PermissionDenied:
    st.error(_("Your role does not give access to case records."))
    st.stop()
assignee_names = {person.id: person.name for person in assignees}


# --- filters and counts ----------------------------------------------------------------------

first_row = st.columns(4)
country = first_row[0].selectbox(
    _("Country"), [ALL, *countries], format_func=all_or(country_name), key="board_country"
)
urgency = first_row[1].selectbox(
    _("Urgency"),
    [ALL, *options(Urgency)],
    format_func=all_or(label),
    filter_mode=None,
    key="board_urgency",
)
situation = first_row[2].selectbox(
    _("Situation"),
    [ALL, *options(Situation)],
    format_func=all_or(label),
    filter_mode=None,
    key="board_situation",
)
exploitation_type = first_row[3].selectbox(
    _("Type of exploitation"),
    [ALL, *options(ExploitationType)],
    format_func=all_or(label),
    filter_mode=None,
    key="board_exploitation",
)
second_row = st.columns([2, 2, 1])
stage = second_row[0].selectbox(
    _("Stage"),
    [ALL, *options(Stage)],
    format_func=all_or(label),
    filter_mode=None,
    key="board_stage",
)
assignee_choice = second_row[1].selectbox(
    _("Assigned to"),
    [NOBODY, UNASSIGNED, *assignee_names],
    format_func=lambda key: (
        _("All")
        if key == NOBODY
        else _("Unassigned")
        if key == UNASSIGNED
        else assignee_names.get(key, "—")
    ),
    key="board_assignee",
)
only_mine = second_row[2].toggle(_("Only mine"), key="board_mine")

filters = board.CaseFilters(
    country=country or None,
    urgency=urgency or None,
    situation=situation or None,
    exploitation_type=exploitation_type or None,
    assigned_to_id=(
        actor.id
        if only_mine
        else assignee_choice
        if assignee_choice not in (NOBODY, UNASSIGNED)
        else None
    ),
    unassigned=not only_mine and assignee_choice == UNASSIGNED,
)

# Counts ignore the stage filter so the row of stages always shows the whole board.
counts = runtime.board_counts(actor, filters=filters)

for column, (stage_code, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(label(stage_code), count)

shown_stages = [stage] if stage else options(Stage)
largest = max((counts.get(code, 0) for code in shown_stages), default=0)
page_count = max(1, math.ceil(largest / CARDS_PER_COLUMN))
page = 1
if page_count > 1:
    page = int(
        st.number_input(
            _("Page"), min_value=1, max_value=page_count, value=1, step=1, key="board_page"
        )
    )
    page = min(page, page_count)

columns_cards = {
    code: runtime.list_cases(
        actor,
        filters=replace(filters, stage=code),
        limit=CARDS_PER_COLUMN,
        offset=(page - 1) * CARDS_PER_COLUMN,
    )
    for code in shown_stages
}
cards = [card for stage_cards in columns_cards.values() for card in stage_cards]


def _open_from_column(key: str) -> None:
    """A card picked in a column: its case's page opens (at the top of the next run), and the
    column is left unpicked again."""
    code = st.session_state.get(key)
    if code:
        st.session_state[OPEN_CASE] = code
    st.session_state[key] = None


def _bold_code(first_line: str) -> str:
    """A card's first line with its case code in bold, the rest as typed."""
    code, _sep, rest = first_line.partition(" · ")
    return f"**{literal(code)}** · {literal(rest)}"


if not cards:
    st.info(_("No cases match these filters."))
# One radio group per column, a card per option: the column is one widget, not one per card.
for column, (stage_code, stage_cards) in zip(
    st.columns(len(columns_cards)), columns_cards.items(), strict=True
):
    with column:
        key = f"board_column_{stage_code}"
        lines = {card.case_code: presentation.card_lines(card) for card in stage_cards}
        title = f"{label(stage_code)} · {counts.get(stage_code, 0)}"
        if not lines:  # an empty radio says "No options to select." in English only
            st.markdown(literal(title))
            st.caption(_("No cases at this stage on this page."))
            continue
        st.radio(
            title,
            list(lines),
            index=None,
            format_func=lambda code, lines=lines: _bold_code(lines[code][0]),
            captions=[literal(second) for _first, second in lines.values()],
            key=key,
            on_change=_open_from_column,
            args=(key,),
        )
if page_count > 1:
    st.caption(_("Page {page} of {pages}").format(page=page, pages=page_count))

# --- export of the filtered list --------------------------------------------------------------

with st.expander(_("Export the case list")):
    layout = st.radio(
        _("Columns"),
        ["list", "htcds"],
        format_func=lambda code: (
            _("The board's list (translated)")
            if code == "list"
            else _("HTCDS names and codes (for other IOM systems)")
        ),
        key="board_export_layout",
        horizontal=True,
    )
    if st.button(_("Prepare the files"), key="board_export_prepare"):
        filter_labels = {
            _("Stage"): label(stage) if stage else "",
            _("Country"): country_name(country) if country else "",
            _("Urgency"): label(urgency) if urgency else "",
            _("Situation"): label(situation) if situation else "",
            _("Type of exploitation"): label(exploitation_type) if exploitation_type else "",
            _("Only mine"): _("Yes") if only_mine else "",
        }
        with db_session() as session:
            frame = exports.case_export(
                session=session,
                actor=actor,
                layout=layout,
                filters=replace(filters, stage=stage or None),
            )
        info = export.ExportInfo(
            title=_("Referral cases"),
            filters={name: value for name, value in filter_labels.items() if value},
        )
        st.session_state["board_export"] = (
            layout,
            export.to_csv(frame, info),
            export.to_xlsx(frame, info),
        )
    prepared = st.session_state.get("board_export")
    if prepared:
        prepared_layout, csv_bytes, xlsx_bytes = prepared
        name = f"enlace-cases-{prepared_layout}-{date.today().isoformat()}"
        csv_col, xlsx_col = st.columns(2)
        csv_col.download_button(
            _("Download CSV"), csv_bytes, f"{name}.csv", "text/csv", key="board_export_csv"
        )
        xlsx_col.download_button(
            _("Download XLSX"),
            xlsx_bytes,
            f"{name}.xlsx",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            key="board_export_xlsx",
        )
