"""Referral board: cases per stage with counts and filters, and one case's detail to work it.

Saves never overwrite someone else's work: each form remembers the case as it was when the
form was filled (`base`) and the version the user last saw; when someone else saved first,
the page lists what they changed and keeps the user's input to re-apply.
"""

import math
import re
from collections.abc import Callable
from dataclasses import replace
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from models import ReferralUpdate
from models.cases import CASE_CODE_PATTERN
from models.enums import (
    AgeBand,
    ConsentScope,
    ExploitationType,
    ForcedLabourIndustry,
    Gender,
    Indicator,
    MethodOfControl,
    Service,
    Situation,
    Stage,
    TraffickingStatus,
    Urgency,
)
from services.cases import board, exports, presentation, workflow
from services.cases import records as cases
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, label, literal, options
from services.reporting import export
from services.ui import runtime
from services.ui.feedback import show_error
from services.ui.runtime import clear_caches, current_actor, db_session

CARDS_PER_COLUMN = 8
ALL = ""
UNASSIGNED = -1
NOBODY = 0
FLASH = "board_flash"
# Widget keys of the case forms: `<prefix><...>_<case code>`, forgotten after one's own save.
FORM_PREFIXES = ("note_", "assign_to_", "move_", "refer_", "answer_", "return_", "edit_")

actor = current_actor()
st.title(_("Referral board"))

try:
    countries = runtime.case_countries(actor)
    assignees = runtime.list_assignees(actor)
except PermissionDenied:
    st.error(_("Your role does not give access to case records."))
    st.stop()
assignee_names = {person.id: person.name for person in assignees}


def _all_or(show: Callable[[str], str]) -> Callable[[str], str]:
    return lambda code: _("All") if code == ALL else show(code)


# --- filters and counts ----------------------------------------------------------------------

