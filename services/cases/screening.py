"""The course's screening guide: which situation the indicators an officer saw point to, and
why, in words (pure: no database, no Streamlit).

The indicator sets are the course's: UNODC's human-trafficking indicators as the three
elements of the Palermo Protocol's definition (an act, by a means, for a purpose of
exploitation), the ILO's eleven indicators of forced labour, the markers of migrant smuggling
and those of a labour-rights violation. The codes (models.enums.ScreeningIndicator) are
stored with the case; the ILO's are the same codes as the case's "Indicators observed".
What a tick fills in on the case form (and is saved with the case) is CASE_FIELDS.

The rules, as taught:
- trafficking needs an act, a means and a purpose; for a minor no means is needed;
- migrant smuggling: the person agreed to be moved across a border irregularly, and there is
  no sign of exploitation or coercion (the relationship ends at arrival, once the fee is paid);
- a labour-rights violation: labour indicators without any means of coercion (the person can
  leave and keeps their documents).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from models.enums import ExploitationType, Indicator, MethodOfControl, Situation
from models.enums import ScreeningIndicator as Code
from services.platform import labels
from services.platform.i18n import N_, _


@dataclass(frozen=True)
class Group:
    """One set of indicators of the guide, shown together."""

    key: str
    title: str  # marked with N_: translated when shown
    help: str
    codes: tuple[Code, ...]


ACT = (
    Code.act_recruitment,
    Code.act_transport,
    Code.act_transfer,
    Code.act_harbouring,
    Code.act_receipt,
)
MEANS = (
    Code.means_force_threats,
    Code.means_coercion,
    Code.means_abduction,
    Code.means_fraud_deception,
    Code.means_abuse_of_power,
    Code.means_payments_to_controller,
)
PURPOSE = (
    Code.purpose_sexual_exploitation,
    Code.purpose_forced_labour,
    Code.purpose_slavery_servitude,
    Code.purpose_forced_begging_crime,
    Code.purpose_forced_marriage,
    Code.purpose_organ_removal,
)
# The ILO's indicators that are a means of coercion (the menace of a penalty, involuntariness)
ILO_COERCION = (
    Code.abuse_of_vulnerability,
    Code.deception,
    Code.restriction_of_movement,
    Code.isolation,
    Code.physical_sexual_violence,
    Code.intimidation_threats,
    Code.retention_of_identity_documents,
    Code.withholding_of_wages,
    Code.debt_bondage,
)
# ...and those that, on their own, describe bad working conditions.
ILO_CONDITIONS = (Code.abusive_conditions, Code.excessive_overtime)
ILO = ILO_COERCION + ILO_CONDITIONS
SMUGGLING = (
    Code.smuggling_consent,
    Code.smuggling_irregular_crossing,
    Code.smuggling_ends_at_arrival,
)
LABOUR = (
    Code.labour_unpaid_wages,
    Code.labour_excessive_hours,
    Code.labour_unsafe_conditions,
    Code.labour_no_contract,
)

GROUPS: tuple[Group, ...] = (
    Group(
        "act",
        N_("Trafficking — the act (UNODC)"),
        N_("What was done to the person."),
        ACT,
    ),
    Group(
        "means",
        N_("Trafficking — the means (UNODC)"),
        N_("How it was done. Not needed when the person is a minor."),
        MEANS,
    ),
    Group(
        "purpose",
        N_("Trafficking — the purpose of exploitation (UNODC)"),
        N_("What it was done for, even if the exploitation has not happened yet."),
        PURPOSE,
    ),
    Group(
        "ilo",
        N_("The ILO's eleven indicators of forced labour"),
        N_("Signs of work the person cannot refuse or leave."),
        ILO,
    ),
    Group(
        "smuggling",
        N_("Migrant smuggling"),
        N_("A service the person agreed to and paid for, to cross a border."),
        SMUGGLING,
    ),
    Group(
        "labour",
        N_("Labour-rights violations"),
        N_("Bad working conditions, without coercion: the person can quit."),
        LABOUR,
    ),
)

# English labels of the guide's own codes (the ILO's are the case's indicator labels); the
# timeline, exports and the audit log show them through services.platform.labels.label.
LABELS: dict[str, str] = {
    Code.act_recruitment: N_("Recruitment"),
    Code.act_transport: N_("Transport"),
    Code.act_transfer: N_("Transfer"),
    Code.act_harbouring: N_("Harbouring (housing or hiding the person)"),
    Code.act_receipt: N_("Receipt of the person"),
    Code.means_force_threats: N_("Threat or use of force"),
    Code.means_coercion: N_("Other forms of coercion"),
    Code.means_abduction: N_("Abduction"),
    Code.means_fraud_deception: N_("Fraud or deception"),
    Code.means_abuse_of_power: N_("Abuse of power or of a position of vulnerability"),
    Code.means_payments_to_controller: N_(
        "Payments or benefits to someone who has control over the person"
    ),
    Code.purpose_sexual_exploitation: N_("Sexual exploitation"),
    Code.purpose_forced_labour: N_("Forced labour or services"),
    Code.purpose_slavery_servitude: N_("Slavery, practices similar to slavery, servitude"),
    Code.purpose_forced_begging_crime: N_("Forced begging or forced criminal activities"),
    Code.purpose_forced_marriage: N_("Forced marriage"),
    Code.purpose_organ_removal: N_("Removal of organs"),
    Code.smuggling_consent: N_("The person agreed to be taken across the border"),
    Code.smuggling_irregular_crossing: N_("The border was crossed irregularly"),
    Code.smuggling_ends_at_arrival: N_(
        "The relationship with the smuggler ended at arrival (the fee was paid)"
    ),
    Code.labour_unpaid_wages: N_("Wages unpaid or below the minimum"),
    Code.labour_excessive_hours: N_("Working hours over the legal limit"),
    Code.labour_unsafe_conditions: N_("Unsafe or unhealthy working conditions"),
    Code.labour_no_contract: N_("No contract or social security"),
}
labels.LABELS.update({str(code): text for code, text in LABELS.items()})


# What each guide code fills in on the case form when ticked, as (field, code) pairs; the one
# place that says which guide indicator has a counterpart on the case and which has none.
# - "Indicators observed" (`indicators`) keeps the ILO's eleven under the guide's own codes.
#   HTCDS 2.0 has no indicator field (the exports name it enl_Indicators, an extension).
# - Where HTCDS 2.0 has the very same thing, its value too: vic_MethodsOfControl ("Means of
#   control", `means_of_control`) and vic_TypeOfExploitation ("Types of exploitation",
#   `exploitation_types`).
# - () : no counterpart, the code stays in the guide only. Either HTCDS has no such value (the
#   act, isolation, restriction of movement, abuse of vulnerability, bad conditions, smuggling
#   and labour-rights markers), or the guide's one code stands for several of its values and
#   the officer must choose (threats: physical, of the police, against the family; violence:
#   physical or sexual; wages: taken or access to money restricted; begging or crime).
INDICATORS = "indicators"
MEANS_OF_CONTROL = "means_of_control"
EXPLOITATION_TYPES = "exploitation_types"
CASE_FIELDS: dict[Code, tuple[tuple[str, str], ...]] = {
    Code.act_recruitment: (),
    Code.act_transport: (),
    Code.act_transfer: (),
    Code.act_harbouring: (),
    Code.act_receipt: (),
    Code.means_force_threats: (),
    Code.means_coercion: (),
    Code.means_abduction: (),
    Code.means_fraud_deception: ((MEANS_OF_CONTROL, MethodOfControl.FalsePromises),),
    Code.means_abuse_of_power: (),
    Code.means_payments_to_controller: (),
    Code.purpose_sexual_exploitation: ((EXPLOITATION_TYPES, ExploitationType.SexualExploitation),),
    Code.purpose_forced_labour: ((EXPLOITATION_TYPES, ExploitationType.ForcedLabour),),
    Code.purpose_slavery_servitude: ((EXPLOITATION_TYPES, ExploitationType.Servitude),),
    Code.purpose_forced_begging_crime: (),
    Code.purpose_forced_marriage: ((EXPLOITATION_TYPES, ExploitationType.ForcedMarriage),),
    Code.purpose_organ_removal: ((EXPLOITATION_TYPES, ExploitationType.OrganRemoval),),
    Code.abuse_of_vulnerability: ((INDICATORS, Indicator.abuse_of_vulnerability),),
    Code.deception: (
        (INDICATORS, Indicator.deception),
        (MEANS_OF_CONTROL, MethodOfControl.FalsePromises),
    ),
    Code.restriction_of_movement: ((INDICATORS, Indicator.restriction_of_movement),),
    Code.isolation: ((INDICATORS, Indicator.isolation),),
    Code.physical_sexual_violence: ((INDICATORS, Indicator.physical_sexual_violence),),
    Code.intimidation_threats: ((INDICATORS, Indicator.intimidation_threats),),
    Code.retention_of_identity_documents: (
        (INDICATORS, Indicator.retention_of_identity_documents),
        (MEANS_OF_CONTROL, MethodOfControl.WithholdsDocuments),
    ),
    Code.withholding_of_wages: ((INDICATORS, Indicator.withholding_of_wages),),
    Code.debt_bondage: (
        (INDICATORS, Indicator.debt_bondage),
        (MEANS_OF_CONTROL, MethodOfControl.DebtBondage),
    ),
    Code.abusive_conditions: ((INDICATORS, Indicator.abusive_conditions),),
    Code.excessive_overtime: (
        (INDICATORS, Indicator.excessive_overtime),
        (MEANS_OF_CONTROL, MethodOfControl.ExcessiveWorkingHours),
    ),
    Code.smuggling_consent: (),
    Code.smuggling_irregular_crossing: (),
    Code.smuggling_ends_at_arrival: (),
    Code.labour_unpaid_wages: (),
    Code.labour_excessive_hours: (),
    Code.labour_unsafe_conditions: (),
    Code.labour_no_contract: (),
}
CARRIED_FIELDS = (INDICATORS, MEANS_OF_CONTROL, EXPLOITATION_TYPES)
_FIELD_CODES = {
    INDICATORS: tuple(Indicator),
    MEANS_OF_CONTROL: tuple(MethodOfControl),
    EXPLOITATION_TYPES: tuple(ExploitationType),
}


def carried_codes(guide_codes: Iterable[str]) -> dict[str, list[str]]:
    """The case form's codes the ticked guide codes stand for, per field, in the field's
    order (every field of CARRIED_FIELDS, empty when nothing is carried into it)."""
    wanted: dict[str, set[str]] = {name: set() for name in CARRIED_FIELDS}
    for code in known_codes(guide_codes):
        for name, value in CASE_FIELDS[code]:
            wanted[name].add(str(value))
    return {
        name: [code.value for code in _FIELD_CODES[name] if code.value in wanted[name]]
        for name in CARRIED_FIELDS
    }


def with_carried(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The case's indicators, means of control and types of exploitation with what its
    screening guide's ticks stand for added after what was there (nothing the officer chose is
    taken away); saved with the case so that a tick in the guide is not asked twice."""
    carried = carried_codes(str(code) for code in values.get("screening_indicators") or [])
    merged: dict[str, list[str]] = {}
    for name in CARRIED_FIELDS:
        chosen = [str(getattr(code, "value", code)) for code in values.get(name) or []]
        merged[name] = chosen + [code for code in carried[name] if code not in chosen]
    return merged


