"""The case list in HTCDS 2.0 column names, for exchange with other IOM systems.

Column names are HTCDS's (`prs_`, `vic_`, `cas_`, `con_`), CTDC's where HTCDS has none
(`ageBroad`, `majorityStatus`, `CountryOfExploitation`, `yearOfRegistration`), and `enl_` for
Enlace's own fields. Values are the stored codes, which are HTCDS value names. A multi-select
value is joined the way HTCDS (Salesforce multi-select picklists) and CTDC's `...Concatenated`
columns write it: the value names in alphabetical order, separated by ";".

A de-identified export (for managers) leaves out every column marked identifying: the case
code, the alias, dates, people, organisations and every field typed as free text (and
services/cases/microdata.py makes its rows k-anonymous).
"""

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

import pandas as pd

from models.enums import MINOR_AGE_BANDS, Stage

MULTI_SEPARATOR = ";"

# HTCDS cas_Status: Active / FollowUp / Closed / ClosedReferred. The return stage is the
# follow-up of a case whose assistance is done; a closed case is Closed.
CAS_STATUS: dict[str, str] = {
    Stage.identified.value: "Active",
    Stage.screening.value: "Active",
    Stage.referred.value: "Active",
    Stage.assistance.value: "Active",
    Stage.return_reintegration.value: "FollowUp",
    Stage.closed.value: "Closed",
}


def join_multi(values: Iterable[object] | None) -> str:
    """['SexualExploitation', 'ForcedLabour'] → 'ForcedLabour;SexualExploitation'."""
    return MULTI_SEPARATOR.join(sorted({str(value) for value in values or [] if value}))


def majority_status(*, is_minor: bool, age_band: str | None) -> str:
    """CTDC majorityStatus: 'Minor', 'Adult', or '' when not known."""
    if is_minor or (age_band and age_band in MINOR_AGE_BANDS):
        return "Minor"
    return "Adult" if age_band else ""


def _text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


@dataclass(frozen=True)
class Column:
    name: str
    identifying: bool  # left out of the de-identified (managers') export

    def value(self, row: Mapping[str, Any]) -> object:
        return _VALUES[self.name](row)


_VALUES: dict[str, Any] = {
    "cas_CaseNumber": lambda r: r["case_code"],
    "cas_Status": lambda r: CAS_STATUS.get(str(r["stage"]), ""),
    "enl_Stage": lambda r: str(r["stage"]),
    "enl_ReportingCountry": lambda r: r["reporting_country"],
    "yearOfRegistration": lambda r: r["identified_on"].year if r["identified_on"] else "",
    "enl_IdentifiedOn": lambda r: _text(r["identified_on"]),
    "enl_ConsularPost": lambda r: r["consular_post"] or "",
    "enl_PlaceIdentified": lambda r: r["identified_place"] or "",
    "enl_PersonAlias": lambda r: r["person_alias"] or "",
    "prs_Gender": lambda r: _text(r["gender"]),
    "ageBroad": lambda r: _text(r["age_band"]),
    "majorityStatus": lambda r: majority_status(
        is_minor=bool(r["is_minor"]), age_band=r["age_band"]
    ),
    "prs_Citizenship": lambda r: r["citizenship"] or "",
    "prs_PrimaryLanguage": lambda r: r["primary_language"] or "",
    "enl_Situation": lambda r: _text(r["situation"]),
    "vic_TraffickingStatus": lambda r: _text(r["trafficking_status"]),
    "vic_TypeOfExploitation": lambda r: join_multi(r["exploitation_types"]),
    "vic_ForcedLabourIndustry": lambda r: join_multi(r["forced_labour_industries"]),
    "vic_MethodsOfControl": lambda r: join_multi(r["means_of_control"]),
    "enl_Indicators": lambda r: join_multi(r["indicators"]),
    "CountryOfExploitation": lambda r: r["exploitation_country"] or "",
    "con_Consent": lambda r: "TRUE" if r["consent_given"] else "FALSE",
    "enl_ConsentScope": lambda r: join_multi(r["consent_scope"]),
    "enl_Urgency": lambda r: _text(r["urgency"]),
    "enl_Needs": lambda r: join_multi(r["needs"]),
    "cas_CaseOwner": lambda r: r["assignee_email"] or "",
    "cas_ReferredOrganisation": lambda r: join_multi(r["referred_organisations"]),
    "cas_OutgoingReferralDate": lambda r: _text(r["first_referral_on"]),
    "cas_ReasonForCaseClosure": lambda r: r["closure_reason"] or "",
    "enl_ReturnCounterpart": lambda r: r["return_counterpart"] or "",
    "enl_ReturnTravelDate": lambda r: _text(r["return_travel_date"]),
    "enl_ReturnReception": lambda r: r["return_reception"] or "",
}

COLUMNS: tuple[Column, ...] = (
    Column("cas_CaseNumber", identifying=True),
    Column("cas_Status", identifying=False),
    Column("enl_Stage", identifying=False),
    Column("enl_ReportingCountry", identifying=False),
    Column("yearOfRegistration", identifying=False),
    Column("enl_IdentifiedOn", identifying=True),
    Column("enl_ConsularPost", identifying=True),
    Column("enl_PlaceIdentified", identifying=True),
    Column("enl_PersonAlias", identifying=True),
    Column("prs_Gender", identifying=False),
    Column("ageBroad", identifying=False),
    Column("majorityStatus", identifying=False),
    Column("prs_Citizenship", identifying=False),
    Column("prs_PrimaryLanguage", identifying=True),
    Column("enl_Situation", identifying=False),
    Column("vic_TraffickingStatus", identifying=False),
    Column("vic_TypeOfExploitation", identifying=False),
    Column("vic_ForcedLabourIndustry", identifying=False),
    Column("vic_MethodsOfControl", identifying=False),
    Column("enl_Indicators", identifying=False),
    Column("CountryOfExploitation", identifying=False),
    Column("con_Consent", identifying=False),
    Column("enl_ConsentScope", identifying=False),
    Column("enl_Urgency", identifying=False),
    Column("enl_Needs", identifying=False),
    Column("cas_CaseOwner", identifying=True),
    # Organisations' names say where the case was: they would undo a country's generalisation.
    Column("cas_ReferredOrganisation", identifying=True),
    Column("cas_OutgoingReferralDate", identifying=True),
    Column("cas_ReasonForCaseClosure", identifying=True),
    Column("enl_ReturnCounterpart", identifying=True),
    Column("enl_ReturnTravelDate", identifying=True),
    Column("enl_ReturnReception", identifying=True),
)


def columns(*, deidentified: bool) -> list[str]:
    return [column.name for column in COLUMNS if not (deidentified and column.identifying)]


def htcds_frame(rows: Iterable[Mapping[str, Any]], *, deidentified: bool) -> pd.DataFrame:
    """One row per case, HTCDS-named columns; `deidentified` drops the identifying ones."""
    chosen = [column for column in COLUMNS if not (deidentified and column.identifying)]
    return pd.DataFrame(
        [[column.value(row) for column in chosen] for row in rows],
        columns=[column.name for column in chosen],
    )
