"""Referral board: cases per stage, the cases the user may see, one case's detail and notes."""

import math
import re
from collections.abc import Callable

import streamlit as st
from pydantic import ValidationError

from models.cases import CASE_CODE_PATTERN
from models.enums import Situation, Stage, Urgency
from services import cases
from services.errors import NotFound, PermissionDenied, StaleVersion
from services.i18n import _
from services.labels import country_name, label, options
from services.runtime import clear_caches, current_actor, db_session

CARDS_PER_COLUMN = 8
ALL = ""
SEEN_VERSIONS = "board_seen_versions"

actor = current_actor()
st.title(_("Referral board"))

try:
    with db_session() as session:
        countries = cases.case_countries(session=session, actor=actor)
except PermissionDenied:
    st.error(_("Your role does not give access to case records."))
    st.stop()


def _all_or(show: Callable[[str], str]) -> Callable[[str], str]:
    return lambda code: _("All") if code == ALL else show(code)


stage_col, country_col, urgency_col, situation_col = st.columns(4)
stage = stage_col.selectbox(
    _("Stage"), [ALL, *options(Stage)], format_func=_all_or(label), key="board_stage"
)
country = country_col.selectbox(
    _("Country"), [ALL, *countries], format_func=_all_or(country_name), key="board_country"
)
urgency = urgency_col.selectbox(
    _("Urgency"), [ALL, *options(Urgency)], format_func=_all_or(label), key="board_urgency"
)
situation = situation_col.selectbox(
    _("Situation"), [ALL, *options(Situation)], format_func=_all_or(label), key="board_situation"
)
filters = {"country": country or None, "urgency": urgency or None, "situation": situation or None}

with db_session() as session:
    # Counts ignore the stage filter so the row of stages always shows the whole board.
    counts = cases.board_counts(session=session, actor=actor, **filters)

for column, (stage_code, count) in zip(st.columns(len(counts)), counts.items(), strict=True):
    column.metric(label(stage_code), count)

shown_stages = [stage] if stage else options(Stage)
largest = max((counts.get(code, 0) for code in shown_stages), default=0)
page_count = max(1, math.ceil(largest / CARDS_PER_COLUMN))
page = 1
if page_count > 1:
    page = int(st.number_input(_("Page"), min_value=1, max_value=page_count, value=1, step=1))

with db_session() as session:
    columns_cards = {
        code: cases.list_cases(
            session=session,
            actor=actor,
            stage=code,
            limit=CARDS_PER_COLUMN,
            offset=(page - 1) * CARDS_PER_COLUMN,
            **filters,
        )
        for code in shown_stages
    }
cards = [card for stage_cards in columns_cards.values() for card in stage_cards]


def _open_case(code: str) -> None:
    st.query_params["case"] = code
    st.session_state["board_open_case"] = code


if not cards:
    st.info(_("No cases match these filters."))
for column, (stage_code, stage_cards) in zip(
    st.columns(len(columns_cards)), columns_cards.items(), strict=True
):
    with column:
        st.caption(f"{label(stage_code)} · {counts.get(stage_code, 0)}")
        for card in stage_cards:
            with st.container(border=True):
                st.text(cases.card_text(card))
                st.button(
                    _("Open"),
                    key=f"open_{card.case_code}",
                    on_click=_open_case,
                    args=(card.case_code,),
                    width="stretch",
                )
if page_count > 1:
    st.caption(_("Page {page} of {pages}").format(page=page, pages=page_count))

# --- one case --------------------------------------------------------------------------------

codes = [card.case_code for card in cards]
requested = str(st.query_params.get("case", "")).strip().upper()
if requested and re.fullmatch(CASE_CODE_PATTERN, requested) and requested not in codes:
    codes.insert(0, requested)
if st.session_state.get("board_open_case") != requested:
    st.session_state["board_open_case"] = requested if requested in codes else None
chosen = st.selectbox(
    _("Open a case"),
    codes,
    key="board_open_case",
    placeholder=_("Choose a case code"),
)
if chosen and chosen != requested:
    st.query_params["case"] = chosen
elif not chosen and "case" in st.query_params:
    del st.query_params["case"]
if not chosen:
    st.stop()

try:
    with db_session() as session:
        detail = cases.get_case(session=session, actor=actor, case_code=chosen)
except NotFound:
    st.error(_("This case does not exist, or you do not have access to it."))
    st.stop()

case = detail.case
# The version shown in the previous run is the one the user's note was written against.
seen_versions = st.session_state.setdefault(SEEN_VERSIONS, {})
expected_version = seen_versions.get(case.case_code, case.version)
seen_versions[case.case_code] = case.version

st.subheader(_("Case {code}").format(code=case.case_code))
for name in cases.FREE_TEXT_FIELDS:
    # Typed by people: plain text only, never markdown or HTML.
    field_label = _(cases.FIELD_LABELS.get(name, name))
    st.text(f"{field_label}: {getattr(case, name) or '—'}")
st.dataframe(cases.case_summary(case), hide_index=True)

st.subheader(_("Referrals"))
if detail.referrals:
    st.dataframe(cases.referrals_frame(detail.referrals), hide_index=True)
else:
    st.caption(_("No referrals yet."))

st.subheader(_("Timeline"))
for entry in detail.events:
    with st.container(border=True):
        st.text(
            f"{entry.created_at:%Y-%m-%d %H:%M} UTC · {label(entry.kind)} · {entry.author or '—'}"
        )
        if entry.note:
            st.text(entry.note)

note_key = f"board_note_{case.case_code}"
saved_flag = f"{note_key}_saved"
if st.session_state.pop(saved_flag, False):
    st.session_state[note_key] = ""
    st.success(_("Note added."))

with st.form(f"note_form_{case.case_code}", clear_on_submit=False):
    note = st.text_area(_("New note"), key=note_key, max_chars=10000)
    submitted = st.form_submit_button(_("Add note"))

if submitted:
    if not (note or "").strip():
        st.warning(_("Write the note before adding it."))
    else:
        try:
            with db_session() as session:
                cases.add_note(
                    session=session,
                    actor=actor,
                    case_code=case.case_code,
                    note=note or "",
                    expected_version=expected_version,
                )
        except StaleVersion:
            st.warning(
                _(
                    "Someone else updated this case while you were writing, so your note "
                    "was not saved. Their changes are shown above and your note is still in "
                    "the box: press “Add note” again to save it."
                )
            )
        except ValidationError as error:
            for message in cases.validation_messages(error):
                st.error(message)
        except (NotFound, PermissionDenied):
            st.error(_("You may not add notes to this case."))
        else:
            st.session_state[saved_flag] = True
            clear_caches()
            st.rerun()
