"""Case microdata: one row per case in the HTCDS or the CTDC layout, k-anonymous for readers
without case access (pure functions: the rows come from services/cases/exports.py).

CTDC layout (../shared/reference/ctdc_data_dictionary.tsv): its columns in its order and its
encodings, mapped from our HTCDS codes:

- `Datasource` is "Case management"; missing data is "-99" (the dictionary's code for IOM and
  case-management rows), except where the lookup has its own Unknown (gender, majority status).
- `gender`: Feminine → Female, Masculine → Male, the transgender and non-conforming codes →
  Transgender/NonConforming, NonSpecifiedUnknown → Unknown. `ageBroad` as "0--8" … "48+".
- One-hot columns hold "1" or "0"; all "-99" when nothing of that kind was recorded. Means of
  control map one to one (ThreatensChildrenFamily and PhysicalThreats → Threats), plus
  RestrictsMovement from the ILO indicator "restriction of movement". Types of exploitation:
  forced labour, child labour, servitude and forced begging are forced labour; forced adoption
  and surrogacy are "other". Forced-labour industries (ISIC sections) map to CTDC's types of
  labour (T → DomesticWork, C → Manufacturing, I → Hospitality…); forced begging → Begging.
- What Enlace does not record (majority at exploitation, at entry, types of sexual exploitation,
  abduction, the recruiter relation) is "-99".

k-anonymity (readers without case access, e.g. managers): the quasi-identifiers are the
person-level columns the layout keeps — year, gender, age (band, then minor/adult), citizenship,
country of exploitation and, in HTCDS, the reporting country. They are generalised (age band →
minor/adult → unknown; country → region → unknown; year → five-year period → unknown) and the
records still in groups smaller than k are withheld (services/reporting/anonymise.py).
"""

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from models.enums import MINOR_AGE_BANDS, ExploitationType, ForcedLabourIndustry, MethodOfControl
from services.cases import htcds
from services.platform.i18n import _
from services.reporting import anonymise, charts
from services.reporting.export import ExportInfo, to_csv, to_xlsx

LAYOUTS: tuple[str, ...] = ("htcds", "ctdc")
# CTDC: missing data in IOM (case-management) rows. Codes and flags are numbers, so that no
# spreadsheet guard (services/export.neutralise) turns "-99" into "'-99".
MISSING = -99
DATASOURCE = "Case management"
YEAR_PERIOD = 5  # years per period when the year is generalised

# --- regions ------------------------------------------------------------------------------

# UN M49 regions (the Americas by sub-region, where this programme works).
_REGION_MEMBERS = {
    "South America": "AR BO BR CL CO EC FK GF GY PE PY SR UY VE",
    "Central America": "BZ CR GT HN MX NI PA SV",
    "Caribbean": "AG AI AW BB BL BQ BS CU CW DM DO GD GP HT JM KN KY LC MF MQ MS PR SX TC TT VC "
    "VG VI",
    "Northern America": "BM CA GL PM US",
    "Europe": "AD AL AT AX BA BE BG BY CH CZ DE DK EE ES FI FO FR GB GG GI GR HR HU IE IM IS IT "
    "JE LI LT LU LV MC MD ME MK MT NL NO PL PT RO RS RU SE SI SJ SK SM UA VA XK",
    "Africa": "AO BF BI BJ BW CD CF CG CI CM CV DJ DZ EG EH ER ET GA GH GM GN GQ GW KE KM LR LS "
    "LY MA MG ML MR MU MW MZ NA NE NG RE RW SC SD SH SL SN SO SS ST SZ TD TG TN TZ UG YT ZA ZM "
    "ZW",
    "Asia": "AE AF AM AZ BD BH BN BT CN CY GE HK ID IL IN IQ IR JO JP KG KH KP KR KW KZ LA LB LK "
    "MM MN MO MV MY NP OM PH PK PS QA SA SG SY TH TJ TL TM TR TW UZ VN YE",
    "Oceania": "AS AU CC CK CX FJ FM GU KI MH MP NC NF NR NU NZ PF PG PN PW SB TK TO TV UM VU WF "
    "WS",
}
REGIONS: dict[str, str] = {
    code: region for region, members in _REGION_MEMBERS.items() for code in members.split()
}


def region_of(country: str) -> str:
    """'BO' → 'South America'; '' for an unknown country or one outside every region."""
    return REGIONS.get(country.upper(), "") if country else ""


# --- the CTDC layout ------------------------------------------------------------------------

