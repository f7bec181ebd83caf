"""The case page's transfer of responsibility: who is responsible, a request to hand the case
to another country, and the receiving officer's answer (services/cases/transfers.py).

Its widgets' keys start with `transfer_` and end with the case code, so the case desk forgets
them after the person's own save and keeps them after a refusal.
"""

from typing import TYPE_CHECKING, Any

import streamlit as st

from models import CaseTransfer
from models.enums import Role, TransferState
from services.cases import transfers, workflow
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

    desk.save(write, done)
