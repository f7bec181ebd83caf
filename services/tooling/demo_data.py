"""The demo's content: accounts, the 2018 and 2026 courses and their people, partner
organisations, the recurring kinds of case and the scenarios each country reports, with the
pools of text the cases draw from. The long tables are data (demo_content.toml); the demo
seed (seed.py, demo_plans.py) and the synthetic data (scale.py) read them from here.
"""

import tomllib
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import Any

from models.enums import (
    STAGE_ORDER,
    AgeBand,
    ExploitationType,
    ForcedLabourIndustry,
    Gender,
    Indicator,
    Language,
    MethodOfControl,
    OrgType,
    Role,
    Service,
    Situation,
    Stage,
)

CONTENT = tomllib.loads(Path(__file__).with_name("demo_content.toml").read_text("utf-8"))
COUNTRIES = ("AR", "BO", "BR", "CL", "CO", "PY", "PE", "UY")
PROGRAMME = "IOM & IPPDH"

# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------

DEMO_ACCOUNTS: list[tuple[str, Role, str | None]] = [
    ("admin@enlace.test", Role.admin, None),
    ("coordinator@enlace.test", Role.coordinator, None),
    ("manager@enlace.test", Role.manager, None),
    *((f"officer.{cc.lower()}@enlace.test", Role.officer, cc) for cc in COUNTRIES),
    # Staff of partner organisations: they answer the referrals sent to their organisation.
    ("ngo.py@enlace.test", Role.partner, None),
    ("ngo.bo@enlace.test", Role.partner, None),
]
"""(email, role, country) of every demo account; officers are linked to a 2018 participant."""

# email: (display name, preferred language, organisation key)
STAFF_PROFILES: dict[str, tuple[str, Language, str | None]] = {
    "admin@enlace.test": ("Diego Herrera", Language.en, "ippdh"),
    "coordinator@enlace.test": ("Valeria Paredes", Language.es, "iom_regional"),
    "manager@enlace.test": ("Ricardo Lopes", Language.pt, "ippdh"),
    "ngo.py@enlace.test": ("Lucía Benítez", Language.es, "mujer_py"),
    "ngo.bo@enlace.test": ("Rosa Mamani", Language.es, "shelter_bo"),
}

# ---------------------------------------------------------------------------------------------
# Courses and participants
# ---------------------------------------------------------------------------------------------

# country: (foreign ministry, language, e-mail domain, consular posts with many nationals)

# country: (foreign ministry, language, e-mail domain, consular posts with many nationals)
FOREIGN_SERVICES: dict[str, tuple[str, Language, str, tuple[str, ...]]] = {
    country: (
        service["ministry"],
        Language(service["language"]),
        service["email_domain"],
        tuple(service["consular_posts"]),
    )
    for country, service in CONTENT["foreign_services"].items()
}

POSITIONS = ("Consul", "Vice-consul", "Consular assistant", "Consular officer", "Deputy consul")


def _people(table: dict[str, list[list[str]]]) -> dict[str, tuple[tuple[str, str, Gender], ...]]:
    return {
        country: tuple((given, surnames, Gender(gender)) for given, surnames, gender in rows)
        for country, rows in table.items()
    }


# (given names, surnames, gender). The first officer of each country signs in as
# officer.<cc>@enlace.test.
OFFICERS_2018 = _people(CONTENT["officers_2018"])
NEW_PARTICIPANTS_2026 = _people(CONTENT["new_participants_2026"])

# Besides the officers who sign in, these 2018 participants came back for the 2026 course.
RETURNING_2026 = ("martin.fernandez@cancilleria.ar.test", "rodrigo.vargas@cancilleria.bo.test")

COURSE_2018: dict[str, Any] = {
    "code": "HT-2018",
    "title": "Human trafficking: detection, assistance and cross-border coordination",
    "description": (
        "Virtual course for consular officers of Argentina, Bolivia, Brazil, Chile, Colombia, "
        "Paraguay, Peru and Uruguay: early detection of victims of trafficking, assistance, "
        "referral to services and cross-border coordination of a dignified, prompt return "
        "to the country of origin."
    ),
    "organiser": PROGRAMME,
    "starts_on": date(2018, 4, 2),
    "ends_on": date(2018, 7, 3),
    "languages": [Language.es, Language.pt],
}
# (title, required, due on). Modules 1-2 are readings and a forum; 3-7 end with a quiz.
MODULES_2018: tuple[tuple[str, bool, date], ...] = (
    ("Concepts: trafficking, smuggling and labour-rights violations", True, date(2018, 4, 16)),
    ("International and regional legal framework", True, date(2018, 4, 30)),
    ("Early detection and indicators", True, date(2018, 5, 14)),
    ("Interviewing and first assistance", True, date(2018, 5, 28)),
    ("Referral to services and protection networks", True, date(2018, 6, 11)),
    ("Cross-border coordination and assisted return", True, date(2018, 6, 25)),
    ("Final assessment", False, date(2018, 7, 3)),
)
UNGRADED_2018 = frozenset({1, 2})

