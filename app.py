"""Enlace: the router. Page config, sign-in gate, role-aware page list, then the page."""

import streamlit as st

from models import UserAccount, UserAccountUpdate
from models.enums import Language
from services.platform import formatting, users
from services.platform.access import pages_for
from services.platform.errors import PermissionDenied
from services.platform.formatting import get_time_zone, set_time_zone
from services.platform.i18n import LANGUAGES, _, get_language, set_language
from services.platform.labels import label
from services.platform.settings import ConfigurationError
from services.ui import reconnect, runtime, widget_text
from services.ui.server import FAILURE_PARAMETER

st.set_page_config(page_title="Enlace", page_icon=":material/diversity_3:", layout="wide")
runtime.start_run()  # cached reads ask for the data versions once in this run
reconnect.remember(runtime.arrived_from_another_server())

try:
    settings = runtime.settings()
except ConfigurationError as error:
    st.error(str(error))
    st.stop()


def _browser_language() -> str | None:
    """The browser's language if the app speaks it ("pt-BR" → "pt")."""
    tag = (st.context.locale or "").split("-")[0].lower()
    return tag if tag in LANGUAGES else None


def _apply_language(account: UserAccount | None = None) -> None:
    """The language for this run: the one chosen in this session, else the account's, else the
    browser's; the time zone of the account. Then what every page shows above it."""
    if account is not None and "language" not in st.session_state:
        st.session_state["language"] = str(account.preferred_language)
    language = st.session_state.get("language") or _browser_language()
    set_language(language or settings.default_language)
    set_time_zone(
        formatting.account_time_zone(account.time_zone, account.country) if account else None
    )
    widget_text.show_frontend_texts()
    if settings.demo_mode:
        st.warning(
            _("Demo sign-in: a local test provider signs people in. Do not enter real case data."),
            icon=":material/science:",
        )
    _language_picker(account)


def _language_picker(account: UserAccount | None) -> None:
    current = get_language()
    choice = st.sidebar.selectbox(
        _("Language"),
        list(LANGUAGES),
        index=list(LANGUAGES).index(current),
        format_func=LANGUAGES.__getitem__,
        filter_mode=None,
        key="language_picker",
    )
    if choice != current:
        st.session_state["language"] = choice
        if account is not None:  # kept for the next visit, whatever the browser says
            runtime.run_service(
                users.set_own_preferences,
                actor=account,
                preferences=UserAccountUpdate(preferred_language=Language(choice)),
            )
        st.rerun()


def _time_zone_picker(account: UserAccount) -> None:
    """The zone the person's times are shown in, kept on their account; until they choose
    one, their country's. (Options as names only: a translated option would change with
    the language under the widget's feet.)"""
    zones = formatting.time_zone_names()
    current = get_time_zone()
    if current not in zones:
        zones = [current, *zones]
    choice = st.sidebar.selectbox(
        _("Time zone"),
        zones,
        index=zones.index(current),
        help=_("Dates and times are shown in this zone; until you choose one, your country's."),
        key="time_zone_picker",
    )
    if choice != current:
        runtime.run_service(
            users.set_own_preferences,
            actor=account,
            preferences=UserAccountUpdate(time_zone=choice),
        )
        st.rerun()


def _sign_out(actor_id: int | None) -> None:
    if actor_id is not None:
        with runtime.db_session() as session:
            account = users.get_account(session, actor_id)
            if account is not None:
                users.record_sign_out(session, actor=account)
    st.session_state.clear()
    st.logout()


# Why the last identity stopped signing this browser in ("expired" or "ended").
SESSION_ENDED = "session_ended"


def _end_session(reason: str) -> None:
    """The cookie no longer signs anybody in: forget the run's state, keep the language."""
    language = st.session_state.get("language")
    st.session_state.clear()
    if language:
        st.session_state["language"] = language
    st.session_state[SESSION_ENDED] = reason
    st.session_state[runtime.SESSION_MARK] = True


# The [auth] secrets are checked on every run, on the signed-in path too: with a public or
# weak cookie secret any cookie could be forged, so nobody is signed in until it is fixed.
auth_problem = runtime.auth_problem()
user = st.user.to_dict() if auth_problem is None and st.user.get("is_logged_in") else {}

outcome = None
if user:
    first_run = st.session_state.get("signed_in_as") != user.get(settings.identity_claim)
    with runtime.db_session() as session:
        outcome = users.sign_in(session, claims=user, settings=settings, first_run=first_run)
    if outcome.reason in ("expired", "ended"):
        _end_session(outcome.reason)
        user = {}

if not user or outcome is None:
    st.session_state.pop(runtime.ACTOR_KEY, None)
    st.session_state.pop("signed_in_as", None)
    _apply_language()
    st.navigation([st.Page("pages/welcome.py", title=_("Welcome"), default=True)]).run()
    st.stop()

st.session_state.pop(SESSION_ENDED, None)
if FAILURE_PARAMETER in st.query_params:  # a failed new sign-in; the earlier one still holds
    del st.query_params[FAILURE_PARAMETER]
st.session_state["signed_in_as"] = user.get(settings.identity_claim)

actor = outcome.account
_apply_language(actor)
if actor is not None:
    _time_zone_picker(actor)
if actor is None:
    st.session_state.pop(runtime.ACTOR_KEY, None)
    st.session_state["access_outcome"] = (outcome.reason, outcome.email)
    st.sidebar.button(_("Sign out"), on_click=_sign_out, args=(None,), key="sign_out")
    st.navigation(
        [st.Page("pages/access_pending.py", title=_("Access pending"), default=True)]
    ).run()
    st.stop()

st.session_state[runtime.ACTOR_KEY] = actor
reconnect.notice()

with st.sidebar:
    st.caption(_("Signed in as"))
    st.text(
        f"{actor.display_name or actor.email}\n{label(actor.role)}"
        + (f" · {actor.country}" if actor.country else "")
    )
    st.button(
        _("Sign out"),
        on_click=_sign_out,
        args=(actor.id,),
        icon=":material/logout:",
        key="sign_out",
    )

page = st.navigation(
    [
        st.Page(spec.path, title=_(spec.title), icon=spec.icon, default=spec.key == "home")
        for spec in pages_for(actor)
    ]
)
try:
    page.run()
except PermissionDenied:
    # Services refuse what the role may not do, whatever the page shows; say so and audit it.
    with runtime.db_session() as session:
        users.record_denied(session, actor=actor, what=page.url_path or "home")
    st.error(_("Your role does not allow this. If you need it, ask an administrator."))
