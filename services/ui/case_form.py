"""The case form: one set of widgets for opening a case (New referral) and for editing its
assessment (the board's "Edit assessment" tab).

Every widget has a key (`CaseForm.key`), so a failed submit keeps everything typed; each
field's message appears right under its widget (`CaseForm.show_errors`). The page owns the
`st.form` and its submit button, and sends the values to its service.
"""

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import streamlit as st
from streamlit.delta_generator import DeltaGenerator

from models import UserAccount, enums
from services.cases import screening
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, label, options
from services.ui.screening_guide import screening_guide

NOT_KNOWN = ""

# What the form of a new case starts from.
NEW_CASE: dict[str, Any] = {
    "consular_post": "",
    "identified_place": "",
    "identified_on": "today",
    "person_alias": "",
    "gender": enums.Gender.NonSpecifiedUnknown.value,
    "age_band": NOT_KNOWN,
    "is_minor": False,
    "citizenship": NOT_KNOWN,
    "primary_language": "",
    "situation": enums.Situation.undetermined.value,
    "trafficking_status": NOT_KNOWN,
    "exploitation_types": [],
    "forced_labour_industries": [],
    "means_of_control": [],
    "indicators": [],
    "exploitation_country": NOT_KNOWN,
    "consent_given": False,
    "consent_date": None,
    "consent_scope": [],
    "urgency": enums.Urgency.medium.value,
    "needs": [],
    "screening_indicators": [],
}


def _country_or_unknown(code: str) -> str:
    return _("Not known") if code == NOT_KNOWN else f"{country_name(code)} ({code})"


def _label_or_unknown(code: str) -> str:
    return _("Not known") if code == NOT_KNOWN else label(code)


def _band_or_unknown(band: str) -> str:
    return _("Not known") if band == NOT_KNOWN else band


@dataclass
class CaseForm:
    """The widgets of one case form: `key(field)` names each widget, `start` holds the values
    the form starts from (NEW_CASE, or the case as it was), `slots` where each field's
    message goes."""

    key: Callable[[str], str]
    start: Mapping[str, Any]
    slots: dict[str, DeltaGenerator] = field(default_factory=dict)
    values: dict[str, Any] = field(default_factory=dict)

    def slot(self, name: str, value: Any) -> Any:
        """Keep the field's value, and where its message goes: right under its widget."""
        self.values[name] = value
        self.slots[name] = st.empty()
        return value

    def text(self, name: str, title: str, *, max_chars: int, **extra: Any) -> str:
        return self.slot(  # type: ignore[no-any-return]
            name,
            st.text_input(
                title, value=self.start[name], max_chars=max_chars, key=self.key(name), **extra
            ),
        )

    def choice(
        self, name: str, title: str, choices: list[str], show: Callable[[str], str], **extra: Any
    ) -> Any:
        """One of `choices`; the "not known" choice ("") is kept as None."""
        start = self.start[name] if self.start[name] is not None else NOT_KNOWN
        chosen = st.selectbox(
            title,
            choices,
            index=choices.index(start) if start in choices else 0,
            format_func=show,
            key=self.key(name),
            **extra,
        )
        return self.slot(name, chosen or None)

    def checklist(self, name: str, title: str, codes: list[str], **extra: Any) -> list[str]:
        """A multiple choice of codes, shown as toggles; keeps the chosen codes in order."""
        # Once set through session state (the screening guide's ticks), the widget's value is
        # there: no default besides it.
        default = [code for code in self.start[name] or [] if code in codes]
        chosen = st.pills(
            title,
            codes,
            selection_mode="multi",
            default=None if self.key(name) in st.session_state else default,
            format_func=label,
            key=self.key(name),
            **extra,
        )
        return self.slot(name, [code for code in codes if code in chosen])  # type: ignore[no-any-return]

    def tick(self, name: str, title: str, **extra: Any) -> bool:
        ticked = st.checkbox(title, value=bool(self.start[name]), key=self.key(name), **extra)
        return self.slot(name, ticked)  # type: ignore[no-any-return]

    def day(self, name: str, title: str) -> date | None:
        return self.slot(  # type: ignore[no-any-return]
            name,
            st.date_input(
                title, value=self.start[name], max_value=date.today(), key=self.key(name)
            ),
        )

    def show_errors(self, errors: Mapping[str, str]) -> None:
        """Each message under its field's widget; one about no widget here, on the page."""
        for name, message in errors.items():
            (self.slots[name] if name in self.slots else st).error(message)


def screening_section(form: CaseForm) -> None:
    """The optional screening guide (services/ui/screening_guide.py), drawn by the page just
    before its `st.form`, so that its suggestion follows each tick; its codes join the form's
    values as `screening_indicators`."""
    chosen, message = screening_guide(form.key, form.start)
    form.values["screening_indicators"] = chosen
    form.slots["screening_indicators"] = message
    _carry_into_form(form, chosen)


