"""Admin: accounts and roles, access requests, organisations, audit log."""

import streamlit as st

from models import OrganisationCreate, OrganisationUpdate
from models.enums import OrgType, Service
from services.cases import board, organisations, retention
from services.platform.errors import Conflict, NotFound
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, label, options
from services.ui import runtime, widget_text
from services.ui.admin_accounts import show_accounts
from services.ui.admin_audit import show_audit_log
from services.ui.admin_requests import show_access_requests
from services.ui.feedback import save_and_report, show_error
from services.ui.runtime import current_actor, db_session, run_service
from services.ui.tables import show_table

actor = current_actor()
st.title(_("Admin"))


tab_users, tab_requests, tab_orgs, tab_audit, tab_erasure = st.tabs(
    [
        _("Users & roles"),
        _("Access requests"),
        _("Organisations"),
        _("Audit log"),
        _("Erase case data"),
    ]
)

with tab_users:
    show_accounts(actor)

with tab_requests:
    show_access_requests(actor)

with tab_orgs:
    with db_session() as session:
        directory = board.list_organisations(session=session, actor=actor)
    show_table(
        [
            {
                _("Name"): o.name,
                _("Type"): label(o.org_type),
                _("Country"): o.country,
                _("City"): o.city,
                _("Services"): ", ".join(label(s) for s in o.services),
                _("Days to answer"): o.response_days,
            }
            for o in directory
        ]
    )

    st.subheader(_("Add an organisation"))
    with st.form("add_organisation", clear_on_submit=False):
        organisation = {
            "name": st.text_input(_("Name"), key="org_name"),
            "org_type": st.selectbox(
                _("Type"), options(OrgType), format_func=label, filter_mode=None, key="org_type"
            ),
            # Any country: a partner may work where the person was exploited.
            "country": st.selectbox(
                _("Country"),
                country_codes(),
                index=None,
                placeholder=_("Choose a country"),
                format_func=country_name,
                key="org_country",
            ),
            "city": st.text_input(_("City"), key="org_city"),
            "services": st.multiselect(
                _("Services"),
                options(Service),
                format_func=label,
                placeholder=widget_text.placeholder(options(Service), multiple=True),
                filter_mode=None,
                key="org_services",
            ),
            "contact": st.text_input(_("Contact"), key="org_contact"),
        }
        if st.form_submit_button(_("Add organisation"), type="primary"):
            save_and_report(
                lambda: run_service(
                    organisations.add_organisation,
                    actor=actor,
                    organisation_in=OrganisationCreate(**organisation),
                ),
                lambda added: _("Organisation added: {name}").format(name=added.name),
            )

    # A referral waiting for an organisation's answer is due after its response period.
    st.subheader(_("Days an organisation has to answer a referral"))
    with st.form("organisation_response_days", clear_on_submit=False):
        chosen = st.selectbox(
            _("Organisation"),
            directory,
            index=None,
            placeholder=_("Choose an organisation"),
            format_func=lambda o: f"{o.name} ({o.country}) · {o.response_days}",
            key="org_response_organisation",
        )
        days = st.number_input(
            _("Days to answer"), min_value=1, max_value=365, value=10, key="org_response_days"
        )
        submitted = st.form_submit_button(_("Save the response period"))
        if submitted and chosen is None:
            st.error(_("Choose the organisation whose period you are changing."))
        elif submitted and chosen is not None:
            save_and_report(
                lambda: run_service(
                    organisations.update_organisation,
                    actor=actor,
                    organisation_id=chosen.id,
                    organisation_in=OrganisationUpdate(response_days=int(days)),
                ),
                lambda saved: _("{name} now has {days} days to answer a referral.").format(
                    name=saved.name, days=saved.response_days
                ),
            )

with tab_audit:
    show_audit_log(actor)

with tab_erasure:
    st.caption(
        _(
            "At the person's request, remove a case's personal data: the alias, every free "
            "text and note, and exact dates (kept to the month). The statistics stay. This "
            "cannot be undone."
        )
    )
    with st.form("erase_case", clear_on_submit=False):
        erase_code = st.text_input(_("Case code"), placeholder="AR-2026-0007", key="erase_code")
        erase_reason = st.text_area(
            _("Reason for the erasure"),
            help=_("Who asked and how, without names or contact details."),
            max_chars=1000,
            key="erase_reason",
        )
        erase_confirmed = st.checkbox(
            _("I confirm: erase this case's personal data now."), key="erase_confirm"
        )
        erase = st.form_submit_button(_("Erase personal data"), type="primary", key="erase_submit")
    if erase:
        if not erase_confirmed:
            st.error(_("Tick the confirmation first: an erasure cannot be undone."))
        else:
            try:
                with db_session() as session:
                    erased = retention.erase_case(
                        session=session, actor=actor, case_code=erase_code, reason=erase_reason
                    )
            except NotFound:
                st.error(_("There is no case with this code."))
            except Conflict as error:
                show_error(error)
            else:
                runtime.clear_caches()
                st.success(
                    _(
                        "Personal data of case {code} erased: {fields} free-text fields "
                        "cleared, {notes} notes and {reasons} referral reasons removed, dates "
                        "kept to the month."
                    ).format(
                        code=erased.case_code,
                        fields=erased.done.fields_cleared,
                        notes=erased.done.notes_removed,
                        reasons=erased.done.referral_reasons_removed,
                    )
                )
