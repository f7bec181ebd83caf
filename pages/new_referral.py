"""New referral: the consular officer's form that opens a case.

Every widget has a key, so a failed submit keeps everything typed; the messages appear next
to the fields they are about. A saved case shows its code and a link to it on the board.
"""

from datetime import date

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from models.enums import (
    AgeBand,
    ConsentScope,
    ExploitationType,
    ForcedLabourIndustry,
    Gender,
    Indicator,
    MethodOfControl,
    Role,
    Service,
    Situation,
    TraffickingStatus,
    Urgency,
)
from services.cases import intake as cases
from services.platform.access import CASE_WORKERS, require_role
from services.platform.errors import Conflict, EnlaceError, PermissionDenied
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, label, options
from services.ui.feedback import show_error
from services.ui.runtime import clear_caches, current_actor, db_session

NOT_KNOWN = ""
PREFIX = "nr_"
CREATED = "nr_created_case"

actor = current_actor()
st.title(_("New referral"))
st.caption(
    _(
        "Record the minimum needed to help the person. No names, document numbers, phones, "
        "e-mails or street addresses anywhere: initials or a code for the person, roles (the "
        "employer, a co-worker) for others."
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
all_countries = country_codes()

created = st.session_state.pop(CREATED, None)
if created:
    st.success(_("Case {code} opened. It is on the board now.").format(code=created))
    st.page_link(
        "pages/board.py",
        label=_("Open {code} on the board").format(code=created),
        icon=":material/view_kanban:",
        query_params={"case": created},
    )


def _country_or_unknown(code: str) -> str:
    return _("Not known") if code == NOT_KNOWN else f"{country_name(code)} ({code})"


def _label_or_unknown(code: str) -> str:
    return _("Not known") if code == NOT_KNOWN else label(code)


def _checklist(field: str, title: str, codes: list[str], *, help: str | None = None) -> list[str]:
    """A multiple choice of codes, shown as toggles; returns the chosen codes in their order."""
    chosen = st.pills(
        title,
        codes,
        selection_mode="multi",
        format_func=label,
        help=help,
        key=f"{PREFIX}{field}",
    )
    return [code for code in codes if code in chosen]


slots: dict[str, DeltaGenerator] = {}


def _slot(field: str) -> None:
    """Where the message about `field` goes: right under its widget."""
    slots[field] = st.empty()


with st.form("new_referral", clear_on_submit=False):
    st.subheader(_("Where and when"))
    if is_officer:
        reporting_country = actor.country
        st.text_input(
            _("Reporting country"),
            value=country_name(reporting_country),
            disabled=True,
            key=f"{PREFIX}reporting_country_shown",
        )
    else:
        reporting_country = st.selectbox(
            _("Reporting country"),
            all_countries,
            index=all_countries.index(actor.country) if actor.country in all_countries else None,
            format_func=_country_or_unknown,
            placeholder=_("Choose a country"),
            key=f"{PREFIX}reporting_country",
        )
    _slot("reporting_country")
    post_col, place_col = st.columns(2)
    with post_col:
        consular_post = st.text_input(
            _("Consular post"), max_chars=120, key=f"{PREFIX}consular_post"
        )
        _slot("consular_post")
    with place_col:
        identified_place = st.text_input(
            _("Place identified"),
            max_chars=200,
            help=_("Where the person was met: the consulate, a hospital, a workplace..."),
            key=f"{PREFIX}identified_place",
        )
        _slot("identified_place")
    identified_on = st.date_input(
        _("Identified on"), value="today", max_value=date.today(), key=f"{PREFIX}identified_on"
    )
    _slot("identified_on")

    st.subheader(_("The person"))
    alias_col, gender_col = st.columns(2)
    with alias_col:
        person_alias = st.text_input(
            _("Alias or initials"),
            max_chars=40,
            help=_("Initials or a code such as M.G. or P-07, never a name."),
            placeholder="M.G.",
            key=f"{PREFIX}person_alias",
        )
        _slot("person_alias")
    with gender_col:
        gender = st.selectbox(
            _("Gender"),
            options(Gender),
            index=options(Gender).index(Gender.NonSpecifiedUnknown),
            format_func=label,
            key=f"{PREFIX}gender",
        )
        _slot("gender")
    age_col, minor_col = st.columns(2)
    with age_col:
        age_band = st.selectbox(
            _("Age band"),
            [NOT_KNOWN, *options(AgeBand)],
            format_func=lambda band: _("Not known") if band == NOT_KNOWN else band,
            key=f"{PREFIX}age_band",
        )
        _slot("age_band")
    with minor_col:
        is_minor = st.checkbox(
            _("Minor (under 18)"),
            help=_("A minor's case is always of high urgency."),
            key=f"{PREFIX}is_minor",
        )
        _slot("is_minor")
    citizenship_col, language_col = st.columns(2)
    with citizenship_col:
        citizenship = st.selectbox(
            _("Citizenship"),
            [NOT_KNOWN, *all_countries],
            format_func=_country_or_unknown,
            key=f"{PREFIX}citizenship",
        )
        _slot("citizenship")
    with language_col:
        primary_language = st.text_input(
            _("Primary language"), max_chars=40, key=f"{PREFIX}primary_language"
        )
        _slot("primary_language")

    st.subheader(_("Assessment"))
    with st.expander(_("Trafficking, smuggling or a labour-rights violation?")):
        st.text(
            _(
                "Human trafficking: the person was recruited, moved or held by deception, "
                "threats, force or abuse of their vulnerability, in order to exploit them "
                "(work, sex, begging, marriage...). They cannot leave freely. It can happen "
                "without crossing a border."
            )
        )
        st.text(
            _(
                "Migrant smuggling: the person paid to be helped across a border irregularly "
                "and is free once there. It is a crime against the state's borders; it becomes "
                "trafficking if exploitation, deception or control follows."
            )
        )
        st.text(
            _(
                "Labour-rights violation: unpaid wages, long hours or bad conditions, but the "
                "person can quit and keeps their documents. Refer to labour inspection; watch "
                "for the indicators below, which point to forced labour."
            )
        )
    situation_col, status_col = st.columns(2)
    with situation_col:
        situation = st.selectbox(
            _("Suspected situation"),
            options(Situation),
            index=options(Situation).index(Situation.undetermined),
            format_func=label,
            key=f"{PREFIX}situation",
        )
        _slot("situation")
    with status_col:
        trafficking_status = st.selectbox(
            _("Trafficking status"),
            [NOT_KNOWN, *options(TraffickingStatus)],
            format_func=_label_or_unknown,
            key=f"{PREFIX}trafficking_status",
        )
        _slot("trafficking_status")
    exploitation_types = _checklist(
        "exploitation_types", _("Types of exploitation"), options(ExploitationType)
    )
    _slot("exploitation_types")
    forced_labour_industries = _checklist(
        "forced_labour_industries",
        _("Forced-labour industries"),
        options(ForcedLabourIndustry),
        help=_("Textile workshops are Manufacturing; domestic work is Households as employers."),
    )
    _slot("forced_labour_industries")
    means_of_control = _checklist(
        "means_of_control", _("Means of control"), options(MethodOfControl)
    )
    _slot("means_of_control")
    indicators = _checklist("indicators", _("Indicators observed"), options(Indicator))
    _slot("indicators")
    exploitation_country = st.selectbox(
        _("Country of exploitation"),
        [NOT_KNOWN, *all_countries],
        format_func=_country_or_unknown,
        key=f"{PREFIX}exploitation_country",
    )
    _slot("exploitation_country")

    st.subheader(_("Consent"))
    consent_given = st.checkbox(_("The person gave consent"), key=f"{PREFIX}consent_given")
    _slot("consent_given")
    consent_date = st.date_input(
        _("Consent date"), value=None, max_value=date.today(), key=f"{PREFIX}consent_date"
    )
    _slot("consent_date")
    consent_scope = _checklist("consent_scope", _("Consent scope"), options(ConsentScope))
    _slot("consent_scope")

    st.subheader(_("Urgency and first needs"))
    urgency = st.selectbox(
        _("Urgency"),
        options(Urgency),
        index=options(Urgency).index(Urgency.medium),
        format_func=label,
        help=_("A minor's case is always of high urgency."),
        key=f"{PREFIX}urgency",
    )
    _slot("urgency")
    needs = _checklist("needs", _("Needs"), options(Service))
    _slot("needs")

    submitted = st.form_submit_button(_("Open the case"), type="primary", key=f"{PREFIX}submit")
form_message = st.empty()

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
        "primary_language": primary_language,
        "situation": situation,
        "trafficking_status": trafficking_status or None,
        "exploitation_types": exploitation_types,
        "forced_labour_industries": forced_labour_industries,
        "means_of_control": means_of_control,
        "indicators": indicators,
        "exploitation_country": exploitation_country or None,
        "consent_given": consent_given,
        "consent_date": consent_date,
        "consent_scope": consent_scope,
        "urgency": urgency,
        "needs": needs,
    }
    case_in, errors = cases.validate_new_case(form)
    if errors:
        form_message.error(_("The case was not saved. Please correct the fields marked below."))
        for field, message in errors.items():
            if field in slots:
                slots[field].error(message)
            else:
                st.error(message)
    else:
        try:
            with db_session() as session:
                case = cases.create_case(session=session, actor=actor, case_in=case_in)
        except PermissionDenied:
            form_message.error(_("You may only open cases for your own country."))
        except Conflict as error:
            show_error(error, form_message)
        except EnlaceError:
            form_message.error(_("The case could not be saved. Please try again."))
        else:
            clear_caches()
            # Empty the form for the next person; the code stays on screen with its link.
            for key in [key for key in st.session_state if str(key).startswith(PREFIX)]:
                del st.session_state[key]
            st.session_state[CREATED] = case.case_code
            st.rerun()
