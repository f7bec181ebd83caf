"""Answering a referral from the receiving side: the partner's list of referrals addressed to
their organisation and the form that accepts, declines (with the reason) or completes one; on
the case page, which referrals the receiving country's officer answers.

The form remembers the state the partner saw; after their answer the page shows a fresh form
for the referral's new state, and a refused answer keeps what was typed.
"""

from dataclasses import replace

import pandas as pd
import streamlit as st

from models import ReferralUpdate, UserAccount
from models.enums import ReferralState
from services.cases import board, partner, workflow
from services.platform import formatting
from services.platform.errors import EnlaceError
from services.platform.i18n import _
from services.platform.labels import label, literal
from services.ui.feedback import show_error
from services.ui.runtime import clear_caches, run_service

FLASH = "partner_answer_flash"


def may_answer(party: str, actor: UserAccount, line: board.ReferralLine) -> bool:
    """Whether the case page offers an answer to this referral: the receiving country's
    officer answers only for the organisations of their country."""
    if party != workflow.Party.shared_officer:
        return True
    return line.cross_border_country == actor.country


def referrals_table(referrals: list[partner.PartnerReferral]) -> pd.DataFrame:
    """The partner's referrals: only what the service needs, never the person's alias."""
    return pd.DataFrame(
        [
            {
                _("Case"): line.case_code,
                _("Service"): label(line.service),
                _("Urgency"): label(line.urgency),
                _("Age band"): line.age_band or "—",
                _("Minor"): _("Yes") if line.is_minor else _("No"),
                _("Primary language"): line.primary_language or "—",
                _("Sent on"): formatting.date_text(line.sent_on),
                _("State"): label(line.state),
                _("Answered on"): formatting.date_text(line.answered_on),
                _("Reason, if declined"): line.decline_reason or "",
            }
            for line in referrals
        ]
    )


def referral_choice(line: partner.PartnerReferral) -> str:
    return " · ".join(
        [line.case_code, label(line.service), label(line.state), formatting.date_text(line.sent_on)]
    )


def show_flash() -> None:
    message = st.session_state.pop(FLASH, None)
    if message:
        st.success(literal(message))


def answer_form(actor: UserAccount, current: partner.PartnerReferral) -> None:
    """Accept, decline or complete one referral, from the state the partner saw when they
    began the form: if someone answered it meanwhile, the partner is told and keeps what they
    typed; after their own answer, the form starts afresh."""
    key = f"partner_answer_{current.id}"
    seen_key = f"{key}_seen"
    line = replace(current, state=st.session_state.setdefault(seen_key, current.state))
    with st.form(key):
        st.markdown(literal(referral_choice(line)))
        state = st.radio(
            _("Answer"), line.answers, format_func=label, horizontal=True, key=f"{key}_state"
        )
        reason = st.text_area(_("Reason, if declined"), max_chars=2000, key=f"{key}_reason")
        submitted = st.form_submit_button(_("Save the answer"), type="primary")
    if not submitted or state is None:
        return
    if state == ReferralState.declined.value and not reason.strip():
        st.error(_("Give the reason for declining the referral."))
        return
    try:
        answered = run_service(
            partner.answer_partner_referral,
            actor=actor,
            referral_id=line.id,
            answer=ReferralUpdate(state=ReferralState(state), decline_reason=reason or None),
            expected_state=line.state,
        )
    except EnlaceError as error:
        st.session_state[seen_key] = current.state
        show_error(error)
        return
    clear_caches()
    for name in (seen_key, f"{key}_state", f"{key}_reason"):
        st.session_state.pop(name, None)
    st.session_state[FLASH] = _("Referral {code} · {service}: {state}.").format(
        code=answered.case_code, service=label(answered.service), state=label(answered.state)
    )
    st.rerun()