def indicator_label(code: str) -> str:
    """The indicator's label in the reader's language."""
    return labels.label(code)


@dataclass(frozen=True)
class Suggestion:
    """Which situation the indicators point to, and why (sentences in the reader's language,
    made when `suggest` was called)."""

    situation: Situation
    reasons: tuple[str, ...]


def known_codes(codes: Iterable[str]) -> list[Code]:
    """The codes as indicators, in the guide's order; ValueError naming any unknown code."""
    given = [str(code) for code in codes]
    unknown = [code for code in given if code not in _CODES]
    if unknown:
        raise ValueError(
            "unknown screening indicator code(s): " + ", ".join(repr(code) for code in unknown)
        )
    return [code for code in Code if code.value in given]


_CODES = frozenset(code.value for code in Code)
# What the case keeps besides the ticked codes, derived by `derived` when it is saved.
DERIVED_FIELDS = ("initial_situation", "screening_suggestion")


def derived(values: Mapping[str, Any], *, initial: str | None) -> dict[str, str | None]:
    """The case's first classification (`initial` once known, else its situation unless "not
    yet determined") and the guide's suggestion (None without indicators), from the case's
    values (`screening_indicators`, `is_minor`, `situation`)."""
    indicators = [str(code) for code in values.get("screening_indicators") or []]
    suggestion = suggest(indicators, is_minor=bool(values.get("is_minor"))) if indicators else None
    situation = str(values.get("situation") or Situation.undetermined.value)
    first = initial or (situation if situation != Situation.undetermined.value else None)
    return {
        "initial_situation": first,
        "screening_suggestion": suggestion.situation.value if suggestion else None,
    }