COURSE_2026: dict[str, Any] = {
    "code": "HT-2026",
    "title": "Assistance to victims of trafficking: case management and referral",
    "description": (
        "Follow-up course on victim-centred case management, consent and data protection, "
        "referral pathways and safe return, with case studies from the region's consulates."
    ),
    "organiser": PROGRAMME,
    "languages": [Language.es, Language.pt],
}
COURSE_2026_DAYS = (-60, 90)  # starts and ends, in days from today
# (title, due: days after the course starts); the first two are past due today.
MODULES_2026: tuple[tuple[str, int], ...] = (
    ("Victim-centred and trauma-informed first contact", 21),
    ("Consent, confidentiality and data minimisation", 42),
    ("Case management and referral pathways", 63),
    ("Safe return and sustainable reintegration", 84),
    ("Case study and final assessment", 105),
)

# ---------------------------------------------------------------------------------------------
# Organisations
# ---------------------------------------------------------------------------------------------

# key: (name, type, country, city, services)
ORGANISATIONS: dict[str, tuple[str, OrgType, str, str, tuple[Service, ...]]] = {
    key: (
        org["name"],
        OrgType(org["type"]),
        org["country"],
        org["city"],
        tuple(Service(service) for service in org["services"]),
    )
    for key, org in CONTENT["organisations"].items()
}


# ---------------------------------------------------------------------------------------------
# Referral cases
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """A recurring kind of case: what is usually found and needed."""

    situation: Situation
    exploitation_types: tuple[ExploitationType, ...]
    industries: tuple[ForcedLabourIndustry, ...]
    means: tuple[MethodOfControl, ...]
    indicators: tuple[Indicator, ...]
    needs: tuple[Service, ...]
    female_share: float
    minors: bool
    stage_weights: tuple[int, ...]  # identified … closed
    place: str


# The fields of a profile that are lists of codes, and the enumeration of each.
_PROFILE_CODES: dict[str, type[StrEnum]] = {
    "exploitation_types": ExploitationType,
    "industries": ForcedLabourIndustry,
    "means": MethodOfControl,
    "indicators": Indicator,
    "needs": Service,
}


def _profile(data: dict[str, Any]) -> Profile:
    codes: dict[str, Any] = {
        name: tuple(enum(value) for value in data[name]) for name, enum in _PROFILE_CODES.items()
    }
    return Profile(
        situation=Situation(data["situation"]),
        female_share=data["female_share"],
        minors=data["minors"],
        stage_weights=tuple(data["stage_weights"]),
        place=data["place"],
        **codes,
    )


PROFILES: dict[str, Profile] = {key: _profile(data) for key, data in CONTENT["profiles"].items()}

# Reporting country: (number of cases, scenarios cycled through). A scenario is
# (consular post, country of exploitation, profile, referrals "organisation:service ...").
# The consulate attends its own nationals abroad, so most referrals cross the border.
Scenario = tuple[str, str | None, str, str]
CASE_SCENARIOS: dict[str, tuple[int, tuple[Scenario, ...]]] = {
    country: (
        plan["cases"],
        tuple(
            (post, where or None, profile, targets)
            for post, where, profile, targets in plan["scenarios"]
        ),
    )
    for country, plan in CONTENT["case_scenarios"].items()
}