first_row = st.columns(4)
country = first_row[0].selectbox(
    _("Country"), [ALL, *countries], format_func=_all_or(country_name), key="board_country"
)
urgency = first_row[1].selectbox(
    _("Urgency"), [ALL, *options(Urgency)], format_func=_all_or(label), key="board_urgency"
)
situation = first_row[2].selectbox(
    _("Situation"), [ALL, *options(Situation)], format_func=_all_or(label), key="board_situation"
)
exploitation_type = first_row[3].selectbox(
    _("Type of exploitation"),
    [ALL, *options(ExploitationType)],
    format_func=_all_or(label),
    key="board_exploitation",
)
second_row = st.columns([2, 2, 1])
stage = second_row[0].selectbox(
    _("Stage"), [ALL, *options(Stage)], format_func=_all_or(label), key="board_stage"
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
    """A card picked in a column: open its case, and leave the column unpicked again."""
    code = st.session_state.get(key)
    if code:
        st.query_params["case"] = code
        st.session_state["board_open_case"] = code
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
        st.radio(
            f"{label(stage_code)} · {counts.get(stage_code, 0)}",
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

# Opening a case is audited once; reruns while it stays open (every click) are the same read.
first_read = st.session_state.get("board_audited_case") != chosen
try:
    with db_session() as session:
        detail = board.get_case(
            session=session, actor=actor, case_code=chosen, audit_read=first_read
        )
    st.session_state["board_audited_case"] = chosen
except NotFound:
    st.error(_("This case does not exist, or you do not have access to it."))
    st.stop()

case = detail.case
code = case.case_code
allowed = detail.allowed
# `base`: the case as it was when this user's forms were filled; `seen`: the last version the
# user was shown (moves on after a conflict, so a second click re-applies their input).
BASE, SEEN = f"board_base_{code}", f"board_seen_{code}"
if BASE not in st.session_state:
    st.session_state[BASE] = presentation.case_snapshot(case)
    st.session_state[SEEN] = presentation.case_snapshot(case)
base: dict[str, Any] = st.session_state[BASE]
expected_version = int(st.session_state[SEEN]["version"])


def _forget_forms() -> None:
    """After one's own save: forms start again from the saved case."""
    for key in list(st.session_state):
        if str(key).startswith(FORM_PREFIXES) and str(key).endswith(f"_{code}"):
            del st.session_state[key]
    st.session_state.pop(BASE, None)
    st.session_state.pop(SEEN, None)


def _save(write: Callable[[Any], object], done: str) -> None:
    """Run one write; explain a refusal in plain words, or start again from the saved case."""
    try:
        with db_session() as session:
            write(session)
    except StaleVersion:
        with db_session() as session:
            current = board.get_case(
                session=session, actor=actor, case_code=code, audit_read=False
            ).case
        changes = presentation.what_changed(st.session_state[SEEN], current)
        st.session_state[SEEN] = presentation.case_snapshot(current)
        st.warning(
            _(
                "Someone else saved this case while you were working, so nothing was saved. "
                "What they changed is listed below; your input is still in the form. Check it "
                "and press the button again to apply it."
            )
        )
        if changes:
            st.dataframe(
                pd.DataFrame(
                    [{_("Field"): c.label, _("Before"): c.old, _("Now"): c.new} for c in changes]
                ),
                hide_index=True,
            )
    except ValidationError as error:
        for message in presentation.validation_messages(error):
            st.error(message)
    except (Conflict, PermissionDenied) as error:
        show_error(error)
    except NotFound:
        st.error(_("This case does not exist, or you do not have access to it."))
    except ValueError:
        st.error(_("Fill in the required fields."))
    else:
        st.session_state[FLASH] = done
        _forget_forms()
        clear_caches()
        st.rerun()


st.subheader(_("Case {code}").format(code=code))
# Always one container here, so the tabs below keep their place and their selected tab.
flash_box = st.container()
flash = st.session_state.pop(FLASH, None)
if flash:
    flash_box.success(flash)
if case.anonymised_at:
    st.info(
        _("This case's personal data was removed on {date}; its statistics are kept.").format(
            date=case.anonymised_at.date().isoformat()
        )
    )
if detail.party == workflow.Party.shared_officer:
    st.info(
        _(
            "This case was referred to your country by another consulate: you may read it and "
            "add notes."
        )
    )
st.text(_("Assigned to") + ": " + (detail.assignee or _("Unassigned")))
for name in presentation.FREE_TEXT_FIELDS:
    # Typed by people: plain text only, never markdown or HTML.
    st.text(_(cases.FIELD_LABELS.get(name, name)) + ": " + (getattr(case, name) or "—"))
st.dataframe(presentation.case_summary(case), hide_index=True)
for name in ("closure_reason", "consent_override_reason"):
    if getattr(case, name):
        st.text(_(cases.FIELD_LABELS[name]) + ": " + getattr(case, name))

tab_timeline, tab_work, tab_referrals, tab_return, tab_edit = st.tabs(
    [_("Timeline"), _("Stage & assignment"), _("Referrals"), _("Return"), _("Edit assessment")],
    key=f"case_tabs_{code}",
)

# --- timeline and notes ----------------------------------------------------------------------

with tab_timeline:
    for entry in detail.events:
        with st.container(border=True):
            st.text(presentation.event_text(entry))
            if entry.note:
                # Notes are plain text: `<script>` or **markdown** are shown as typed.
                st.text(entry.note)
    if workflow.Action.comment in allowed:
        with st.form(f"note_form_{code}", clear_on_submit=False):
            note = st.text_area(_("New note"), key=f"note_{code}", max_chars=10000)
            add_note = st.form_submit_button(_("Add note"), key=f"note_add_{code}")
        if add_note:
            if not (note or "").strip():
                st.warning(_("Write the note before adding it."))
            else:
                _save(
                    lambda session: cases.add_note(
                        session=session,
                        actor=actor,
                        case_code=code,
                        note=note,
                        expected_version=expected_version,
                    ),
                    _("Note added."),
                )

# --- stage and assignment --------------------------------------------------------------------

with tab_work:
    if workflow.Action.assign in allowed:
        with db_session() as session:
            eligible = {
                person.id: person.name
                for person in board.list_assignees(
                    session=session, actor=actor, country=case.reporting_country
                )
            }
        people = [NOBODY, *eligible]
        current_index = people.index(case.assigned_to_id) if case.assigned_to_id in people else 0
        assign_col, assign_button_col = st.columns([3, 1])
        new_assignee = assign_col.selectbox(
            _("Assign to"),
            people,
            index=current_index,
            format_func=lambda key: _("Unassigned") if key == NOBODY else eligible[key],
            key=f"assign_to_{code}",
        )
        if assign_button_col.button(_("Assign"), key=f"assign_{code}"):
            _save(
                lambda session: cases.assign_case(
                    session=session,
                    actor=actor,
                    case_code=code,
                    assignee_id=new_assignee or None,
                    expected_version=expected_version,
                ),
                _("Case assigned."),
            )
    if workflow.Action.move_stage in allowed:
        targets = [value for value in options(Stage) if value != case.stage]
        target = st.selectbox(
            _("Move to stage"), targets, format_func=label, key=f"move_target_{code}"
        )
        st.caption(
            _(
                "Referred and later stages need at least one referral that was not declined or "
                "withdrawn. Closing needs a reason; moving back needs a note."
            )
        )
        move_note = st.text_area(_("Note (why)"), key=f"move_note_{code}", max_chars=10000)
        closure_reason = st.text_area(
            _("Reason for closing"), key=f"move_closure_{code}", max_chars=10000
        )
        if st.button(_("Move"), key=f"move_{code}", type="primary"):
            _save(
                lambda session: cases.move_stage(
                    session=session,
                    actor=actor,
                    case_code=code,
                    target=target,
                    expected_version=expected_version,
                    note=move_note,
                    closure_reason=closure_reason,
                ),
                _("Case moved to {stage}.").format(stage=label(target)),
            )
    if workflow.Action.move_stage not in allowed and workflow.Action.assign not in allowed:
        st.caption(_("You may read this case and add notes."))

# --- referrals -------------------------------------------------------------------------------

with tab_referrals:
    if detail.referrals:
        st.dataframe(presentation.referrals_frame(detail.referrals), hide_index=True)
    else:
        st.caption(_("No referrals yet."))
    if workflow.Action.answer_referral in allowed:
        for line in detail.referrals:
            next_states = workflow.next_referral_states(line.state)
            if not next_states:
                continue
            with st.container(border=True):
                st.text(f"{line.organisation_name} ({line.organisation_country})")
                state_col, reason_col, answer_col = st.columns([2, 3, 1])
                new_state = state_col.selectbox(
                    _("Answer"),
                    next_states,
                    format_func=label,
                    key=f"answer_state_{line.id}_{code}",
                )
                decline_reason = reason_col.text_input(
                    _("Reason, if declined"), key=f"answer_reason_{line.id}_{code}"
                )
                if answer_col.button(_("Save"), key=f"answer_{line.id}_{code}"):
                    _save(
                        lambda session, line=line, new_state=new_state, reason=decline_reason: (
                            cases.answer_referral(
                                session=session,
                                actor=actor,
                                case_code=code,
                                referral_id=line.id,
                                answer=ReferralUpdate(
                                    state=new_state, decline_reason=reason or None
                                ),
                                expected_version=expected_version,
                            )
                        ),
                        _("Referral updated."),
                    )
    if workflow.Action.refer in allowed and case.stage != Stage.closed:
        st.markdown("**" + _("Refer to an organisation") + "**")
        service_col, org_country_col = st.columns(2)
        needed = list(case.needs or []) or options(Service)
        service_options = needed + [s for s in options(Service) if s not in needed]
        service = service_col.selectbox(
            _("Service needed"), service_options, format_func=label, key=f"refer_service_{code}"
        )
        all_codes = country_codes()
        org_country = org_country_col.selectbox(
            _("Country of the organisation"),
            [ALL, *all_codes],
            format_func=_all_or(country_name),
            key=f"refer_country_{code}",
        )
        with db_session() as session:
            organisations = board.list_organisations(
                session=session, actor=actor, country=org_country or None, service=service
            )
        if not organisations:
            st.caption(_("No organisation offers this service there."))
        else:
            org_names = {
                org.id: f"{org.name} · {org.city} ({org.country})" for org in organisations
            }
            organisation_id = st.selectbox(
                _("Organisation"),
                list(org_names),
                format_func=org_names.__getitem__,
                key=f"refer_org_{code}",
            )
            sent_on = st.date_input(
                _("Sent on"), value="today", max_value=date.today(), key=f"refer_sent_{code}"
            )
            override_reason = None
            if workflow.Action.override_consent in allowed:
                if st.checkbox(
                    _("Refer without the person's consent (coordinator override)"),
                    key=f"refer_override_{code}",
                ):
                    override_reason = st.text_area(
                        _("Why the referral cannot wait for consent"),
                        key=f"refer_override_reason_{code}",
                        max_chars=4000,
                    )
            if not case.consent_given:
                st.caption(_("The person has not given consent yet."))
            if st.button(_("Send referral"), key=f"refer_{code}", type="primary"):
                _save(
                    lambda session: cases.refer_case(
                        session=session,
                        actor=actor,
                        case_code=code,
                        organisation_id=organisation_id,
                        service=service,
                        sent_on=sent_on,
                        expected_version=expected_version,
                        override_reason=override_reason,
                    ),
                    _("Referral sent."),
                )

# --- return ----------------------------------------------------------------------------------

with tab_return:
    for name in ("return_counterpart", "return_travel_date", "return_reception"):
        value = getattr(case, name)
        st.text(_(cases.FIELD_LABELS[name]) + ": " + (str(value) if value else "—"))
    if case.stage != Stage.return_reintegration:
        st.caption(_("Return details are recorded in the return & reintegration stage."))
    elif workflow.Action.record_return in allowed:
        with st.form(f"return_form_{code}"):
            counterpart = st.text_input(
                _("Return counterpart"),
                value=case.return_counterpart or "",
                max_chars=200,
                help=_("The institution or official receiving the person in their country."),
                key=f"return_counterpart_{code}",
            )
            travel_date = st.date_input(
                _("Travel date"), value=case.return_travel_date, key=f"return_date_{code}"
            )
            reception = st.text_area(
                _("Reception arrangements"),
                value=case.return_reception or "",
                max_chars=4000,
                key=f"return_reception_{code}",
            )
            record = st.form_submit_button(_("Save return details"), key=f"return_save_{code}")
        if record:
            _save(
                lambda session: cases.record_return(
                    session=session,
                    actor=actor,
                    case_code=code,
                    plan=cases.ReturnPlan(
                        counterpart=counterpart, travel_date=travel_date, reception=reception
                    ),
                    expected_version=expected_version,
                ),
                _("Return details saved."),
            )

# --- edit the assessment ---------------------------------------------------------------------

with tab_edit:
    if workflow.Action.edit_assessment not in allowed:
        st.caption(_("You may read this case and add notes."))
    else:
        slots: dict[str, Any] = {}

        def _pick(field: str, choices: list[str], show: Callable[[str], str]) -> Any:
            value = base[field] if base[field] is not None else ALL
            chosen_value = st.selectbox(
                _(cases.FIELD_LABELS[field]),
                choices,
                index=choices.index(value) if value in choices else 0,
                format_func=show,
                key=f"edit_{field}_{code}",
            )
            slots[field] = st.empty()
            return chosen_value or None

        def _many(field: str, choices: list[str]) -> list[str]:
            picked = st.multiselect(
                _(cases.FIELD_LABELS[field]),
                choices,
                default=[value for value in base[field] if value in choices],
                format_func=label,
                key=f"edit_{field}_{code}",
            )
            slots[field] = st.empty()
            return picked

        def _known(show: Callable[[str], str]) -> Callable[[str], str]:
            return lambda value: _("Not known") if value == ALL else show(value)

        every_country = country_codes()
        with st.form(f"edit_form_{code}"):
            form: dict[str, Any] = {}
            form["person_alias"] = st.text_input(
                _("Alias or initials"),
                value=base["person_alias"],
                max_chars=40,
                help=_("Initials or a code such as M.G. or P-07, never a name."),
                key=f"edit_person_alias_{code}",
            )
            slots["person_alias"] = st.empty()
            form["consular_post"] = st.text_input(
                _("Consular post"),
                value=base["consular_post"],
                max_chars=120,
                key=f"edit_consular_post_{code}",
            )
            slots["consular_post"] = st.empty()
            form["identified_place"] = st.text_input(
                _("Place identified"),
                value=base["identified_place"],
                max_chars=200,
                key=f"edit_identified_place_{code}",
            )
            slots["identified_place"] = st.empty()
            form["gender"] = _pick("gender", options(Gender), label)
            form["age_band"] = _pick("age_band", [ALL, *options(AgeBand)], _known(str))
            form["is_minor"] = st.checkbox(
                _("Minor (under 18)"), value=base["is_minor"], key=f"edit_is_minor_{code}"
            )
            slots["is_minor"] = st.empty()
            form["citizenship"] = _pick("citizenship", [ALL, *every_country], _known(country_name))
            form["primary_language"] = st.text_input(
                _("Primary language"),
                value=base["primary_language"],
                max_chars=40,
                key=f"edit_primary_language_{code}",
            )
            slots["primary_language"] = st.empty()
            form["situation"] = _pick("situation", options(Situation), label)
            form["trafficking_status"] = _pick(
                "trafficking_status", [ALL, *options(TraffickingStatus)], _known(label)
            )
            form["exploitation_types"] = _many("exploitation_types", options(ExploitationType))
            form["forced_labour_industries"] = _many(
                "forced_labour_industries", options(ForcedLabourIndustry)
            )
            form["means_of_control"] = _many("means_of_control", options(MethodOfControl))
            form["indicators"] = _many("indicators", options(Indicator))
            form["exploitation_country"] = _pick(
                "exploitation_country", [ALL, *every_country], _known(country_name)
            )
            form["consent_given"] = st.checkbox(
                _("The person gave consent"),
                value=base["consent_given"],
                key=f"edit_consent_given_{code}",
            )
            slots["consent_given"] = st.empty()
            form["consent_date"] = st.date_input(
                _("Consent date"),
                value=base["consent_date"],
                max_value=date.today(),
                key=f"edit_consent_date_{code}",
            )
            slots["consent_date"] = st.empty()
            form["consent_scope"] = _many("consent_scope", options(ConsentScope))
            form["urgency"] = _pick("urgency", options(Urgency), label)
            form["needs"] = _many("needs", options(Service))
            save_edit = st.form_submit_button(_("Save the assessment"), key=f"edit_save_{code}")
        if save_edit:
            # Only what this user changed is sent: someone else's other edits are never undone.
            edits = cases.edited_fields(base, form)
            case_in, errors = cases.validate_case_update(edits)
            for field, message in errors.items():
                (slots[field] if field in slots else st).error(message)
            if case_in is not None and not edits:
                st.info(_("Nothing was changed."))
            elif case_in is not None:
                _save(
                    lambda session: cases.update_assessment(
                        session=session,
                        actor=actor,
                        case_code=code,
                        case_in=case_in,
                        expected_version=expected_version,
                    ),
                    _("Assessment saved."),
                )