def _listed(codes: Iterable[Code]) -> str:
    return ", ".join(indicator_label(code) for code in codes)


def _seen(ticked: list[Code], group: Iterable[Code]) -> list[Code]:
    members = set(group)
    return [code for code in ticked if code in members]


def suggest(indicators: Iterable[str], *, is_minor: bool = False) -> Suggestion:
    """The situation the ticked indicators point to, with the reasons in words."""
    ticked = known_codes(indicators)
    if not ticked:
        return Suggestion(Situation.undetermined, (_("No indicator is ticked yet."),))
    act = _seen(ticked, ACT)
    coercion = _seen(ticked, MEANS + ILO_COERCION)
    # The ILO's indicators describe work: with coercion, forced labour is the exploitation.
    purpose = _seen(ticked, PURPOSE) + (_seen(ticked, ILO) if coercion else [])
    smuggling = _seen(ticked, SMUGGLING)
    labour = _seen(ticked, LABOUR + ILO_CONDITIONS)

    if act and purpose and (coercion or is_minor):
        reasons = [_("An act: {items}.").format(items=_listed(act))]
        if coercion:
            reasons.append(_("A means: {items}.").format(items=_listed(coercion)))
        if is_minor:
            reasons.append(_("The person is a minor: no means is needed for trafficking."))
        reasons.append(_("A purpose of exploitation: {items}.").format(items=_listed(purpose)))
        reasons.append(_("Trafficking needs an act, a means and a purpose."))
        return Suggestion(Situation.trafficking, tuple(reasons))

    crossing = {Code.smuggling_consent, Code.smuggling_irregular_crossing} <= set(smuggling)
    if crossing and not purpose and not coercion:
        reasons = [
            _("The person agreed to be taken across the border, and it was crossed irregularly.")
        ]
        if Code.smuggling_ends_at_arrival in smuggling:
            reasons.append(_("The relationship with the smuggler ended at arrival."))
        reasons.append(_("No sign of exploitation or coercion: smuggling, not trafficking."))
        if labour:
            reasons.append(
                _("There are also labour indicators ({items}): refer to labour inspection.").format(
                    items=_listed(labour)
                )
            )
        return Suggestion(Situation.migrant_smuggling, tuple(reasons))

    if labour and not coercion and not purpose:
        return Suggestion(
            Situation.labour_rights_violation,
            (
                _("Labour indicators: {items}.").format(items=_listed(labour)),
                _(
                    "No means of coercion is ticked: the person can leave and keeps their "
                    "documents, so this is a labour-rights violation, not forced labour."
                ),
            ),
        )
    return Suggestion(Situation.undetermined, tuple(_missing(act, coercion, purpose, smuggling)))


