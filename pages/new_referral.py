"""New referral: the consular officer's form that opens a case."""

from datetime import date

import streamlit as st
from pydantic import ValidationError

from models import ReferralCaseCreate
from models.enums import (
    AgeBand,
    ConsentScope,
    ExploitationType,
    Gender,
    Role,
    Service,
    Situation,
    Urgency,
)
from services import cases
from services.access import CASE_WORKERS, require_role
from services.errors import EnlaceError, PermissionDenied
from services.i18n import _
from services.labels import country_name, label, options
from services.runtime import clear_caches, current_actor, db_session

NOT_KNOWN = ""

actor = current_actor()
st.title(_("New referral"))
st.caption(
    _(
        "Record the minimum needed to help the person. Never write a full name: use an "
        "alias or initials."
    )
)

try:
    require_role(actor, CASE_WORKERS)
except PermissionDenied:
    st.error(_("Your role does not allow opening cases."))
    st.stop()

is_officer = actor.role == Role.officer
if is_officer and not actor.country:
    st.error(_("Your account has no country yet; ask an administrator to set it."))
    st.stop()
all_countries = cases.country_codes()


def _country_or_unknown(code: str) -> str:
    return _("Not known") if code == NOT_KNOWN else f"{country_name(code)} ({code})"


with st.form("new_referral", clear_on_submit=False):
    st.subheader(_("Where and when"))
    if is_officer:
        reporting_country = actor.country
        st.text_input(_("Reporting country"), value=country_name(reporting_country), disabled=True)
    else:
        reporting_country = st.selectbox(
            _("Reporting country"),
            all_countries,
            index=all_countries.index(actor.country) if actor.country in all_countries else None,
            format_func=_country_or_unknown,
            placeholder=_("Choose a country"),
        )
    consular_post = st.text_input(_("Consular post"), max_chars=120)
    identified_on = st.date_input(_("Identified on"), value="today", max_value=date.today())
    identified_place = st.text_input(_("Place identified"), max_chars=200)

    st.subheader(_("The person"))
    person_alias = st.text_input(
        _("Alias or initials"),
        max_chars=40,
        help=_("Never the person's full name."),
    )
    gender = st.selectbox(
        _("Gender"),
        options(Gender),
        index=options(Gender).index(Gender.NonSpecifiedUnknown),
        format_func=label,
    )
    age_band = st.selectbox(
        _("Age band"),
        [NOT_KNOWN, *options(AgeBand)],
        format_func=lambda band: _("Not known") if band == NOT_KNOWN else band,
    )
    is_minor = st.checkbox(_("Minor (under 18)"))
    citizenship = st.selectbox(
        _("Citizenship"), [NOT_KNOWN, *all_countries], format_func=_country_or_unknown
    )

    st.subheader(_("Assessment"))
    situation = st.selectbox(
        _("Suspected situation"),
        options(Situation),
        index=options(Situation).index(Situation.undetermined),
        format_func=label,
    )
    exploitation_types = st.multiselect(
        _("Types of exploitation"), options(ExploitationType), format_func=label
    )
    urgency = st.selectbox(
        _("Urgency"),
        options(Urgency),
        index=options(Urgency).index(Urgency.medium),
        format_func=label,
        help=_("A minor's case is always of high urgency."),
    )
    needs = st.multiselect(_("Needs"), options(Service), format_func=label)

    st.subheader(_("Consent"))
    consent_given = st.checkbox(_("The person gave consent"))
    consent_date = st.date_input(_("Consent date"), value=None, max_value=date.today())
    consent_scope = st.multiselect(_("Consent scope"), options(ConsentScope), format_func=label)

    submitted = st.form_submit_button(_("Open the case"), type="primary")

if submitted:
    form = {
        "reporting_country": reporting_country,
        "consular_post": consular_post,
        "identified_on": identified_on,
        "identified_place": identified_place,
        "person_alias": person_alias,
        "gender": gender,
        "age_band": age_band or None,
        "is_minor": is_minor,
        "citizenship": citizenship or None,
        "situation": situation,
        "exploitation_types": exploitation_types,
        "urgency": urgency,
        "needs": needs,
        "consent_given": consent_given,
        "consent_date": consent_date,
        "consent_scope": consent_scope,
    }
    try:
        case_in = ReferralCaseCreate.model_validate(form)
        with db_session() as session:
            case = cases.create_case(session=session, actor=actor, case_in=case_in)
    except ValidationError as error:
        st.error(_("The case was not saved. Please correct:"))
        for message in cases.validation_messages(error):
            st.error(message)
    except PermissionDenied:
        st.error(_("You may only open cases for your own country."))
    except EnlaceError:
        st.error(_("The case could not be saved. Please try again."))
    else:
        clear_caches()
        st.success(_("Case {code} opened.").format(code=case.case_code))
