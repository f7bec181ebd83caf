"""One case on the board, to work it: what is known, the timeline and notes, stage and
assignment, referrals, return, and the assessment's edit.

Saves never overwrite someone else's work: each form remembers the case as it was when the
form was filled (`base`) and the version the user last saw; when someone else saved first,
the page lists what they changed and keeps the user's input to re-apply.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any, cast

import pandas as pd
import streamlit as st
from pydantic import ValidationError

from models import Case, ReferralUpdate, UserAccount
from models.base import utcnow
from models.enums import ReferralState, Service, Stage
from services.cases import board, presentation, workflow
from services.cases import records as cases
from services.platform import formatting
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, label, options
from services.ui import referral_answers, runtime, widget_text
from services.ui.case_form import CaseForm, case_fields, screening_section
from services.ui.feedback import show_error
from services.ui.runtime import clear_caches, db_session
from services.ui.tables import show_frame
from services.ui.transfers import explain_lost_case, transfer_section

ALL = ""
NOBODY = 0
FLASH = "board_flash"
AUDITED = "board_audited_case"
# Widget keys of the case forms: `<prefix><...>_<case code>`, forgotten after one's own save.
FORM_PREFIXES = (
    "note_",
    "assign_",
    "advance_",
    "move_",
    "refer_",
    "answer_",
    "return_",
    "edit_",
    "transfer_",
)


def all_or(show: Callable[[str], str]) -> Callable[[str], str]:
    """A choice's label, with "All" for the empty choice."""
    return lambda code: _("All") if code == ALL else show(code)


def no_access() -> None:
    st.error(_("This case does not exist, or you do not have access to it."))


@dataclass
class CaseDesk:
    """The case a person has open, and how their writes to it are saved."""

    actor: UserAccount
    detail: board.CaseDetail

    @property
    def case(self) -> Case:
        return self.detail.case

    @property
    def code(self) -> str:
        return str(self.detail.case.case_code)

    @property
    def base_key(self) -> str:
        """The case as it was when this user's forms were filled."""
        return f"board_base_{self.code}"

    @property
    def seen_key(self) -> str:
        """The last version the user was shown (moves on after a conflict, so a second click
        re-applies their input)."""
        return f"board_seen_{self.code}"

    @property
    def base(self) -> dict[str, Any]:
        return st.session_state[self.base_key]  # type: ignore[no-any-return]

    @property
    def generation_key(self) -> str:
        """How many of this user's own saves the case's forms have been through."""
        return f"board_forms_{self.code}"

    def key(self, name: str) -> str:
        """A form widget's key, `<name>_<case code>`, with a new suffix after each of one's own
        saves: the forms then start again from the saved case, in the browser too (which keeps
        a widget's last value under its old key), and a second click of a button already used
        reaches no widget, so it does nothing."""
        generation = int(st.session_state.get(self.generation_key, 0))
        return f"{name}_{self.code}" + (f"_{generation}" if generation else "")

    def allows(self, action: str) -> bool:
        return action in self.detail.allowed

    def save(
        self,
        write: Callable[[dict[str, Any]], object],
        done: str,
        *,
        on_stale: Callable[[], bool] | None = None,
    ) -> None:
        """Run one write, given the keywords every write to a case takes (session, actor,
        case_code, expected_version); explain a refusal in plain words, or start again from the
        saved case. `on_stale`: a plainer explanation of a stale write than the case's changes
        (False when it has none)."""
        try:
            with db_session() as session:
                write(
                    {
                        "session": session,
                        "actor": self.actor,
                        "case_code": self.code,
                        "expected_version": int(st.session_state[self.seen_key]["version"]),
                    }
                )
        except StaleVersion:
            if on_stale is None or not on_stale():
                self._explain_the_conflict()
        except ValidationError as error:
            for message in presentation.validation_messages(error):
                st.error(message)
        except (Conflict, PermissionDenied) as error:
            show_error(error)
        except NotFound:
            no_access()
        except ValueError:
            st.error(_("Fill in the required fields."))
        else:
            st.session_state[FLASH] = done
            self._forget_forms()
            clear_caches()
            st.rerun()

    def _explain_the_conflict(self) -> None:
        with db_session() as session:
            current = board.get_case(
                session=session, actor=self.actor, case_code=self.code, audit_read=False
            ).case
        people = {person.id: person.name for person in runtime.list_assignees(self.actor)}
        changes = presentation.what_changed(st.session_state[self.seen_key], current, people)
        st.session_state[self.seen_key] = presentation.case_snapshot(current)
        st.warning(
            _(
                "Someone else saved this case while you were working, so nothing was saved. "
                "What they changed is listed below; your input is still in the form. Check it "
                "and press the button again to apply it."
            )
        )
        if changes:
            show_frame(
                pd.DataFrame(
                    [{_("Field"): c.label, _("Before"): c.old, _("Now"): c.new} for c in changes]
                )
            )

    def _forget_forms(self) -> None:
        """After one's own save: forms start again from the saved case."""
        for key in list(st.session_state):
            if str(key).startswith(FORM_PREFIXES) and f"_{self.code}" in str(key):
                del st.session_state[key]
        st.session_state[self.generation_key] = (
            int(st.session_state.get(self.generation_key, 0)) + 1
        )
        st.session_state.pop(self.base_key, None)
        st.session_state.pop(self.seen_key, None)


