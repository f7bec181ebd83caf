"""Admin, Access requests: each person who signed in without an account, granted (role,
country or organisation) or dismissed right there; nobody retypes an e-mail."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import streamlit as st
from pydantic import ValidationError

from models import AuditEvent, UserAccount
from models.enums import Language, Role
from services.cases import board
from services.platform import access_requests, formatting
from services.platform.errors import EnlaceError
from services.platform.i18n import LANGUAGES, N_, _, get_language
from services.platform.labels import country_codes, country_name, label, literal, options
from services.platform.validation import describe
from services.ui import runtime
from services.ui.feedback import show_error
from services.ui.runtime import db_session, run_service

OUTCOME_KEY = "access_request_outcome"
SHOWN = 50


def show_access_requests(actor: UserAccount) -> None:
    """The pending requests, newest first, one form each."""
    with db_session() as session:
        pending = access_requests.pending_requests(session=session, actor=actor)
        directory = board.list_organisations(session=session, actor=actor)
    listed = {request.id for request in pending[:SHOWN]}
    outcome = st.session_state.get(OUTCOME_KEY)
    if outcome is not None and outcome[0] not in listed:
        _show_outcome(outcome[0])  # done, or refused for a request gone from the list
    if not pending:
        st.info(_("No pending access requests."))
        return
    organisations = {o.id or 0: f"{o.name} ({country_name(o.country)})" for o in directory}
    if len(pending) > SHOWN:
        st.caption(
            _("The {shown} most recent of {total} requests.").format(
                shown=SHOWN, total=len(pending)
            )
        )
    for request in pending[:SHOWN]:
        _request_form(actor, request, organisations)


def _request_form(actor: UserAccount, request: AuditEvent, organisations: dict[int, str]) -> None:
    key = f"request_{request.id}"
    with st.form(key, clear_on_submit=False, border=True):
        st.markdown(f"**{literal(request.actor_email)}**")
        st.caption(_("Asked on {when}").format(when=formatting.datetime_text(request.created_at)))
        st.text_input(
            _("Name"),
            value=access_requests.requested_name(request),
            max_chars=200,
            key=f"{key}_name",
        )
        _choice(_("Role"), options(Role), f"{key}_role", label, _("Choose a role"), typing=False)
        countries, country_label = country_codes(), _("Country (required for officers)")
        _choice(country_label, countries, f"{key}_country", country_name, _("Choose a country"))
        _choice(
            _("Organisation (for partner organisations' staff)"),
            list(organisations),
            f"{key}_organisation",
            organisations.__getitem__,
            _("No organisation"),
        )
        st.selectbox(
            _("Language"),
            options(Language),
            index=options(Language).index(get_language()),
            format_func=LANGUAGES.__getitem__,
            filter_mode=None,
            key=f"{key}_language",
        )
        grant_column, dismiss_column = st.columns(2)
        # The writes run as callbacks, before the page is drawn again: a click from a tab
        # whose request was granted meanwhile still reaches the service, which refuses it.
        grant_column.form_submit_button(
            _("Grant access"),
            type="primary",
            key=f"{key}_grant",
            on_click=_grant,
            args=(actor, request),
        )
        dismiss_column.form_submit_button(
            _("Dismiss"), key=f"{key}_dismiss", on_click=_dismiss, args=(actor, request)
        )
        _show_outcome(request.id)


def _choice(
    title: str,
    values: list[Any],
    key: str,
    shown: Callable[[Any], str],
    empty: str,
    *,
    typing: bool = True,
) -> None:
    """A select that starts empty: nothing is granted by a default nobody chose. Without
    `typing`, a short list opens whole and cannot be filtered (no English "No results")."""
    st.selectbox(
        title,
        values,
        index=None,
        placeholder=empty,
        format_func=shown,
        filter_mode="fuzzy" if typing else None,
        key=key,
    )


def _grant(actor: UserAccount, request: AuditEvent) -> None:
    key = f"request_{request.id}"
    role = st.session_state.get(f"{key}_role")
    if role is None:
        st.session_state[OUTCOME_KEY] = (request.id, N_("Choose a role."))
        return
    _act(
        request,
        lambda: run_service(
            access_requests.grant_access,
            actor=actor,
            request_id=request.id,
            role=role,
            country=st.session_state.get(f"{key}_country"),
            organisation_id=st.session_state.get(f"{key}_organisation"),
            display_name=st.session_state.get(f"{key}_name") or "",
            language=st.session_state.get(f"{key}_language") or get_language(),
        ),
        Granted(email=request.actor_email, role=role),
    )


def _dismiss(actor: UserAccount, request: AuditEvent) -> None:
    _act(
        request,
        lambda: run_service(access_requests.dismiss_request, actor=actor, request_id=request.id),
        Granted(email=request.actor_email, role=None),
    )


def _act(request: AuditEvent, write: Callable[[], object], done: "Granted") -> None:
    """Run the write; keep what it did, or why it was refused, for the page to show (in the
    reader's language, which is set when the page runs, after this callback)."""
    try:
        write()
    except (ValidationError, EnlaceError) as error:
        st.session_state[OUTCOME_KEY] = (request.id, error)
    else:
        runtime.clear_caches()
        st.session_state[OUTCOME_KEY] = (None, done)


@dataclass(frozen=True)
class Granted:
    """A request granted (with the role) or dismissed (no role)."""

    email: str
    role: str | None


def _show_outcome(request_id: int | None, where: Any = None) -> None:
    """The last action's outcome, where it belongs: in its request's form, or above the list
    (a success, or a refusal of a request no longer listed)."""
    outcome = st.session_state.get(OUTCOME_KEY)
    if outcome is None or outcome[0] != request_id:
        return
    del st.session_state[OUTCOME_KEY]
    place = where or st
    what = outcome[1]
    if isinstance(what, Granted) and what.role is not None:
        message = _("Access granted: {email} can sign in now as {role}.")
        place.success(literal(message.format(email=what.email, role=label(what.role))))
    elif isinstance(what, Granted):
        place.success(literal(_("Request dismissed: {email}.").format(email=what.email)))
    elif isinstance(what, EnlaceError):
        show_error(what, place)
    elif isinstance(what, ValidationError):
        place.error(literal(describe(what)))
    else:
        place.error(_(what))
