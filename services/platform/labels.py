"""Translated labels for stored codes: `label(Stage.referred)` → "Referred" / "Derivado"."""

import gettext
import re
from collections.abc import Mapping
from enum import StrEnum
from functools import cache

import pycountry

from services.platform.i18n import N_, _, get_language

LABELS: dict[str, str] = {
    # Roles
    "officer": N_("Consular officer"),
    "coordinator": N_("Coordinator"),
    "manager": N_("Manager"),
    "admin": N_("Administrator"),
    "partner": N_("Partner organisation staff"),
    # Enrollment status
    "invited": N_("Invited"),
    "active": N_("Active"),
    "withdrawn": N_("Withdrawn"),
    # Module progress (Moodle completion states)
    "not_started": N_("Not started"),
    "in_progress": N_("In progress"),
    "completed": N_("Completed"),
    "completed_pass": N_("Completed (pass)"),
    "completed_fail": N_("Completed (fail)"),
    # Board stages
    "identified": N_("Identified"),
    "screening": N_("Screening"),
    "referred": N_("Referred"),
    "assistance": N_("Assistance"),
    "return_reintegration": N_("Return & reintegration"),
    "closed": N_("Closed"),
    # Suspected situation
    "trafficking": N_("Human trafficking"),
    "migrant_smuggling": N_("Migrant smuggling"),
    "labour_rights_violation": N_("Labour-rights violation"),
    "other": N_("Other"),
    "undetermined": N_("Not yet determined"),
    # Urgency
    "high": N_("High"),
    "medium": N_("Medium"),
    "low": N_("Low"),
    # Referral state
    "pending": N_("Pending"),
    "accepted": N_("Accepted"),
    "declined": N_("Declined"),
    # Services / needs
    "shelter": N_("Shelter"),
    "health": N_("Health care"),
    "psychosocial": N_("Psychosocial support"),
    "legal": N_("Legal assistance"),
    "return": N_("Return"),
    "reintegration": N_("Reintegration"),
    "labour_inspection": N_("Labour inspection"),
    "law_enforcement": N_("Law enforcement"),
    # Organisation types (HTCDS org_Type)
    "NGO": N_("NGO"),
    "LawEnforcement": N_("Law enforcement"),
    "HealthServiceOrganisation": N_("Health service"),
    "CentralGovernmentOrganisation": N_("Central government"),
    "LocalGovernmentOrganisation": N_("Local government"),
    "ImmigrationService": N_("Immigration service"),
    "LegalService": N_("Legal service"),
    "Consulate": N_("Consulate"),
    "InternationalOrganisation": N_("International organisation"),
    # Gender (HTCDS prs_Gender)
    "Feminine": N_("Female"),
    "Masculine": N_("Male"),
    "TransgenderFeminine": N_("Transgender female"),
    "TransgenderMasculine": N_("Transgender male"),
    "NonConforming": N_("Gender non-conforming"),
    "NonSpecifiedUnknown": N_("Not specified"),
    # Trafficking status (HTCDS)
    "PossibleVictimOfTrafficking": N_("Possible victim"),
    "ActualVictimOfTrafficking": N_("Identified victim"),
    "NotAVictimOfTrafficking": N_("Not a victim of trafficking"),
    # Types of exploitation (HTCDS vic_TypeOfExploitation)
    "ForcedLabour": N_("Forced labour"),
    "SexualExploitation": N_("Sexual exploitation"),
    "ChildLabour": N_("Child labour"),
    "ForcedMarriage": N_("Forced marriage"),
    "Servitude": N_("Servitude"),
    "ForcedMilitaryByNonStateActors": N_("Forced military service by non-state actors"),
    "OrganRemoval": N_("Organ removal"),
    "ForcedBegging": N_("Forced begging"),
    "ForcedAdoption": N_("Forced adoption"),
    "Surrogacy": N_("Surrogacy"),
    "Other": N_("Other"),
    # Forced-labour industry (ISIC sections)
    "A_AgricultureForestryAndFishing": N_("Agriculture, forestry and fishing"),
    "B_MiningAndQuarrying": N_("Mining and quarrying"),
    "C_Manufacturing": N_("Manufacturing (incl. textiles)"),
    "F_Construction": N_("Construction"),
    "G_WholesaleAndRetailTradeRepairOfMotorVehicles": N_("Wholesale and retail trade"),
    "H_TransportationAndStorage": N_("Transportation and storage"),
    "I_AccommodationAndFoodServiceActivities": N_("Accommodation and food services"),
    "N_AdministrativeAndSupportServiceActivities": N_("Administrative and support services"),
    "R_ArtsEntertainmentAndRecreation": N_("Arts, entertainment and recreation"),
    "S_OtherServiceActivities": N_("Other services"),
    "T_ActivitiesOfHouseholdsAsEmployers": N_("Domestic work (households as employers)"),
    # Means of control (HTCDS vic_MethodsOfControl)
    "PhysicalThreats": N_("Threats of physical harm"),
    "ThreatsLawEnforcement": N_("Threats of denunciation to authorities"),
    "ThreatensChildrenFamily": N_("Threats to children or family"),
    "DebtBondage": N_("Debt bondage"),
    "FalsePromises": N_("False promises"),
    "PhysicalAbuse": N_("Physical abuse"),
    "SexualAbuse": N_("Sexual abuse"),
    "TakesEarnings": N_("Takes earnings"),
    "RestrictsFinancialAccess": N_("Restricts access to money"),
    "RestrictsMedicalCare": N_("Restricts medical care"),
    "WithholdsNecessities": N_("Withholds food, sleep or other necessities"),
    "PsychologicalAbuse": N_("Psychological abuse"),
    "PsychoactiveSubstance": N_("Forced use of psychoactive substances"),
    "ExcessiveWorkingHours": N_("Excessive working hours"),
    "WithholdsDocuments": N_("Withholds identity documents"),
    # Indicators (ILO forced-labour indicators)
    "abuse_of_vulnerability": N_("Abuse of vulnerability"),
    "deception": N_("Deception"),
    "restriction_of_movement": N_("Restriction of movement"),
    "isolation": N_("Isolation"),
    "physical_sexual_violence": N_("Physical or sexual violence"),
    "intimidation_threats": N_("Intimidation and threats"),
    "retention_of_identity_documents": N_("Retention of identity documents"),
    "withholding_of_wages": N_("Withholding of wages"),
    "debt_bondage": N_("Debt bondage"),
    "abusive_conditions": N_("Abusive working and living conditions"),
    "excessive_overtime": N_("Excessive overtime"),
    # Consent scope
    "service_providers": N_("Share with service providers"),
    "origin_authorities": N_("Share with authorities of the country of origin"),
    # Case events
    "created": N_("Case opened"),
    "note": N_("Note"),
    "stage_change": N_("Stage changed"),
    "assessment_updated": N_("Assessment updated"),
    "assigned": N_("Assigned"),
    "referral_sent": N_("Referral sent"),
    "referral_answered": N_("Referral answered"),
    "transfer_requested": N_("Transfer of responsibility requested"),
    "transfer_answered": N_("Transfer of responsibility answered"),
    "return_coordinated": N_("Return coordinated"),
    # Import file formats (recorded with each import)
    "participants": N_("Participants (the app's own columns)"),
    "moodle_users": N_("Moodle user upload"),
    "moodle_grades": N_("Moodle grade export"),
    "moodle_completion": N_("Moodle course completion report"),
}