def open_case(actor: UserAccount, code: str) -> CaseDesk | None:
    """The case to work, or None (with a message) when it is not there for this person.

    Opening a case is audited once; reruns while it stays open (every click) are the same read.
    """
    first_read = st.session_state.get(AUDITED) != code
    try:
        with db_session() as session:
            detail = board.get_case(
                session=session, actor=actor, case_code=code, audit_read=first_read
            )
        st.session_state[AUDITED] = code
    except NotFound:
        if not explain_lost_case(actor, code):
            no_access()
        return None
    desk = CaseDesk(actor=actor, detail=detail)
    if desk.base_key not in st.session_state:
        st.session_state[desk.base_key] = presentation.case_snapshot(detail.case)
        st.session_state[desk.seen_key] = presentation.case_snapshot(detail.case)
    return desk


def show_case(desk: CaseDesk) -> None:
    """The case's header, then one tab per kind of work."""
    _header(desk)
    tab_timeline, tab_work, tab_referrals, tab_return, tab_edit = st.tabs(
        [_("Timeline"), _("Stage & assignment"), _("Referrals"), _("Return"), _("Edit assessment")],
        key=f"case_tabs_{desk.code}",
    )
    with tab_timeline:
        _timeline(desk)
    with tab_work:
        _stage_and_assignment(desk)
        transfer_section(desk)
    with tab_referrals:
        _referrals(desk)
        if desk.allows(workflow.Action.refer) and desk.case.stage != Stage.closed:
            _refer(desk)
    with tab_return:
        _return(desk)
    with tab_edit:
        _edit_assessment(desk)


def _header(desk: CaseDesk) -> None:
    case = desk.case
    st.subheader(_("Case {code}").format(code=desk.code))
    # Always one container here, so the tabs below keep their place and their selected tab.
    flash_box = st.container()
    flash = st.session_state.pop(FLASH, None)
    if flash:
        flash_box.success(flash)
    if case.anonymised_at:
        st.info(
            _("This case's personal data was removed on {date}; its statistics are kept.").format(
                date=formatting.date_text(case.anonymised_at)
            )
        )
    if desk.detail.party == workflow.Party.shared_officer:
        st.info(
            _(
                "This case was referred to your country by another consulate: you may read it, "
                "add notes, answer for your country's organisations and record the return."
            )
        )
    st.text(_("Reported by") + ": " + (desk.detail.reporter or "—"))
    st.text(_("Assigned to") + ": " + (desk.detail.assignee or _("Unassigned")))
    due_on = case.next_follow_up_on
    st.text(_("Next follow-up") + ": " + (formatting.date_text(due_on) or "—"))
    overdue = presentation.follow_up_mark(due_on, utcnow().date())
    if overdue:
        st.warning(overdue.removesuffix(" · "))
    for name in presentation.FREE_TEXT_FIELDS:
        # Typed by people: plain text only, never markdown or HTML.
        st.text(_(cases.FIELD_LABELS.get(name, name)) + ": " + (getattr(case, name) or "—"))
    show_frame(presentation.case_summary(case))
    for name in ("closure_reason", "consent_override_reason"):
        if getattr(case, name):
            st.text(_(cases.FIELD_LABELS[name]) + ": " + getattr(case, name))