CTDC_GENDER = {
    "Feminine": "Female",
    "Masculine": "Male",
    "TransgenderFeminine": "Transgender/NonConforming",
    "TransgenderMasculine": "Transgender/NonConforming",
    "NonConforming": "Transgender/NonConforming",
    "NonSpecifiedUnknown": "Unknown",
}
MEANS_OF_CONTROL: dict[str, tuple[str, ...]] = {
    "meansOfControlDebtBondage": (MethodOfControl.DebtBondage,),
    "meansOfControlTakesEarnings": (MethodOfControl.TakesEarnings,),
    "meansOfControlRestrictsFinancialAccess": (MethodOfControl.RestrictsFinancialAccess,),
    "meansOfControlThreats": (
        MethodOfControl.PhysicalThreats,
        MethodOfControl.ThreatensChildrenFamily,
    ),
    "meansOfControlPsychologicalAbuse": (MethodOfControl.PsychologicalAbuse,),
    "meansOfControlPhysicalAbuse": (MethodOfControl.PhysicalAbuse,),
    "meansOfControlSexualAbuse": (MethodOfControl.SexualAbuse,),
    "meansOfControlFalsePromises": (MethodOfControl.FalsePromises,),
    "meansOfControlPsychoactiveSubstances": (MethodOfControl.PsychoactiveSubstance,),
    "meansOfControlRestrictsMovement": (),  # from the ILO indicator, see _means_of_control
    "meansOfControlRestrictsMedicalCare": (MethodOfControl.RestrictsMedicalCare,),
    "meansOfControlExcessiveWorkingHours": (MethodOfControl.ExcessiveWorkingHours,),
    "meansOfControlUsesChildren": (),
    "meansOfControlThreatOfLawEnforcement": (MethodOfControl.ThreatsLawEnforcement,),
    "meansOfControlWithholdsNecessities": (MethodOfControl.WithholdsNecessities,),
    "meansOfControlWithholdsDocuments": (MethodOfControl.WithholdsDocuments,),
    "meansOfControlOther": (MethodOfControl.Other,),
}
LABOUR_TYPES = (
    ExploitationType.ForcedLabour,
    ExploitationType.ChildLabour,
    ExploitationType.Servitude,
    ExploitationType.ForcedBegging,
)
EXPLOITATION: dict[str, tuple[str, ...]] = {
    "isForcedLabour": LABOUR_TYPES,
    "isSexualExploit": (ExploitationType.SexualExploitation,),
    "isOtherExploit": (
        ExploitationType.Other,
        ExploitationType.ForcedAdoption,
        ExploitationType.Surrogacy,
    ),
    "isSexAndLabour": (),  # both of the above, see _exploitation
    "isForcedMarriage": (ExploitationType.ForcedMarriage,),
    "isForcedMilitary": (ExploitationType.ForcedMilitaryByNonStateActors,),
    "isOrganRemoval": (ExploitationType.OrganRemoval,),
}
EXPLOITATION_NAMES = {
    "isForcedLabour": "Forced labour",
    "isSexualExploit": "Sexual exploitation",
    "isOtherExploit": "Other",
    "isForcedMarriage": "Forced marriage",
    "isForcedMilitary": "Forced military",
    "isOrganRemoval": "Organ removal",
}
LABOUR: dict[str, tuple[str, ...]] = {
    "typeOfLabourAgriculture": (ForcedLabourIndustry.A_AgricultureForestryAndFishing,),
    "typeOfLabourAquafarming": (),
    "typeOfLabourBegging": (),  # forced begging, a type of exploitation
    "typeOfLabourConstruction": (ForcedLabourIndustry.F_Construction,),
    "typeOfLabourDomesticWork": (ForcedLabourIndustry.T_ActivitiesOfHouseholdsAsEmployers,),
    "typeOfLabourHospitality": (ForcedLabourIndustry.I_AccommodationAndFoodServiceActivities,),
    "typeOfLabourIllicitActivities": (),
    "typeOfLabourManufacturing": (ForcedLabourIndustry.C_Manufacturing,),
    "typeOfLabourMiningOrDrilling": (ForcedLabourIndustry.B_MiningAndQuarrying,),
    "typeOfLabourPeddling": (ForcedLabourIndustry.G_WholesaleAndRetailTradeRepairOfMotorVehicles,),
    "typeOfLabourTransportation": (ForcedLabourIndustry.H_TransportationAndStorage,),
    "typeOfLabourOther": (
        ForcedLabourIndustry.N_AdministrativeAndSupportServiceActivities,
        ForcedLabourIndustry.R_ArtsEntertainmentAndRecreation,
        ForcedLabourIndustry.S_OtherServiceActivities,
    ),
}
LABOUR_NAMES = {
    "typeOfLabourAgriculture": "Agriculture",
    "typeOfLabourBegging": "Begging",
    "typeOfLabourConstruction": "Construction",
    "typeOfLabourDomesticWork": "Domestic work",
    "typeOfLabourHospitality": "Hospitality",
    "typeOfLabourManufacturing": "Manufacturing",
    "typeOfLabourMiningOrDrilling": "Mining or drilling",
    "typeOfLabourPeddling": "Peddling",
    "typeOfLabourTransportation": "Transportation",
    "typeOfLabourOther": "Other",
}
MEANS_NAMES = {
    name: name.removeprefix("meansOfControl") for name in (*MEANS_OF_CONTROL, "NotSpecified")
}
SEX_TYPES = (
    "typeOfSexProstitution",
    "typeOfSexPornography",
    "typeOfSexRemoteInteractiveServices",
    "typeOfSexPrivateSexualServices",
)
RECRUITER = (
    "recruiterRelationIntimatePartner",
    "recruiterRelationFriend",
    "recruiterRelationFamily",
    "recruiterRelationOther",
    "recruiterRelationUnknown",
)
CTDC_COLUMNS: tuple[str, ...] = (
    "yearOfRegistration",
    "Datasource",
    "gender",
    "ageBroad",
    "majorityStatus",
    "majorityStatusAtExploit",
    "MajorityEntry",
    "citizenship",
    *MEANS_OF_CONTROL,
    "meansOfControlNotSpecified",
    "meansOfControlConcatenated",
    *EXPLOITATION,
    "typeOfExploitConcatenated",
    *LABOUR,
    "typeOfLabourNotSpecified",
    "typeOfLabourConcatenated",
    *SEX_TYPES,
    "typeOfSexConcatenated",
    "isAbduction",
    "RecruiterRelationship",
    "CountryOfExploitation",
    *RECRUITER,
)


