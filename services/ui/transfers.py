"""The case page's transfer of responsibility: who is responsible, a request to hand the case
to another country, and the receiving officer's answer (services/cases/transfers.py).

Its widgets' keys start with `transfer_` and end with the case code, so the case desk forgets
them after the person's own save and keeps them after a refusal.

The page remembers the waiting transfer it showed (`transfer_seen_<code>`), as the referral
answers remember the state the partner saw: when someone answers it elsewhere (another officer,
or the same person in another tab), the next run says who answered, how and when, instead of
silently dropping the buttons; a click on the stale page's button saves nothing and says so.
"""

from typing import TYPE_CHECKING, Any

import streamlit as st

from models import CaseTransfer, UserAccount
from models.enums import Role, TransferState
from services.cases import transfers, workflow
from services.platform import formatting
from services.platform.errors import NotFound
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name
from services.ui.runtime import db_session

if TYPE_CHECKING:  # the case page imports this module
    from services.ui.case_detail import CaseDesk


def transfer_section(desk: "CaseDesk") -> None:
    """Responsibility, then the request or the answer this person may give."""
    case, actor = desk.case, desk.actor
    with db_session() as session:
        history = transfers.list_transfers(session=session, actor=actor, case_code=desk.code)
    st.markdown("**" + _("Transfer of responsibility") + "**")
    responsible = case.responsible_country or case.reporting_country
    st.text(_("Responsible country") + ": " + country_name(responsible))
    pending = next((t for t in history if t.state == TransferState.pending), None)
    seen = st.session_state.get(_seen_key(desk.code))
    if seen is not None and (pending is None or pending.id != seen):
        explain_outcome(actor, desk.code, seen, pressed=_pressed(desk.code))
    if pending is not None:
        st.session_state[_seen_key(desk.code)] = pending.id
    receiving = pending is not None and actor.role == Role.officer
    if pending is not None and receiving and actor.country == pending.to_country:
        _answer(desk, pending)
    elif pending is not None:
        st.caption(
            _("Waiting for {country} to accept the case.").format(
                country=country_name(pending.to_country)
            )
        )
    elif desk.allows(workflow.Action.request_transfer):
        _request(desk, responsible)


def _seen_key(code: str) -> str:
    """The waiting transfer this person was last shown on the case's page."""
    return f"transfer_seen_{code}"


def _pressed(code: str) -> bool:
    """Whether this run comes from a click on the answer buttons of the page as it was (they
    are not drawn again once the transfer is answered, but the click still arrives)."""
    return any(bool(st.session_state.get(f"transfer_{a}_{code}")) for a in ("accept", "decline"))


def outcome_sentence(outcome: transfers.TransferOutcome) -> str:
    """Who answered the transfer, how and when, and whose the case is now."""
    who = _("You") if outcome.by_you else outcome.answered_by
    when = formatting.datetime_text(outcome.answered_at)
    if outcome.state == TransferState.accepted:
        text = _(
            "{who} accepted this transfer on {when}, elsewhere (another tab or another "
            "officer): the case is now the responsibility of {country}."
        )
        return text.format(who=who, when=when, country=country_name(outcome.to_country))
    text = _(
        "{who} declined this transfer on {when}, elsewhere (another tab or another officer): "
        "the case stays with {country}."
    )
    return text.format(who=who, when=when, country=country_name(outcome.from_country))


def explain_outcome(actor: UserAccount, code: str, transfer_id: int, *, pressed: bool) -> bool:
    """Say how the transfer was answered (and, after a click on the stale page, that the
    person's answer was not saved); False when it is still waiting or not theirs to know."""
    try:
        with db_session() as session:
            outcome = transfers.transfer_outcome(
                session=session, actor=actor, transfer_id=transfer_id
            )
    except NotFound:
        return False
    if outcome is None or outcome.case_code != code:
        return False
    sentence = outcome_sentence(outcome)
    if pressed:
        sentence = _("Your answer was not saved.") + " " + sentence
    st.warning(sentence)
    return True


def explain_lost_case(actor: UserAccount, code: str) -> bool:
    """When the case is out of this person's scope: whether it is because the transfer they
    were shown was declined meanwhile (then said, with who and when)."""
    seen = st.session_state.get(_seen_key(code))
    if seen is None:
        return False
    if not explain_outcome(actor, code, seen, pressed=_pressed(code)):
        return False
    st.info(_("The case is no longer shared with your country, so it is not shown here."))
    return True


def _request(desk: "CaseDesk", responsible: str) -> None:
    code = desk.code
    countries = [country for country in country_codes() if country != responsible]
    to_country = st.selectbox(
        _("Hand the case to the officers of"),
        countries,
        index=None,
        placeholder=_("Choose a country"),
        format_func=country_name,
        key=f"transfer_country_{code}",
    )
    note = st.text_area(
        _("Why, for the receiving officer"), max_chars=4000, key=f"transfer_note_{code}"
    )
    if st.button(_("Request the transfer"), key=f"transfer_request_{code}"):
        if not to_country:
            st.error(_("Choose the country to hand the case to."))
            return
        desk.save(
            lambda common: transfers.request_transfer(**common, to_country=to_country, note=note),
            _("Transfer requested."),
        )


def _answer(desk: "CaseDesk", pending: CaseTransfer) -> None:
    code = desk.code
    st.info(
        _("{country} asks your country to take over this case.").format(
            country=country_name(pending.from_country)
        )
    )
    if pending.note:
        st.text(pending.note)
    reason = st.text_input(_("Reason, if declined"), key=f"transfer_reason_{code}")
    accept_col, decline_col = st.columns(2)
    if accept_col.button(_("Accept the case"), key=f"transfer_accept_{code}"):
        _save_answer(desk, pending, True, reason, _("The case is now your country's."))
    if decline_col.button(_("Decline the transfer"), key=f"transfer_decline_{code}"):
        _save_answer(desk, pending, False, reason, _("Transfer declined."))


def _save_answer(
    desk: "CaseDesk", pending: CaseTransfer, accept: bool, reason: str, done: str
) -> None:
    def write(common: dict[str, Any]) -> CaseTransfer:
        return transfers.answer_transfer(
            **common, transfer_id=pending.id or 0, accept=accept, reason=reason
        )

    def stale() -> bool:
        # Answered between this run's read and the click's write: say by whom and when.
        return explain_outcome(desk.actor, desk.code, pending.id or 0, pressed=True)

    desk.save(write, done, on_stale=stale)