def _missing(
    act: list[Code], coercion: list[Code], purpose: list[Code], smuggling: list[Code]
) -> list[str]:
    """Why the indicators do not point to one situation yet: what is seen, what is missing."""
    reasons = []
    if act:
        reasons.append(_("An act: {items}.").format(items=_listed(act)))
    if coercion:
        reasons.append(_("A means: {items}.").format(items=_listed(coercion)))
    if purpose:
        reasons.append(_("A purpose of exploitation: {items}.").format(items=_listed(purpose)))
    if (coercion or purpose) and not act:
        reasons.append(
            _(
                "No act is ticked: ask how the person was recruited, moved, housed or received "
                "before concluding trafficking."
            )
        )
    if act and not purpose:
        reasons.append(_("No purpose of exploitation is ticked: trafficking needs one."))
    if act and purpose and not coercion:
        reasons.append(_("No means is ticked: for an adult, trafficking needs one."))
    if smuggling and (coercion or purpose):
        reasons.append(
            _("Smuggling markers together with signs of exploitation: screen for trafficking.")
        )
    elif smuggling:
        reasons.append(
            _("Smuggling needs both the person's consent and an irregular border crossing.")
        )
    if not reasons:
        reasons.append(_("The indicators ticked do not point to one situation yet."))
    return reasons