def _flag(value: bool) -> int:
    return 1 if value else 0


def _concatenated(flags: Mapping[str, int], names: Mapping[str, str]) -> str:
    return ";".join(sorted(names[c] for c, value in flags.items() if value == 1 and c in names))


def ctdc_age_band(band: str) -> str | int:
    """'0-8' → '0--8' (the dictionary's N--N); '48+' stays; none: -99."""
    return band.replace("-", "--") if band else MISSING


def _means_of_control(row: Mapping[str, Any]) -> dict[str, int]:
    recorded = {str(value) for value in row["means_of_control"] or []}
    restricted = "restriction_of_movement" in {str(v) for v in row["indicators"] or []}
    if not recorded and not restricted:
        return {column: MISSING for column in (*MEANS_OF_CONTROL, "meansOfControlNotSpecified")}
    flags = {
        column: _flag(bool(recorded & {str(code) for code in codes}))
        for column, codes in MEANS_OF_CONTROL.items()
    }
    flags["meansOfControlRestrictsMovement"] = _flag(restricted)
    flags["meansOfControlNotSpecified"] = 0
    return flags


def _exploitation(types: set[str]) -> dict[str, int]:
    if not types:
        return dict.fromkeys(EXPLOITATION, MISSING)
    flags = {
        column: _flag(bool(types & {str(code) for code in codes}))
        for column, codes in EXPLOITATION.items()
    }
    both = flags["isForcedLabour"] == 1 and flags["isSexualExploit"] == 1
    flags["isSexAndLabour"] = _flag(both)
    return flags


def _labour(types: set[str], industries: set[str]) -> dict[str, int]:
    columns = (*LABOUR, "typeOfLabourNotSpecified")
    if not types:
        return dict.fromkeys(columns, MISSING)
    flags = {
        column: _flag(bool(industries & {str(code) for code in codes}))
        for column, codes in LABOUR.items()
    }
    flags["typeOfLabourBegging"] = _flag(ExploitationType.ForcedBegging.value in types)
    is_labour = bool(types & {str(code) for code in LABOUR_TYPES})
    named = any(value == 1 for value in flags.values())
    flags["typeOfLabourNotSpecified"] = _flag(is_labour and not named)
    return flags