def literal(text: str) -> str:
    """`text` escaped for Streamlit's Markdown, so that it shows as typed (names, notes)."""
    return re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", text)


def label(code: str | StrEnum | None) -> str:
    """The translated label of a stored code; unknown codes are shown as they are."""
    if code is None or code == "":
        return "—"
    text = LABELS.get(str(code))
    return _(text) if text else str(code)


def translated(labels: Mapping[str, str], code: str) -> str:
    """The label of `code` in `labels` (marked with N_), translated; an unknown code as it is."""
    text = labels.get(code)
    return _(text) if text else code


def options(values: type[StrEnum]) -> list[str]:
    """The codes of an enum, for a select widget with `format_func=label`."""
    return [member.value for member in values]


@cache
def _country_catalog(language: str) -> gettext.NullTranslations:
    return gettext.translation(
        "iso3166-1", pycountry.LOCALES_DIR, languages=[language], fallback=True
    )


@cache
def _country_names(language: str) -> dict[str, str]:
    """Every ISO 3166-1 alpha-2 code's usual name in `language` (built once per language)."""
    catalog = _country_catalog(language)
    return {
        country.alpha_2: catalog.gettext(getattr(country, "common_name", None) or country.name)
        for country in pycountry.countries
    }


def country_codes() -> list[str]:
    """Every ISO 3166-1 alpha-2 code, sorted by its name in the current language."""
    return list(_sorted_codes(get_language()))


@cache
def _sorted_codes(language: str) -> tuple[str, ...]:
    names = _country_names(language)
    return tuple(sorted(names, key=lambda code: names[code].casefold()))


def country_name(code: str | None) -> str:
    """The country's usual name in the current language: 'BO' → 'Bolivia', 'BR' → 'Brasil'."""
    if not code:
        return ""
    return _country_names(get_language()).get(code.upper(), code)
