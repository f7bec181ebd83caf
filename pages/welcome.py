"""Signed out: what Enlace is, why the last sign-in did not work, and the sign-in button."""

import streamlit as st

from services.platform.i18n import _
from services.ui import runtime
from services.ui.server import FAILURE_PARAMETER

# Reasons a sign-in failed (services/ui/server.py), in plain words; never a secret.
SIGN_IN_FAILURES = {
    "unreachable": _(
        "Sign-in did not work: Enlace could not reach your organisation's sign-in service. "
        "It may be down or unreachable from this server. Try again in a few minutes; if it "
        "keeps happening, tell your administrator."
    ),
    "client": _(
        "Sign-in did not work: your organisation's sign-in service did not accept this "
        "server's registration (its client ID or secret). An administrator needs to check "
        "the server's sign-in settings."
    ),
    "denied": _(
        "Sign-in did not finish: it was cancelled, or the sign-in service refused it. You "
        "can try again."
    ),
    "provider": _(
        "Sign-in did not work: your organisation's sign-in service answered with an error. "
        "Try again; if it keeps happening, tell your administrator."
    ),
    "state": _(
        "Sign-in did not work: the answer from the sign-in service belonged to an old or "
        "different browser window, so it could not be trusted. Please try again from here."
    ),
}
SESSION_ENDED = {
    "expired": _("Your session has expired. Sign in again to continue."),
    "ended": _(
        "You are signed out: your session was ended (you signed out, or an administrator "
        "ended it). Sign in again to continue."
    ),
}

st.title(_("Enlace"))
st.subheader(_("Training, progress and case referrals against human trafficking"))
st.write(
    _(
        "Enlace supports the IOM and IPPDH programme that trains consular officers of South "
        "America to detect victims of human trafficking, assist them and coordinate across "
        "borders. Sign in with your organisation's account to continue."
    )
)

failure = st.query_params.get(FAILURE_PARAMETER)
if failure is not None:
    st.session_state["sign_in_failure"] = failure
    del st.query_params[FAILURE_PARAMETER]
failure = st.session_state.get("sign_in_failure")
ended = st.session_state.get("session_ended")
if failure:
    st.error(SIGN_IN_FAILURES.get(failure, SIGN_IN_FAILURES["provider"]), icon=":material/error:")
elif ended in SESSION_ENDED:
    st.info(SESSION_ENDED[ended], icon=":material/logout:")

provider = runtime.settings().auth_provider or None
problem = runtime.auth_problem()
if problem is None:
    if st.button(
        _("Try again") if failure else _("Sign in"),
        type="primary",
        icon=":material/login:",
        key="sign_in",
    ):
        st.session_state.pop("sign_in_failure", None)
        st.login(provider)
else:
    st.error(
        _(
            "Sign-in is not available: the server's sign-in settings need attention. "
            "An administrator can follow the README, section 'Sign-in'."
        )
    )
    st.text(problem)
