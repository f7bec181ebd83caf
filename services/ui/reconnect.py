"""What a person sees after their server died and the proxy sent their browser to another
replica (issue 18): Streamlit reconnects without a word, so the app says it, until read."""

import streamlit as st

from services.platform.i18n import _

RECONNECTED = "enlace_reconnected_elsewhere"


def remember(reconnected: bool) -> None:
    """Keep the fact for the notice (the reconnection's own run may be followed at once by
    the click that was waiting)."""
    if reconnected:
        st.session_state[RECONNECTED] = True


def notice() -> None:
    """The notice above the page, until the person dismisses it."""
    if not st.session_state.get(RECONNECTED):
        return
    st.warning(
        _(
            "The connection to the server was lost and you are now on another one, still "
            "signed in. Everything that was saved is kept. Anything you had typed or uploaded "
            "but not yet saved was not received: check the form and send it again."
        ),
        icon=":material/sync_problem:",
    )
    st.button(
        _("Understood"),
        key="reconnected_understood",
        on_click=st.session_state.pop,
        args=(RECONNECTED, None),
    )