def _carry_into_form(form: CaseForm, chosen: list[str]) -> None:
    """Pre-fill the form's indicators, means of control and types of exploitation from the
    guide's ticks (services/cases/screening.CASE_FIELDS): a new tick adds what it stands for,
    keeping what the officer chose; an untick takes away only what the guide itself added.

    The form's widgets are drawn after this, inside the page's `st.form`: their values are set
    here through session state, before they are drawn."""
    offered_key, added_key = form.key("screening_offered"), form.key("screening_added")
    offered = set(st.session_state.get(offered_key, []))
    added: dict[str, list[str]] = dict(st.session_state.get(added_key, {}))
    new = screening.carried_codes([code for code in chosen if code not in offered])
    still = screening.carried_codes(chosen)
    for name in screening.CARRIED_FIELDS:
        key = form.key(name)
        current = list(st.session_state.get(key, form.start[name] or []))
        by_guide = added.get(name, [])
        gone = [code for code in by_guide if code not in still[name]]
        plus = [code for code in new[name] if code not in current]
        if gone or plus:
            st.session_state[key] = [code for code in current if code not in gone] + plus
        added[name] = [code for code in by_guide if code not in gone] + plus
    st.session_state[offered_key] = list(chosen)
    st.session_state[added_key] = added


def _from_the_guide(form: CaseForm, name: str) -> None:
    """Under a field the guide fills in: which of its codes come from the guide's ticks."""
    carried = screening.carried_codes(form.values.get("screening_indicators") or [])[name]
    if carried:
        st.caption(
            _(
                "From the screening guide: {items}. Saved with the case while ticked in the guide."
            ).format(items=", ".join(label(code) for code in carried))
        )


def _reporting_country(form: CaseForm, actor: UserAccount) -> None:
    """An officer reports for their own country; others choose one."""
    if actor.role == enums.Role.officer:
        st.text_input(
            _("Reporting country"),
            value=country_name(actor.country or ""),
            disabled=True,
            key=form.key("reporting_country_shown"),
        )
        form.slot("reporting_country", actor.country)
        return
    countries = country_codes()
    form.slot(
        "reporting_country",
        st.selectbox(
            _("Reporting country"),
            countries,
            index=countries.index(actor.country) if actor.country in countries else None,
            format_func=_country_or_unknown,
            placeholder=_("Choose a country"),
            key=form.key("reporting_country"),
        ),
    )


def _explain_the_situations() -> None:
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


def _side_by_side(left: Callable[[], object], right: Callable[[], object]) -> None:
    """Two fields in two columns."""
    for column, draw in zip(st.columns(2), (left, right), strict=True):
        with column:
            draw()


def case_fields(form: CaseForm, *, opened_by: UserAccount | None = None) -> dict[str, Any]:
    """Draw the case's fields (inside the page's `st.form`) and return their values.

    `opened_by`: the person opening a new case; only then are the reporting country and the
    day the person was identified asked (they never change afterwards)."""
    every_country = [NOT_KNOWN, *country_codes()]
    st.subheader(_("Where and when"))
    if opened_by is not None:
        _reporting_country(form, opened_by)
    _side_by_side(
        lambda: form.text("consular_post", _("Consular post"), max_chars=120),
        lambda: form.text(
            "identified_place",
            _("Place identified"),
            max_chars=200,
            help=_("Where the person was met: the consulate, a hospital, a workplace..."),
        ),
    )
    if opened_by is not None:
        form.day("identified_on", _("Identified on"))

    st.subheader(_("The person"))
    _side_by_side(
        lambda: form.text(
            "person_alias",
            _("Alias or initials"),
            max_chars=40,
            help=_("Initials or a code such as M.G. or P-07, never a name."),
            placeholder="M.G.",
        ),
        lambda: form.choice("gender", _("Gender"), options(enums.Gender), label, filter_mode=None),
    )
    _side_by_side(
        lambda: form.choice(
            "age_band",
            _("Age band"),
            [NOT_KNOWN, *options(enums.AgeBand)],
            _band_or_unknown,
            filter_mode=None,
        ),
        lambda: form.tick(
            "is_minor", _("Minor (under 18)"), help=_("A minor's case is always of high urgency.")
        ),
    )
    _side_by_side(
        lambda: form.choice("citizenship", _("Citizenship"), every_country, _country_or_unknown),
        lambda: form.text("primary_language", _("Primary language"), max_chars=40),
    )

    st.subheader(_("Assessment"))
    _explain_the_situations()
    _side_by_side(
        lambda: form.choice(
            "situation",
            _("Suspected situation"),
            options(enums.Situation),
            label,
            filter_mode=None,
        ),
        lambda: form.choice(
            "trafficking_status",
            _("Trafficking status"),
            [NOT_KNOWN, *options(enums.TraffickingStatus)],
            _label_or_unknown,
            filter_mode=None,
        ),
    )
    form.checklist(
        "exploitation_types", _("Types of exploitation"), options(enums.ExploitationType)
    )
    _from_the_guide(form, "exploitation_types")
    form.checklist(
        "forced_labour_industries",
        _("Forced-labour industries"),
        options(enums.ForcedLabourIndustry),
        help=_("Textile workshops are Manufacturing; domestic work is Households as employers."),
    )
    form.checklist("means_of_control", _("Means of control"), options(enums.MethodOfControl))
    _from_the_guide(form, "means_of_control")
    form.checklist("indicators", _("Indicators observed"), options(enums.Indicator))
    _from_the_guide(form, "indicators")
    form.choice(
        "exploitation_country", _("Country of exploitation"), every_country, _country_or_unknown
    )

    st.subheader(_("Consent"))
    form.tick("consent_given", _("The person gave consent"))
    form.day("consent_date", _("Consent date"))
    form.checklist("consent_scope", _("Consent scope"), options(enums.ConsentScope))

    st.subheader(_("Urgency and first needs"))
    form.choice(
        "urgency",
        _("Urgency"),
        options(enums.Urgency),
        label,
        help=_("A minor's case is always of high urgency."),
        filter_mode=None,
    )
    form.checklist("needs", _("Needs"), options(enums.Service))
    return form.values
