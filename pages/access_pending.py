"""Signed in, but without an active account: say so, and show nothing else."""

import streamlit as st

from services.platform.i18n import _

reason, email = st.session_state.get("access_outcome", ("unknown", None))

st.title(_("Access pending"))
if reason == "no_email":
    st.warning(
        _(
            "Your sign-in provider did not send an email address, so Enlace cannot tell who "
            "you are. Ask your administrator to check the provider's settings."
        )
    )
elif reason == "unverified":
    st.warning(
        _(
            "Your email address is not verified by your sign-in provider. Verify it, then sign "
            "in again."
        )
    )
elif reason == "inactive":
    st.info(_("Your account has been deactivated. An administrator can restore it."))
else:
    st.info(
        _(
            "You are signed in, but you do not have access to Enlace yet. Your request has "
            "been recorded: an administrator will give you a role."
        )
    )
if email:
    st.caption(_("Signed in as"))
    st.text(email)