def _timeline(desk: CaseDesk) -> None:
    for entry in desk.detail.events:
        with st.container(border=True):
            st.text(presentation.event_text(entry))
            if entry.note:
                # Notes are plain text: `<script>` or **markdown** are shown as typed.
                st.text(entry.note)
    if not desk.allows(workflow.Action.comment):
        return
    with st.form(desk.key("note_form"), clear_on_submit=False):
        note = st.text_area(_("New note"), key=desk.key("note"), max_chars=10000)
        add_note = st.form_submit_button(_("Add note"), key=desk.key("note_add"))
    if add_note:
        if not (note or "").strip():
            st.warning(_("Write the note before adding it."))
        else:
            desk.save(lambda case: cases.add_note(**case, note=note), _("Note added."))


def _stage_and_assignment(desk: CaseDesk) -> None:
    case = desk.case
    if desk.allows(workflow.Action.assign):
        with db_session() as session:
            eligible = {
                person.id: person.name
                for person in board.list_assignees(
                    session=session, actor=desk.actor, country=case.reporting_country
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
            key=desk.key("assign_to"),
        )
        if assign_button_col.button(_("Assign"), key=desk.key("assign")):
            desk.save(
                lambda case: cases.assign_case(**case, assignee_id=new_assignee or None),
                _("Case assigned."),
            )
    if desk.allows(workflow.Action.move_stage):
        _advance(desk)
        targets = [value for value in options(Stage) if value != case.stage]
        following = workflow.next_stage(Stage(case.stage))
        target = st.selectbox(
            _("Move to stage"),
            targets,
            index=targets.index(following.value) if following else 0,
            format_func=label,
            filter_mode=None,
            key=desk.key("move_target"),
        )
        st.caption(
            _(
                "Referred and later stages need at least one referral that was not declined or "
                "withdrawn. Closing needs a reason; moving back needs a note."
            )
        )
        move_note = st.text_area(_("Note (why)"), key=desk.key("move_note"), max_chars=10000)
        closure_reason = st.text_area(
            _("Reason for closing"), key=desk.key("move_closure"), max_chars=10000
        )
        if st.button(_("Move"), key=desk.key("move"), type="primary"):
            desk.save(
                lambda case: cases.move_stage(
                    **case, target=target, note=move_note, closure_reason=closure_reason
                ),
                _("Case moved to {stage}.").format(stage=label(target)),
            )
    if not desk.allows(workflow.Action.move_stage) and not desk.allows(workflow.Action.assign):
        st.caption(_("You may read this case and add notes."))


def _advance(desk: CaseDesk) -> None:
    """One click to the next stage of the board (moving forward needs no note)."""
    following = workflow.next_stage(Stage(desk.case.stage))
    if following is None:
        return
    shown = label(following.value)
    if st.button(_("Advance to {stage}").format(stage=shown), key=desk.key("advance")):
        desk.save(
            lambda case: cases.move_stage(**case, target=following),
            _("Case moved to {stage}.").format(stage=shown),
        )


def _referrals(desk: CaseDesk) -> None:
    """The case's referrals, and an answer to each that can still change."""
    if desk.detail.referrals:
        show_frame(presentation.referrals_frame(desk.detail.referrals))
    else:
        st.caption(_("No referrals yet."))
    if not desk.allows(workflow.Action.answer_referral):
        return
    for line in desk.detail.referrals:
        next_states = workflow.next_referral_states(line.state)
        if next_states and referral_answers.may_answer(desk.detail.party, desk.actor, line):
            _answer(desk, line, next_states)


def _answer(desk: CaseDesk, line: board.ReferralLine, next_states: list[str]) -> None:
    with st.container(border=True):
        st.text(f"{line.organisation_name} ({line.organisation_country})")
        state_col, reason_col, answer_col = st.columns([2, 3, 1])
        new_state = state_col.selectbox(
            _("Answer"),
            next_states,
            format_func=label,
            filter_mode=None,
            key=desk.key(f"answer_state_{line.id}"),
        )
        decline_reason = reason_col.text_input(
            _("Reason, if declined"), key=desk.key(f"answer_reason_{line.id}")
        )
        if answer_col.button(_("Save"), key=desk.key(f"answer_{line.id}")):
            desk.save(
                lambda case: cases.answer_referral(
                    **case,
                    referral_id=line.id,
                    answer=ReferralUpdate(
                        state=ReferralState(new_state), decline_reason=decline_reason or None
                    ),
                ),
                _("Referral updated."),
            )


def _refer(desk: CaseDesk) -> None:
    """Send the case to an organisation offering a service it needs."""
    case = desk.case
    st.markdown("**" + _("Refer to an organisation") + "**")
    service_col, org_country_col = st.columns(2)
    needed = list(case.needs or []) or options(Service)
    service_options = needed + [s for s in options(Service) if s not in needed]
    service = service_col.selectbox(
        _("Service needed"),
        service_options,
        format_func=label,
        filter_mode=None,
        key=desk.key("refer_service"),
    )
    org_country = org_country_col.selectbox(
        _("Country of the organisation"),
        [ALL, *country_codes()],
        format_func=all_or(country_name),
        key=desk.key("refer_country"),
    )
    with db_session() as session:
        organisations = board.list_organisations(
            session=session, actor=desk.actor, country=org_country or None, service=service
        )
    if not organisations:
        st.caption(_("No organisation offers this service there."))
        return
    org_names = {org.id: f"{org.name} · {org.city} ({org.country})" for org in organisations}
    organisation_id = st.selectbox(
        _("Organisation"),
        list(org_names),
        format_func=org_names.__getitem__,
        key=desk.key("refer_org"),
    )
    sent_on = st.date_input(
        format=widget_text.date_format(),
        label=_("Sent on"),
        value="today",
        max_value=date.today(),
        key=desk.key("refer_sent"),
    )
    override_reason = None
    if desk.allows(workflow.Action.override_consent):
        if st.checkbox(
            _("Refer without the person's consent (coordinator override)"),
            key=desk.key("refer_override"),
        ):
            override_reason = st.text_area(
                _("Why the referral cannot wait for consent"),
                key=desk.key("refer_override_reason"),
                max_chars=4000,
            )
    if not case.consent_given:
        st.caption(_("The person has not given consent yet."))
    if st.button(_("Send referral"), key=desk.key("refer"), type="primary"):
        desk.save(
            lambda case: cases.refer_case(
                **case,
                organisation_id=cast(int, organisation_id),  # a choice among organisations
                service=service,
                sent_on=sent_on,
                override_reason=override_reason,
            ),
            _("Referral sent."),
        )


def _return(desk: CaseDesk) -> None:
    case = desk.case
    for name in ("return_counterpart", "return_travel_date", "return_reception"):
        value = getattr(case, name)
        st.text(_(cases.FIELD_LABELS[name]) + ": " + (str(value) if value else "—"))
    if case.stage != Stage.return_reintegration:
        st.caption(_("Return details are recorded in the return & reintegration stage."))
        return
    if not desk.allows(workflow.Action.record_return):
        return
    with st.form(desk.key("return_form")):
        counterpart = st.text_input(
            _("Return counterpart"),
            value=case.return_counterpart or "",
            max_chars=200,
            help=_("The institution or official receiving the person in their country."),
            key=desk.key("return_counterpart"),
        )
        travel_date = st.date_input(
            format=widget_text.date_format(),
            label=_("Travel date"),
            value=case.return_travel_date,
            key=desk.key("return_date"),
        )
        reception = st.text_area(
            _("Reception arrangements"),
            value=case.return_reception or "",
            max_chars=4000,
            key=desk.key("return_reception"),
        )
        record = st.form_submit_button(_("Save return details"), key=desk.key("return_save"))
    if record:
        desk.save(
            lambda case: cases.record_return(
                **case,
                plan=cases.ReturnPlan(
                    counterpart=counterpart, travel_date=travel_date, reception=reception
                ),
            ),
            _("Return details saved."),
        )


def _edit_assessment(desk: CaseDesk) -> None:
    if not desk.allows(workflow.Action.edit_assessment):
        st.caption(_("You may read this case and add notes."))
        return
    form = CaseForm(key=lambda name: desk.key(f"edit_{name}"), start=desk.base)
    screening_section(form)
    with st.form(desk.key("edit_form")):
        values = case_fields(form)
        save_edit = st.form_submit_button(_("Save the assessment"), key=desk.key("edit_save"))
    if not save_edit:
        return
    # Only what this user changed is sent: someone else's other edits are never undone.
    edits = cases.edited_fields(desk.base, values)
    case_in, errors = cases.validate_case_update(edits)
    form.show_errors(errors)
    if case_in is not None and not edits:
        st.info(_("Nothing was changed."))
    elif case_in is not None:
        desk.save(
            lambda case: cases.update_assessment(**case, case_in=case_in),
            _("Assessment saved."),
        )