def ctdc_row(row: Mapping[str, Any]) -> dict[str, str | int]:
    """One case in CTDC columns and codes (see the module docstring)."""
    types = {str(value) for value in row["exploitation_types"] or []}
    industries = {str(value) for value in row["forced_labour_industries"] or []}
    majority = htcds.majority_status(is_minor=bool(row["is_minor"]), age_band=row["age_band"])
    means = _means_of_control(row)
    exploitation = _exploitation(types)
    labour = _labour(types, industries)
    sexual = ExploitationType.SexualExploitation.value in types
    out: dict[str, str | int] = {
        "yearOfRegistration": row["identified_on"].year if row["identified_on"] else MISSING,
        "Datasource": DATASOURCE,
        "gender": CTDC_GENDER.get(str(row["gender"] or ""), "Unknown"),
        "ageBroad": ctdc_age_band(str(row["age_band"] or "")),
        "majorityStatus": majority or "Unknown",
        "majorityStatusAtExploit": MISSING,
        "MajorityEntry": MISSING,
        "citizenship": row["citizenship"] or MISSING,
        **{column: means[column] for column in MEANS_OF_CONTROL},
        "meansOfControlNotSpecified": means["meansOfControlNotSpecified"],
        "meansOfControlConcatenated": _concatenated(means, MEANS_NAMES),
        **exploitation,
        "typeOfExploitConcatenated": _concatenated(exploitation, EXPLOITATION_NAMES),
        **labour,
        "typeOfLabourConcatenated": _concatenated(labour, LABOUR_NAMES),
        # Enlace does not record the kind of sexual exploitation: missing when there was some.
        **{column: MISSING if sexual or not types else 0 for column in SEX_TYPES},
        "typeOfSexConcatenated": "",
        "isAbduction": MISSING,
        "RecruiterRelationship": MISSING,
        "CountryOfExploitation": row["exploitation_country"] or MISSING,
        **dict.fromkeys(RECRUITER, MISSING),
    }
    return {column: out[column] for column in CTDC_COLUMNS}


