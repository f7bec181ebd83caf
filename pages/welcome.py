"""Signed out: what Enlace is, and the sign-in button. Nothing else is visible."""

import streamlit as st

from services import runtime
from services.i18n import _

st.title(_("Enlace"))
st.subheader(_("Training, progress and case referrals against human trafficking"))
st.write(
    _(
        "Enlace supports the IOM and IPPDH programme that trains consular officers of South "
        "America to detect victims of human trafficking, assist them and coordinate across "
        "borders. Sign in with your organisation's account to continue."
    )
)

provider = runtime.settings().auth_provider or None
problem = runtime.auth_problem()
if problem is None:
    st.button(
        _("Sign in"),
        type="primary",
        icon=":material/login:",
        on_click=st.login,
        args=(provider,),
        key="sign_in",
    )
else:
    st.error(
        _(
            "Sign-in is not available: the server's sign-in settings need attention. "
            "An administrator can follow the README, section 'Sign-in'."
        )
    )
    st.text(problem)
