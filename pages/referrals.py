"""Referrals to my organisation: a partner's staff answer the referrals addressed to it."""

import streamlit as st

from services.cases import partner
from services.platform.errors import EnlaceError
from services.platform.i18n import _
from services.ui import referral_answers
from services.ui.feedback import show_error
from services.ui.runtime import current_actor, run_service
from services.ui.tables import show_frame

actor = current_actor()
st.title(_("Referrals to my organisation"))
referral_answers.show_flash()

try:
    referrals = run_service(partner.list_partner_referrals, actor=actor)
except EnlaceError as error:
    show_error(error)
    st.stop()

if not referrals:
    st.info(_("No referral has been sent to your organisation."))
    st.stop()

show_frame(referral_answers.referrals_table(referrals), width="stretch")

open_referrals = {line.id: line for line in referrals if line.answers}
st.subheader(_("Answer a referral"))
if not open_referrals:
    st.info(_("Every referral has been answered."))
    st.stop()
chosen = st.selectbox(
    _("Referral"),
    list(open_referrals),
    format_func=lambda referral_id: referral_answers.referral_choice(open_referrals[referral_id]),
    key="partner_referral",
)
referral_answers.answer_form(actor, open_referrals[chosen])