# Stages pinned for the browser test: Brazil's first case is shared with Argentina (its
# referral goes to PROTEX), its second is referred within Paraguay and Brazil only.
PINNED_STAGES: dict[tuple[str, int], Stage] = {
    ("BR", 0): Stage.assistance,
    ("BR", 1): Stage.referred,
}
# Days (least, most) a case took to reach each stage from the one before it (screening …
# closed), and has been in its current stage up to yesterday (identified … closed).
DAYS_TO_REACH: dict[Stage, tuple[int, int]] = dict(
    zip(STAGE_ORDER[1:], ((0, 7), (2, 21), (3, 30), (20, 90), (10, 90)), strict=True)
)
DAYS_IN_STAGE: dict[Stage, tuple[int, int]] = dict(
    zip(STAGE_ORDER, ((1, 10), (2, 30), (3, 60), (5, 120), (3, 60), (1, 300)), strict=True)
)
# Who organises the return home, by citizenship: (organisation key, service, counterpart).
RETURN_PARTNERS: dict[str, tuple[str, Service, str]] = {
    "AR": (
        "rescate_ar",
        Service.reintegration,
        "Programa Nacional de Rescate (Ministerio de Justicia)",
    ),
    "BO": (
        "iom_bo",
        Service.return_,
        "Dirección General de Trata y Tráfico de Personas and IOM Bolivia",
    ),
    "BR": (
        "netp_sp",
        Service.reintegration,
        "Núcleo de Enfrentamento ao Tráfico de Pessoas (NETP-SP)",
    ),
    "CL": (
        "iom_regional",
        Service.return_,
        "Programa de Apoyo a Víctimas (Subsecretaría de Prevención del Delito)",
    ),
    "CO": (
        "iom_co",
        Service.return_,
        "Centro Operativo Anti-Trata (Ministerio del Interior) and IOM Colombia",
    ),
    "PE": (
        "iom_pe",
        Service.return_,
        "Ministerio de la Mujer y Poblaciones Vulnerables and IOM Peru",
    ),
    "PY": ("iom_py", Service.return_, "Ministerio de la Mujer and IOM Paraguay"),
    "UY": ("mides_uy", Service.reintegration, "MIDES – Inmujeres"),
}
RECEPTION = (
    "Met at arrival by the receiving team and a psychologist; two nights in a reception "
    "centre, then travel to the family home with a reintegration plan (training, health care)."
)
LANGUAGES: dict[str, tuple[str, ...]] = {
    "BO": ("Spanish", "Spanish", "Quechua", "Aymara"),
    "BR": ("Portuguese",),
    "PE": ("Spanish", "Spanish", "Quechua"),
    "PY": ("Guaraní", "Spanish"),
}
ADULT_BANDS = (
    AgeBand.b18_20,
    AgeBand.b21_23,
    AgeBand.b24_26,
    AgeBand.b27_29,
    AgeBand.b30_38,
    AgeBand.b39_47,
    AgeBand.b48_plus,
)
ADULT_BAND_WEIGHTS = (3, 5, 6, 5, 7, 3, 1)
INITIALS = "ABCDEFGJLMNPRSTVY"
IDENTIFIED_AT = (
    "Walk-in at the consulate",
    "Call to the consular emergency line",
    "Joint visit with the labour inspectorate",
    "Referred by a hospital social worker",
)
NOTES: dict[Stage, tuple[str, ...]] = {
    Stage.identified: (
        "First interview in a private room at the consulate, with water and time to rest. "
        "The person asked that the employer not be contacted.",
        "A co-worker called the consulate; first interview arranged for the next morning.",
        "Interview held with an interpreter; the person was tired and frightened, a second "
        "meeting was agreed.",
    ),
    Stage.screening: (
        "Screening with the ILO indicators checklist completed. Identity document kept by "
        "the employer; wages owed for several months.",
        "Screening completed with a psychologist from the consulate's support network.",
    ),
    Stage.assistance: (
        "Shelter confirmed; weekly psychosocial follow-up agreed with the service.",
        "Statement given to the prosecutor's office with a consular officer present.",
        "Emergency travel document issued by the consulate.",
    ),
    Stage.return_reintegration: (
        "Return travel booked; reception team in the country of origin informed.",
    ),
}
CLOSURE_REASONS: dict[str, tuple[str, ...]] = {
    "return": (
        "Returned to the country of origin; reintegration plan handed over to the receiving team.",
    ),
    "assistance": (
        "Assistance completed: migration status regularised and a new job found.",
        "Assistance completed; the person chose to stay and was referred to a local "
        "support network.",
    ),
    "labour": (
        "Labour complaint settled through the labour inspectorate; no further assistance needed.",
    ),
    "short": (
        "The person declined further assistance after being informed of their rights.",
        "Contact lost after three follow-up attempts.",
    ),
}
DECLINE_REASONS = (
    "No places available this month.",
    "Outside the organisation's mandate; the service suggested another partner.",
)
CLOSED_PATHS = {
    "return": (*STAGE_ORDER,),
    "assistance": (
        Stage.identified,
        Stage.screening,
        Stage.referred,
        Stage.assistance,
        Stage.closed,
    ),
    "short": (Stage.identified, Stage.screening, Stage.referred, Stage.closed),
}