def ctdc_frame(rows: Iterable[Mapping[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame([ctdc_row(row) for row in rows], columns=list(CTDC_COLUMNS))


# --- quasi-identifiers and their hierarchies ------------------------------------------------

AGE = "__age"  # the age band and majority status, generalised together


def _keep(value: str) -> str:
    return value


def _country_levels(unknown: str) -> list[Callable[[str], str]]:
    def region(value: str) -> str:
        return unknown if value in ("", unknown) else (region_of(value) or unknown)

    return [_keep, region, lambda _value: unknown]


def _year_levels(unknown: str) -> list[Callable[[str], str]]:
    def period(value: str) -> str:
        if not value.isdigit():
            return unknown
        start = int(value) // YEAR_PERIOD * YEAR_PERIOD
        return f"{start}-{start + YEAR_PERIOD - 1}"

    return [_keep, period, lambda _value: unknown]


def _age_levels() -> list[Callable[[str], str]]:
    def majority(value: str) -> str:
        if value in ("Minor", "Adult", ""):
            return value
        return "Minor" if value in MINOR_AGE_BANDS else "Adult"

    return [_keep, majority, lambda _value: ""]


@dataclass(frozen=True)
class _Scheme:
    """Where a layout keeps its person-level columns, and how it writes "unknown"."""

    countries: tuple[str, ...]
    year: str
    gender: str
    gender_unknown: str
    age_band: str
    majority: str
    missing: str | int
    majority_unknown: str
    band_format: Callable[[str], str | int]


SCHEMES: dict[str, _Scheme] = {
    "htcds": _Scheme(
        countries=("enl_ReportingCountry", "prs_Citizenship", "CountryOfExploitation"),
        year="yearOfRegistration",
        gender="prs_Gender",
        gender_unknown="NonSpecifiedUnknown",
        age_band="ageBroad",
        majority="majorityStatus",
        missing="",
        majority_unknown="",
        band_format=lambda band: band,
    ),
    "ctdc": _Scheme(
        countries=("citizenship", "CountryOfExploitation"),
        year="yearOfRegistration",
        gender="gender",
        gender_unknown="Unknown",
        age_band="ageBroad",
        majority="majorityStatus",
        missing=MISSING,
        majority_unknown="Unknown",
        band_format=ctdc_age_band,
    ),
}


def quasi_identifiers(layout: str) -> list[str]:
    """The person-level columns of a de-identified layout, as exported."""
    scheme = SCHEMES[layout]
    return [scheme.year, scheme.gender, scheme.age_band, scheme.majority, *scheme.countries]


def _typed(value: str, missing_text: str, missing: str | int) -> str | int:
    """A generalised value back as the layout writes it: a year as a number, -99 as -99."""
    if value == missing_text:
        return missing
    return int(value) if value.isdigit() else value


def _age_value(band: str, majority: str) -> str:
    """The finest age known: the band, else 'Minor' / 'Adult', else ''."""
    if band and not (majority == "Minor" and band not in MINOR_AGE_BANDS):
        return band
    return majority if majority in ("Minor", "Adult") else ""


# --- the export -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Microdata:
    """Case rows in one layout, and what was done to protect them."""

    frame: pd.DataFrame
    layout: str
    deidentified: bool
    records: int  # cases selected
    k: int | None = None  # None: full rows (case workers)
    generalised: int = 0
    withheld: int = 0
    levels: dict[str, int] = field(default_factory=dict)

    def notes(self) -> list[tuple[str, str]]:
        """Lines for the file and the page: layout, rows, and how they were protected."""
        lines = [
            (_("Layout"), self.layout.upper()),
            (_("Cases selected"), str(self.records)),
            (_("Rows in this file"), str(len(self.frame))),
        ]
        if not self.deidentified:
            lines.append((_("Protection"), _("Full rows: handle as case data (audited export).")))
            return lines
        coarser = [name for name, level in self.levels.items() if level > 0]
        lines += [
            (
                _("Protection"),
                _(
                    "k-anonymous: every combination of {columns} is shared by at least {k} rows."
                ).format(columns=", ".join(self.levels), k=self.k),
            ),
            (_("Rows generalised"), str(self.generalised)),
            (_("Columns generalised"), ", ".join(coarser) or _("none")),
            (_("Rows withheld (groups smaller than k)"), str(self.withheld)),
        ]
        return lines


def build(
    rows: Iterable[Mapping[str, Any]], *, layout: str, deidentified: bool, k: int
) -> Microdata:
    """The cases in `layout`; when `deidentified`, without identifying columns and k-anonymous
    over the person-level columns."""
    if layout not in SCHEMES:
        raise ValueError(f"unknown layout {layout!r}; use htcds or ctdc")
    rows = list(rows)
    if layout == "ctdc":
        frame = ctdc_frame(rows)
    else:
        frame = htcds.htcds_frame(rows, deidentified=deidentified)
    if not deidentified:
        return Microdata(frame, layout, deidentified=False, records=len(rows))
    scheme = SCHEMES[layout]
    columns = [scheme.year, scheme.gender, scheme.age_band, scheme.majority, *scheme.countries]
    # The quasi-identifiers as text while they are generalised (-99 as "-99").
    work = frame.astype(dict.fromkeys(columns, str))
    missing = str(scheme.missing)
    work[AGE] = [
        _age_value(
            "" if band == missing else band.replace("--", "-"),
            "" if majority == scheme.majority_unknown else majority,
        )
        for band, majority in zip(work[scheme.age_band], work[scheme.majority], strict=True)
    ]
    hierarchies: dict[str, anonymise.Hierarchy] = {
        scheme.year: _year_levels(missing),
        scheme.gender: [_keep, lambda _value: scheme.gender_unknown],
        AGE: _age_levels(),
        **{column: _country_levels(missing) for column in scheme.countries},
    }
    result = anonymise.k_anonymise(work, hierarchies, k)
    out = result.frame
    ages = out[AGE].tolist()
    as_majority = _age_levels()[1]
    out[scheme.age_band] = [
        scheme.band_format(age) if age not in ("Minor", "Adult", "") else scheme.missing
        for age in ages
    ]
    out[scheme.majority] = [as_majority(age) or scheme.majority_unknown for age in ages]
    for column in (scheme.year, *scheme.countries):
        out[column] = [_typed(value, missing, scheme.missing) for value in out[column]]
    levels = {("age" if name == AGE else name): level for name, level in result.levels.items()}
    return Microdata(
        frame=out.drop(columns=[AGE])[list(frame.columns)],
        layout=layout,
        deidentified=True,
        records=len(rows),
        k=k,
        generalised=result.generalised,
        withheld=result.withheld,
        levels=levels,
    )


def microdata_info(data: Microdata) -> ExportInfo:
    """Title, source and the notes (rows, protection, generalised, withheld) of the file."""
    return ExportInfo(
        title=_("Referral cases ({layout})").format(layout=data.layout.upper()),
        source=_("Enlace — referral cases"),
        filters=dict(data.notes()),
    )


def microdata_file(data: Microdata, fmt: str) -> charts.ExportFile:
    """The rows as CSV or XLSX, cells a spreadsheet would run neutralised.

    The notes go where every Enlace file keeps its header: the XLSX "About" sheet, and the
    CSV's first lines, each starting with "#" (read it with pandas.read_csv(comment="#")).
    """
    info = microdata_info(data)
    if fmt == "csv":
        content = to_csv(data.frame, info)
    elif fmt == "xlsx":
        content = to_xlsx(data.frame, info, sheet=_("Cases"))
    else:
        raise ValueError(f"unknown data format {fmt!r}; use csv or xlsx")
    return charts.ExportFile(charts.file_name(info, fmt), charts.MIME_TYPES[fmt], content)
