"""Demo data that tells the programme's story: the 2018 virtual course for 40 consular
officers, a current course, demo accounts, partner organisations and referral cases.

Deterministic (`random.Random(2018)`; only `today` moves the current course and the cases)
and idempotent by natural keys: a second run creates nothing.
"""

import itertools
import random
import unicodedata
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import (
    Case,
    CaseCreate,
    CaseEvent,
    Course,
    CourseCreate,
    Enrollment,
    EnrollmentCreate,
    Module,
    ModuleCreate,
    ModuleProgress,
    ModuleProgressCreate,
    Organisation,
    OrganisationCreate,
    Participant,
    ParticipantCreate,
    Referral,
    ReferralCreate,
    UserAccount,
    UserAccountCreate,
)
from models.enums import (
    STAGE_ORDER,
    AgeBand,
    CaseEventKind,
    ConsentScope,
    EnrollmentStatus,
    ExploitationType,
    ForcedLabourIndustry,
    Gender,
    Indicator,
    Language,
    MethodOfControl,
    OrgType,
    ProgressState,
    ReferralState,
    Role,
    Service,
    Situation,
    Stage,
    TraffickingStatus,
    Urgency,
)
from services.platform import audit
from services.platform.i18n import N_

SEED = 2018
F, M = Gender.Feminine, Gender.Masculine
COUNTRIES = ("AR", "BO", "BR", "CL", "CO", "PY", "PE", "UY")
PROGRAMME = "IOM & IPPDH"
CREATED_TABLES: tuple[type[SQLModel], ...] = (
    Course,
    Module,
    Participant,
    Enrollment,
    ModuleProgress,
    Organisation,
    UserAccount,
    Case,
    Referral,
    CaseEvent,
)

# ---------------------------------------------------------------------------------------------
# Accounts
# ---------------------------------------------------------------------------------------------

DEMO_ACCOUNTS: list[tuple[str, Role, str | None]] = [
    ("admin@enlace.test", Role.admin, None),
    ("coordinator@enlace.test", Role.coordinator, None),
    ("manager@enlace.test", Role.manager, None),
    *((f"officer.{cc.lower()}@enlace.test", Role.officer, cc) for cc in COUNTRIES),
]
"""(email, role, country) of every demo account; officers are linked to a 2018 participant."""

# email: (display name, preferred language, organisation key)
STAFF_PROFILES: dict[str, tuple[str, Language, str | None]] = {
    "admin@enlace.test": ("Diego Herrera", Language.en, "ippdh"),
    "coordinator@enlace.test": ("Valeria Paredes", Language.es, "iom_regional"),
    "manager@enlace.test": ("Ricardo Lopes", Language.pt, "ippdh"),
}

# ---------------------------------------------------------------------------------------------
# Courses and participants
# ---------------------------------------------------------------------------------------------

# country: (foreign ministry, language, e-mail domain, consular posts with many nationals)
FOREIGN_SERVICES: dict[str, tuple[str, Language, str, tuple[str, ...]]] = {
    "AR": (
        "Ministerio de Relaciones Exteriores y Culto",
        Language.es,
        "cancilleria.ar.test",
        ("Santiago", "São Paulo", "Santa Cruz de la Sierra", "Asunción", "Montevideo"),
    ),
    "BO": (
        "Ministerio de Relaciones Exteriores del Estado Plurinacional de Bolivia",
        Language.es,
        "cancilleria.bo.test",
        ("Buenos Aires", "São Paulo", "Santiago", "Mendoza", "Arica"),
    ),
    "BR": (
        "Ministério das Relações Exteriores",
        Language.pt,
        "itamaraty.br.test",
        ("Buenos Aires", "Ciudad del Este", "Asunción", "Santa Cruz de la Sierra", "Montevideo"),
    ),
    "CL": (
        "Ministerio de Relaciones Exteriores de Chile",
        Language.es,
        "minrel.cl.test",
        ("Mendoza", "Buenos Aires", "Neuquén", "Lima", "La Paz"),
    ),
    "CO": (
        "Ministerio de Relaciones Exteriores de Colombia",
        Language.es,
        "cancilleria.co.test",
        ("Santiago", "Antofagasta", "Lima", "Buenos Aires", "São Paulo"),
    ),
    "PY": (
        "Ministerio de Relaciones Exteriores del Paraguay",
        Language.es,
        "mre.py.test",
        ("Buenos Aires", "Posadas", "Clorinda", "Foz do Iguaçu", "São Paulo"),
    ),
    "PE": (
        "Ministerio de Relaciones Exteriores del Perú",
        Language.es,
        "rree.pe.test",
        ("Santiago", "Arica", "Buenos Aires", "La Paz", "São Paulo"),
    ),
    "UY": (
        "Ministerio de Relaciones Exteriores del Uruguay",
        Language.es,
        "mrree.uy.test",
        ("Buenos Aires", "Porto Alegre", "São Paulo", "Santana do Livramento", "Santiago"),
    ),
}

POSITIONS = ("Consul", "Vice-consul", "Consular assistant", "Consular officer", "Deputy consul")

# (given names, surnames, gender). The first officer of each country signs in as
# officer.<cc>@enlace.test.
OFFICERS_2018: dict[str, tuple[tuple[str, str, Gender], ...]] = {
    "AR": (
        ("Mariana", "Gómez", F),
        ("Martín", "Fernández", M),
        ("Laura", "Benítez", F),
        ("Diego", "Sosa", M),
        ("Carolina", "Ríos", F),
    ),
    "BO": (
        ("Juan Carlos", "Mamani Quispe", M),
        ("Ana María", "Choque Flores", F),
        ("Rodrigo", "Vargas Rojas", M),
        ("Lidia", "Condori Huanca", F),
        ("Marco Antonio", "Gutiérrez Paz", M),
    ),
    "BR": (
        ("Ana Paula", "Souza", F),
        ("Ricardo", "Almeida", M),
        ("Fernanda", "Oliveira Santos", F),
        ("João Pedro", "Carvalho", M),
        ("Camila", "Ribeiro", F),
    ),
    "CL": (
        ("Francisca", "Muñoz Soto", F),
        ("Felipe", "Contreras Rojas", M),
        ("Javiera", "Tapia Morales", F),
        ("Cristián", "Fuentes Araya", M),
        ("Constanza", "Pizarro Vega", F),
    ),
    "CO": (
        ("Andrés Felipe", "Restrepo Gómez", M),
        ("Luisa Fernanda", "Ospina Marín", F),
        ("Carlos Mario", "Londoño Vélez", M),
        ("Diana Marcela", "Castaño Ríos", F),
        ("Julián", "Cárdenas Mejía", M),
    ),
    "PY": (
        ("Rosa", "Villalba Giménez", F),
        ("Óscar", "Duarte Ayala", M),
        ("Mirta", "Cáceres Ortiz", F),
        ("Hugo", "Acosta Benítez", M),
        ("Lourdes", "Ramírez Insfrán", F),
    ),
    "PE": (
        ("Carmen", "Quispe Huamán", F),
        ("Luis Alberto", "Mendoza Salas", M),
        ("Milagros", "Chávez Torres", F),
        ("Jorge", "Salazar Paredes", M),
        ("Patricia", "Rojas Vílchez", F),
    ),
    "UY": (
        ("Lucía", "Pereira", F),
        ("Santiago", "Rodríguez", M),
        ("Valentina", "Silva", F),
        ("Federico", "Martínez", M),
        ("Verónica", "Cabrera", F),
    ),
}

NEW_PARTICIPANTS_2026: dict[str, tuple[tuple[str, str, Gender], ...]] = {
    "AR": (("Sofía", "Ledesma", F), ("Nicolás", "Acuña", M)),
    "BO": (("Gabriela", "Quispe Mamani", F), ("Wilson", "Apaza Ticona", M)),
    "BR": (("Beatriz", "Nascimento", F), ("Thiago", "Moreira Lima", M)),
    "CL": (("Catalina", "Sepúlveda Díaz", F),),
    "CO": (("Valentina", "Zuluaga Henao", F), ("Sebastián", "Arango Gil", M)),
    "PY": (("Noelia", "Benítez Ortiz", F), ("Derlis", "Giménez Ayala", M)),
    "PE": (("Katherine", "Ramos Soto", F), ("Miguel Ángel", "Paucar Rojas", M)),
    "UY": (("Florencia", "Méndez", F),),
}
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

S = Service
# key: (name, type, country, city, services)
ORGANISATIONS: dict[str, tuple[str, OrgType, str, str, tuple[Service, ...]]] = {
    "ippdh": (
        "IPPDH – Instituto de Políticas Públicas en Derechos Humanos del MERCOSUR",
        OrgType.InternationalOrganisation,
        "AR",
        "Buenos Aires",
        (),
    ),
    "iom_regional": (
        "OIM – Oficina Regional para América del Sur",
        OrgType.InternationalOrganisation,
        "AR",
        "Buenos Aires",
        (S.return_, S.reintegration),
    ),
    "protex": (
        "PROTEX – Procuraduría de Trata y Explotación de Personas",
        OrgType.LawEnforcement,
        "AR",
        "Buenos Aires",
        (S.law_enforcement, S.legal),
    ),
    "rescate_ar": (
        "Programa Nacional de Rescate y Acompañamiento a las Personas Damnificadas por el Delito "
        "de Trata",
        OrgType.CentralGovernmentOrganisation,
        "AR",
        "Buenos Aires",
        (S.shelter, S.psychosocial, S.legal, S.reintegration),
    ),
    "labour_ar": (
        "Secretaría de Trabajo – Dirección de Inspección Federal",
        OrgType.CentralGovernmentOrganisation,
        "AR",
        "Buenos Aires",
        (S.labour_inspection,),
    ),
    "legal_ar": (
        "Defensoría General de la Nación – Comisión del Migrante",
        OrgType.LegalService,
        "AR",
        "Buenos Aires",
        (S.legal,),
    ),
    "consul_bo_ar": (
        "Consulado General de Bolivia en Buenos Aires",
        OrgType.Consulate,
        "AR",
        "Buenos Aires",
        (S.legal, S.return_),
    ),
    "felcc_bo": (
        "FELCC – División Trata y Tráfico de Personas",
        OrgType.LawEnforcement,
        "BO",
        "La Paz",
        (S.law_enforcement,),
    ),
    "iom_bo": ("OIM Bolivia", OrgType.InternationalOrganisation, "BO", "La Paz", (S.return_,)),
    "shelter_bo": (
        "Casa de Acogida Warmi",
        OrgType.NGO,
        "BO",
        "El Alto",
        (S.shelter, S.psychosocial, S.reintegration),
    ),
    "mpt_sp": (
        "Ministério Público do Trabalho – Procuradoria Regional do Trabalho da 2ª Região",
        OrgType.LawEnforcement,
        "BR",
        "São Paulo",
        (S.law_enforcement, S.labour_inspection, S.legal),
    ),
    "netp_sp": (
        "Núcleo de Enfrentamento ao Tráfico de Pessoas de São Paulo (NETP-SP)",
        OrgType.LocalGovernmentOrganisation,
        "BR",
        "São Paulo",
        (S.psychosocial, S.legal, S.reintegration),
    ),
    "shelter_sp": (
        "Casa de Acolhida ao Migrante",
        OrgType.NGO,
        "BR",
        "São Paulo",
        (S.shelter, S.psychosocial, S.legal),
    ),
    "labour_sp": (
        "Superintendência Regional do Trabalho em São Paulo",
        OrgType.CentralGovernmentOrganisation,
        "BR",
        "São Paulo",
        (S.labour_inspection,),
    ),
    "labour_cl": (
        "Dirección del Trabajo – Inspección Comunal Santiago Centro",
        OrgType.CentralGovernmentOrganisation,
        "CL",
        "Santiago",
        (S.labour_inspection,),
    ),
    "bitrap_cl": (
        "PDI – Brigada Investigadora de Trata de Personas",
        OrgType.LawEnforcement,
        "CL",
        "Santiago",
        (S.law_enforcement,),
    ),
    "shelter_cl": (
        "Casa de Acogida para Mujeres Migrantes",
        OrgType.NGO,
        "CL",
        "Santiago",
        (S.shelter, S.psychosocial),
    ),
    "consul_pe_cl": (
        "Consulado General del Perú en Santiago",
        OrgType.Consulate,
        "CL",
        "Santiago",
        (S.legal, S.return_),
    ),
    "coat_co": (
        "Centro Operativo Anti-Trata de Personas (COAT) – Ministerio del Interior",
        OrgType.CentralGovernmentOrganisation,
        "CO",
        "Bogotá",
        (S.legal, S.psychosocial, S.reintegration),
    ),
    "iom_co": ("OIM Colombia", OrgType.InternationalOrganisation, "CO", "Bogotá", (S.return_,)),
    "fiscalia_py": (
        "Ministerio Público – Unidad Especializada de Lucha contra la Trata de Personas",
        OrgType.LawEnforcement,
        "PY",
        "Asunción",
        (S.law_enforcement,),
    ),
    "mujer_py": (
        "Ministerio de la Mujer – Centro de Atención a Mujeres Víctimas de Trata",
        OrgType.CentralGovernmentOrganisation,
        "PY",
        "Asunción",
        (S.shelter, S.psychosocial, S.reintegration),
    ),
    "iom_py": ("OIM Paraguay", OrgType.InternationalOrganisation, "PY", "Asunción", (S.return_,)),
    "health_pe": (
        "Centro de Salud Mental Comunitario Cercado de Lima",
        OrgType.HealthServiceOrganisation,
        "PE",
        "Lima",
        (S.health, S.psychosocial),
    ),
    "iom_pe": ("OIM Perú", OrgType.InternationalOrganisation, "PE", "Lima", (S.return_,)),
    "mides_uy": (
        "MIDES – Servicio de Atención a Mujeres en Situación de Trata",
        OrgType.CentralGovernmentOrganisation,
        "UY",
        "Montevideo",
        (S.shelter, S.psychosocial, S.legal, S.reintegration),
    ),
    "labour_uy": (
        "Inspección General del Trabajo y de la Seguridad Social",
        OrgType.CentralGovernmentOrganisation,
        "UY",
        "Montevideo",
        (S.labour_inspection,),
    ),
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


MC, IN, ET, FI = MethodOfControl, Indicator, ExploitationType, ForcedLabourIndustry
TRAFFICKING_STAGES = (8, 7, 9, 12, 8, 11)
PROFILES: dict[str, Profile] = {
    "textile": Profile(
        situation=Situation.trafficking,
        exploitation_types=(ET.ForcedLabour,),
        industries=(FI.C_Manufacturing,),
        means=(MC.DebtBondage, MC.WithholdsDocuments, MC.ExcessiveWorkingHours, MC.FalsePromises),
        indicators=(
            IN.deception,
            IN.debt_bondage,
            IN.excessive_overtime,
            IN.restriction_of_movement,
        ),
        needs=(S.shelter, S.legal, S.labour_inspection, S.law_enforcement),
        female_share=0.5,
        minors=True,
        stage_weights=TRAFFICKING_STAGES,
        place="Clandestine textile workshop",
    ),
    "domestic": Profile(
        situation=Situation.trafficking,
        exploitation_types=(ET.ForcedLabour, ET.Servitude),
        industries=(FI.T_ActivitiesOfHouseholdsAsEmployers,),
        means=(MC.WithholdsDocuments, MC.PsychologicalAbuse, MC.RestrictsFinancialAccess, MC.Other),
        indicators=(
            IN.isolation,
            IN.withholding_of_wages,
            IN.retention_of_identity_documents,
            IN.excessive_overtime,
        ),
        needs=(S.shelter, S.psychosocial, S.legal),
        female_share=0.95,
        minors=True,
        stage_weights=TRAFFICKING_STAGES,
        place="Private household",
    ),
    "sexual": Profile(
        situation=Situation.trafficking,
        exploitation_types=(ET.SexualExploitation,),
        industries=(),
        means=(MC.FalsePromises, MC.DebtBondage, MC.PhysicalThreats, MC.ThreatensChildrenFamily),
        indicators=(
            IN.deception,
            IN.physical_sexual_violence,
            IN.intimidation_threats,
            IN.isolation,
        ),
        needs=(S.shelter, S.health, S.psychosocial, S.legal, S.law_enforcement),
        female_share=0.9,
        minors=True,
        stage_weights=TRAFFICKING_STAGES,
        place="Nightclub raid",
    ),
    "agriculture": Profile(
        situation=Situation.trafficking,
        exploitation_types=(ET.ForcedLabour,),
        industries=(FI.A_AgricultureForestryAndFishing,),
        means=(MC.DebtBondage, MC.WithholdsNecessities, MC.TakesEarnings, MC.ExcessiveWorkingHours),
        indicators=(IN.debt_bondage, IN.abusive_conditions, IN.withholding_of_wages, IN.isolation),
        needs=(S.shelter, S.labour_inspection, S.legal),
        female_share=0.25,
        minors=True,
        stage_weights=TRAFFICKING_STAGES,
        place="Farm, during a labour inspection",
    ),
    "construction": Profile(
        situation=Situation.trafficking,
        exploitation_types=(ET.ForcedLabour,),
        industries=(FI.F_Construction,),
        means=(MC.TakesEarnings, MC.WithholdsDocuments, MC.ThreatsLawEnforcement, MC.FalsePromises),
        indicators=(
            IN.withholding_of_wages,
            IN.retention_of_identity_documents,
            IN.abusive_conditions,
        ),
        needs=(S.legal, S.labour_inspection, S.health),
        female_share=0.05,
        minors=False,
        stage_weights=TRAFFICKING_STAGES,
        place="Building site",
    ),
    "hospitality": Profile(
        situation=Situation.trafficking,
        exploitation_types=(ET.ForcedLabour,),
        industries=(FI.I_AccommodationAndFoodServiceActivities,),
        means=(MC.ExcessiveWorkingHours, MC.TakesEarnings, MC.FalsePromises, MC.PsychologicalAbuse),
        indicators=(
            IN.deception,
            IN.excessive_overtime,
            IN.withholding_of_wages,
            IN.abusive_conditions,
        ),
        needs=(S.legal, S.labour_inspection, S.psychosocial),
        female_share=0.6,
        minors=False,
        stage_weights=TRAFFICKING_STAGES,
        place="Restaurant kitchen",
    ),
    "smuggling": Profile(
        situation=Situation.migrant_smuggling,
        exploitation_types=(),
        industries=(),
        means=(),
        indicators=(IN.abuse_of_vulnerability,),
        needs=(S.health, S.legal),
        female_share=0.4,
        minors=False,
        stage_weights=(2, 3, 3, 3, 3, 4),
        place="Border crossing",
    ),
    "labour_rights": Profile(
        situation=Situation.labour_rights_violation,
        exploitation_types=(),
        industries=(),
        means=(),
        indicators=(IN.withholding_of_wages, IN.excessive_overtime),
        needs=(S.labour_inspection, S.legal),
        female_share=0.5,
        minors=False,
        stage_weights=(2, 3, 4, 4, 0, 5),
        place="Walk-in at the consulate",
    ),
    "undetermined": Profile(
        situation=Situation.undetermined,
        exploitation_types=(),
        industries=(),
        means=(),
        indicators=(IN.abuse_of_vulnerability,),
        needs=(S.psychosocial,),
        female_share=0.6,
        minors=False,
        stage_weights=(2, 1, 0, 0, 0, 0),
        place="Bus terminal",
    ),
}

# Reporting country: (number of cases, scenarios cycled through). A scenario is
# (consular post, country of exploitation, profile, referrals "organisation:service ...").
# The consulate attends its own nationals abroad, so most referrals cross the border.
Scenario = tuple[str, str | None, str, str]
CASE_SCENARIOS: dict[str, tuple[int, tuple[Scenario, ...]]] = {
    "AR": (
        5,
        (
            ("São Paulo", "BR", "sexual", "netp_sp:psychosocial shelter_sp:shelter"),
            ("Santiago", "CL", "hospitality", "labour_cl:labour_inspection"),
            ("Montevideo", "UY", "labour_rights", "labour_uy:labour_inspection"),
            ("Asunción", "PY", "sexual", "fiscalia_py:law_enforcement mujer_py:psychosocial"),
        ),
    ),
    "BO": (
        11,
        (
            ("Buenos Aires", "AR", "textile", "protex:law_enforcement rescate_ar:shelter"),
            ("São Paulo", "BR", "textile", "mpt_sp:labour_inspection shelter_sp:shelter"),
            ("Buenos Aires", "AR", "domestic", "rescate_ar:psychosocial legal_ar:legal"),
            ("Santiago", "CL", "agriculture", "labour_cl:labour_inspection"),
            ("Mendoza", "AR", "agriculture", "protex:law_enforcement labour_ar:labour_inspection"),
            ("São Paulo", "BR", "labour_rights", "labour_sp:labour_inspection"),
            ("Arica", "CL", "smuggling", "bitrap_cl:law_enforcement"),
            ("Buenos Aires", "AR", "undetermined", ""),
        ),
    ),
    "BR": (
        7,
        (
            ("Buenos Aires", "AR", "sexual", "protex:law_enforcement rescate_ar:psychosocial"),
            ("Ciudad del Este", "PY", "agriculture", "fiscalia_py:law_enforcement netp_sp:legal"),
            ("Asunción", "PY", "sexual", "mujer_py:shelter fiscalia_py:law_enforcement"),
            ("Santa Cruz de la Sierra", "BO", "construction", "felcc_bo:law_enforcement"),
            ("Montevideo", "UY", "labour_rights", "labour_uy:labour_inspection"),
            ("Buenos Aires", "AR", "undetermined", ""),
        ),
    ),
    "CL": (
        5,
        (
            ("Mendoza", "AR", "agriculture", "labour_ar:labour_inspection protex:law_enforcement"),
            ("Neuquén", "AR", "construction", "labour_ar:labour_inspection legal_ar:legal"),
            ("Buenos Aires", "AR", "sexual", "protex:law_enforcement rescate_ar:shelter"),
            ("Mendoza", "AR", "labour_rights", "labour_ar:labour_inspection"),
        ),
    ),
    "CO": (
        8,
        (
            ("Santiago", "CL", "sexual", "bitrap_cl:law_enforcement shelter_cl:shelter"),
            ("Antofagasta", "CL", "sexual", "bitrap_cl:law_enforcement coat_co:legal"),
            ("Lima", "PE", "sexual", "health_pe:health coat_co:psychosocial"),
            ("Santiago", "CL", "smuggling", "shelter_cl:shelter"),
            ("Lima", "PE", "construction", "health_pe:health coat_co:legal"),
            ("Buenos Aires", "AR", "hospitality", "labour_ar:labour_inspection legal_ar:legal"),
        ),
    ),
    "PY": (
        11,
        (
            ("Buenos Aires", "AR", "domestic", "rescate_ar:shelter mujer_py:psychosocial"),
            ("Buenos Aires", "AR", "sexual", "protex:law_enforcement rescate_ar:psychosocial"),
            ("Buenos Aires", "AR", "textile", "protex:law_enforcement labour_ar:labour_inspection"),
            ("Posadas", "AR", "sexual", "protex:law_enforcement mujer_py:shelter"),
            ("São Paulo", "BR", "textile", "mpt_sp:labour_inspection shelter_sp:shelter"),
            ("Foz do Iguaçu", "BR", "smuggling", "netp_sp:legal"),
            ("Buenos Aires", "AR", "domestic", "legal_ar:legal mujer_py:reintegration"),
            ("Clorinda", "AR", "undetermined", ""),
        ),
    ),
    "PE": (
        8,
        (
            ("Santiago", "CL", "domestic", "shelter_cl:shelter bitrap_cl:law_enforcement"),
            ("Arica", "CL", "agriculture", "labour_cl:labour_inspection consul_pe_cl:legal"),
            ("Buenos Aires", "AR", "textile", "protex:law_enforcement rescate_ar:psychosocial"),
            ("Santiago", "CL", "labour_rights", "labour_cl:labour_inspection"),
            ("La Paz", "BO", "sexual", "felcc_bo:law_enforcement shelter_bo:shelter"),
            ("Santiago", "CL", "hospitality", "labour_cl:labour_inspection health_pe:psychosocial"),
        ),
    ),
    "UY": (
        5,
        (
            ("Buenos Aires", "AR", "sexual", "protex:law_enforcement rescate_ar:psychosocial"),
            ("São Paulo", "BR", "hospitality", "mpt_sp:labour_inspection shelter_sp:shelter"),
            ("Buenos Aires", "AR", "domestic", "rescate_ar:shelter mides_uy:psychosocial"),
            ("Porto Alegre", "BR", "undetermined", ""),
        ),
    ),
}
# Stages pinned for the browser test: Brazil's first case is shared with Argentina (its
# referral goes to PROTEX), its second is referred within Paraguay and Brazil only.
PINNED_STAGES: dict[tuple[str, int], Stage] = {
    ("BR", 0): Stage.assistance,
    ("BR", 1): Stage.referred,
}
# Days (least, most) a case took to reach each stage from the one before it.
DAYS_TO_REACH: dict[Stage, tuple[int, int]] = {
    Stage.screening: (0, 7),
    Stage.referred: (2, 21),
    Stage.assistance: (3, 30),
    Stage.return_reintegration: (20, 90),
    Stage.closed: (10, 90),
}
# Days (least, most) a case has been in its current stage, up to yesterday.
DAYS_IN_STAGE: dict[Stage, tuple[int, int]] = {
    Stage.identified: (1, 10),
    Stage.screening: (2, 30),
    Stage.referred: (3, 60),
    Stage.assistance: (5, 120),
    Stage.return_reintegration: (3, 60),
    Stage.closed: (1, 300),
}
# Who organises the return home, by citizenship: (organisation key, service, counterpart).
RETURN_PARTNERS: dict[str, tuple[str, Service, str]] = {
    "AR": ("rescate_ar", S.reintegration, "Programa Nacional de Rescate (Ministerio de Justicia)"),
    "BO": ("iom_bo", S.return_, "Dirección General de Trata y Tráfico de Personas and IOM Bolivia"),
    "BR": ("netp_sp", S.reintegration, "Núcleo de Enfrentamento ao Tráfico de Pessoas (NETP-SP)"),
    "CL": (
        "iom_regional",
        S.return_,
        "Programa de Apoyo a Víctimas (Subsecretaría de Prevención del Delito)",
    ),
    "CO": (
        "iom_co",
        S.return_,
        "Centro Operativo Anti-Trata (Ministerio del Interior) and IOM Colombia",
    ),
    "PE": ("iom_pe", S.return_, "Ministerio de la Mujer y Poblaciones Vulnerables and IOM Peru"),
    "PY": ("iom_py", S.return_, "Ministerio de la Mujer and IOM Paraguay"),
    "UY": ("mides_uy", S.reintegration, "MIDES – Inmujeres"),
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

Progress = Callable[[str, int, int], None]
Event = tuple[datetime, CaseEventKind, UserAccount, str, dict[str, Any]]


@dataclass
class ReferralPlan:
    org_key: str
    service: Service
    sent_on: date
    state: ReferralState = ReferralState.pending
    answered_on: date | None = None
    decline_reason: str | None = None


@dataclass
class CasePlan:
    reporting_country: str
    fields: dict[str, Any]
    stage: Stage
    steps: list[tuple[Stage, date]]
    referrals: list[ReferralPlan] = field(default_factory=list)
    notes: list[tuple[date, str]] = field(default_factory=list)
    # Set on the table row only: closure reason and return details.
    outcome: dict[str, Any] = field(default_factory=dict)
    assigned: bool = False
    code: str = ""


def seed_demo(
    *,
    session: Session,
    progress: Progress | None = None,
    today: date | None = None,
) -> dict[str, int]:
    """Create the demo data that is missing; return the rows created per table.

    One transaction, committed at the end; a second run creates nothing (all zeros).
    """
    seeder = _Seeder(session, random.Random(SEED), today or date.today())
    steps: list[tuple[str, Callable[[], None]]] = [
        (N_("Courses and modules"), seeder.courses),
        (N_("Participants"), seeder.participants),
        (N_("Enrollments and module progress"), seeder.enrollments),
        (N_("Organisations"), seeder.organisations),
        (N_("Demo accounts"), seeder.accounts),
        (N_("Referral cases, referrals and timelines"), seeder.cases),
    ]
    for done, (label, step) in enumerate(steps, start=1):
        step()
        session.flush()
        if progress:
            progress(label, done, len(steps))
    created = {table: count for table, count in seeder.counts.items() if count}
    if created:
        audit.record(
            session,
            actor=None,
            actor_email="seed_demo",
            action=audit.AuditAction.seed_demo,
            entity="database",
            changes=audit.diff({}, created),
        )
    session.commit()
    return dict(seeder.counts)


class _Seeder:
    """The state one seed run shares between its steps: lookups and created counts."""

    def __init__(self, session: Session, rng: random.Random, today: date) -> None:
        self.session = session
        self.rng = rng
        self.today = today
        self.counts: dict[str, int] = {_table(model): 0 for model in CREATED_TABLES}
        self.courses_by_code: dict[str, Course] = {}
        self.modules: dict[str, list[Module]] = {}
        self.participants_by_email: dict[str, Participant] = {}
        self.orgs: dict[str, Organisation] = {}
        self.users: dict[str, UserAccount] = {}

    def add(self, row: SQLModel) -> None:
        self.session.add(row)
        self.counts[_table(type(row))] += 1

    # -- courses -------------------------------------------------------------------------------

    def courses(self) -> None:
        self._anchor_today()
        start, end = (self.today + timedelta(days=d) for d in COURSE_2026_DAYS)
        current = {**COURSE_2026, "starts_on": start, "ends_on": end}
        modules_2026 = [(title, True, start + timedelta(days=due)) for title, due in MODULES_2026]
        for data, modules in ((COURSE_2018, MODULES_2018), (current, tuple(modules_2026))):
            course = self._course(data)
            self.courses_by_code[course.code] = course
            self.modules[course.code] = self._modules(course, modules)

    def _anchor_today(self) -> None:
        """Once the current course exists, its start fixes the demo's "today": a later run
        plans the same cases and progress, finds them all, and creates nothing."""
        current = self.session.exec(
            select(Course).where(Course.code == COURSE_2026["code"])
        ).first()
        if current and current.starts_on:
            self.today = current.starts_on - timedelta(days=COURSE_2026_DAYS[0])

    def _course(self, data: dict[str, Any]) -> Course:
        existing = self.session.exec(select(Course).where(Course.code == data["code"])).first()
        if existing:
            return existing
        course = Course.model_validate(CourseCreate(**data))
        self.add(course)
        self.session.flush()
        return course

    def _modules(self, course: Course, plan: Iterable[tuple[str, bool, date]]) -> list[Module]:
        existing = {
            module.title: module
            for module in self.session.exec(select(Module).where(Module.course_id == course.id))
        }
        modules = []
        for position, (title, required, due) in enumerate(plan, start=1):
            module = existing.get(title)
            if module is None:
                module_in = ModuleCreate(
                    course_id=course.id or 0,
                    position=position,
                    title=title,
                    is_required=required,
                    due_on=due,
                )
                module = Module.model_validate(module_in)
                self.add(module)
            modules.append(module)
        return modules

    # -- participants --------------------------------------------------------------------------

    def participants(self) -> None:
        planned = [
            *_participant_rows(OFFICERS_2018, officers=True),
            *_participant_rows(NEW_PARTICIPANTS_2026, officers=False),
        ]
        emails = [row.email for row in planned]
        self.participants_by_email = {
            p.email: p
            for p in self.session.exec(
                select(Participant).where(col(Participant.email).in_(emails))
            )
        }
        for participant_in in planned:
            if participant_in.email not in self.participants_by_email:
                participant = Participant.model_validate(participant_in)
                self.add(participant)
                self.participants_by_email[participant.email] = participant

    # -- enrollments and progress --------------------------------------------------------------

    def enrollments(self) -> None:
        self.session.flush()
        officers = [row.email for row in _participant_rows(OFFICERS_2018, officers=True)]
        self._enroll(
            "HT-2018", [(e, s) for e, s in zip(officers, self._statuses_2018(), strict=True)]
        )
        signing_in = [email for email in officers if email.endswith("@enlace.test")]
        newcomers = [row.email for row in _participant_rows(NEW_PARTICIPANTS_2026, officers=False)]
        others = [*RETURNING_2026, *newcomers]
        statuses = [EnrollmentStatus.invited] * 4 + [EnrollmentStatus.active] * (len(others) - 4)
        self.rng.shuffle(statuses)
        plan = [(email, EnrollmentStatus.active) for email in signing_in]
        self._enroll("HT-2026", plan + list(zip(others, statuses, strict=True)))

    def _statuses_2018(self) -> list[EnrollmentStatus]:
        """Per officer, in table order: the signing-in officers completed (Bolivia's is
        behind); of the others, exactly two withdrew and six fell behind."""
        others = (
            [EnrollmentStatus.withdrawn] * 2
            + [EnrollmentStatus.active] * 6
            + [EnrollmentStatus.completed] * 24
        )
        self.rng.shuffle(others)
        statuses = []
        for country in COUNTRIES:
            first = EnrollmentStatus.active if country == "BO" else EnrollmentStatus.completed
            statuses += [first] + [others.pop() for _ in range(4)]
        return statuses

    def _enroll(self, code: str, plan: list[tuple[str, EnrollmentStatus]]) -> None:
        course = self.courses_by_code[code]
        modules = self.modules[code]
        enrolled = set(
            self.session.exec(
                select(Enrollment.participant_id).where(Enrollment.course_id == course.id)
            )
        )
        plan_progress = _progress_2018 if code == "HT-2018" else self._progress_2026
        created = []
        for email, status in plan:
            enrollment_data, progress_rows = plan_progress(self.rng, status, modules)
            participant = self.participants_by_email[email]
            if participant.id in enrolled:
                continue
            enrollment_in = EnrollmentCreate(
                participant_id=participant.id or 0,
                course_id=course.id or 0,
                status=status,
                **enrollment_data,
            )
            last_change = enrollment_in.completed_on or enrollment_in.enrolled_on
            enrollment = Enrollment.model_validate(
                enrollment_in, update={"updated_at": _at(last_change or self.today)}
            )
            self.add(enrollment)
            created.append((enrollment, progress_rows))
        self.session.flush()
        for enrollment, progress_rows in created:
            for module, row in zip(modules, progress_rows, strict=True):
                self._add_progress(enrollment, module, row)

    def _add_progress(self, enrollment: Enrollment, module: Module, row: dict[str, Any]) -> None:
        progress_in = ModuleProgressCreate(
            enrollment_id=enrollment.id or 0, module_id=module.id or 0, source="manual", **row
        )
        updated = progress_in.completed_on or enrollment.enrolled_on or self.today
        self.add(ModuleProgress.model_validate(progress_in, update={"updated_at": _at(updated)}))

    def _progress_2026(
        self, rng: random.Random, status: EnrollmentStatus, modules: list[Module]
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        start = self.today + timedelta(days=COURSE_2026_DAYS[0])
        if status == EnrollmentStatus.invited:
            enrolled_on = self.today - timedelta(days=rng.randint(1, 10))
            return {"enrolled_on": enrolled_on}, [{} for _ in modules]
        done = rng.choice((0, 1, 1, 2, 2, 2, 2, 3))  # fewer than 2: behind schedule
        working = rng.random() < 0.5
        rows: list[dict[str, Any]] = []
        for position, module in enumerate(modules, start=1):
            if position <= done:
                due = module.due_on or self.today
                day = min(due - timedelta(days=rng.randint(0, 8)), self.today - timedelta(days=1))
                rows.append(_completed(rng, max(day, start), graded=True))
            elif position == done + 1 and working:
                rows.append({"state": ProgressState.in_progress})
            else:
                rows.append({})
        return {"enrolled_on": start - timedelta(days=rng.randint(0, 7))}, rows

    # -- organisations and accounts ------------------------------------------------------------

    def organisations(self) -> None:
        existing = {(o.name, o.country): o for o in self.session.exec(select(Organisation))}
        for key, (name, org_type, country, city, services) in ORGANISATIONS.items():
            org = existing.get((name, country))
            if org is None:
                org_in = OrganisationCreate(
                    name=name,
                    org_type=org_type,
                    country=country,
                    city=city,
                    services=list(services),
                    contact=f"{key.replace('_', '.')}@partners.enlace.test",
                )
                org = Organisation.model_validate(org_in)
                self.add(org)
            self.orgs[key] = org
        self.session.flush()

    def accounts(self) -> None:
        emails = [email for email, _, _ in DEMO_ACCOUNTS]
        self.users = {
            u.email: u
            for u in self.session.exec(
                select(UserAccount).where(col(UserAccount.email).in_(emails))
            )
        }
        for email, role, country in DEMO_ACCOUNTS:
            if email not in self.users:
                user = UserAccount.model_validate(self._account_in(email, role, country))
                self.add(user)
                self.users[email] = user
        self.session.flush()

    def _account_in(self, email: str, role: Role, country: str | None) -> UserAccountCreate:
        if role != Role.officer:
            name, language, org_key = STAFF_PROFILES[email]
            org_id = self.orgs[org_key].id if org_key else None
            return UserAccountCreate(
                email=email,
                display_name=name,
                role=role,
                preferred_language=language,
                organisation_id=org_id,
            )
        participant = self.participants_by_email[email]
        return UserAccountCreate(
            email=email,
            display_name=participant.full_name,
            role=role,
            country=country,
            preferred_language=FOREIGN_SERVICES[country or ""][1],
            participant_id=participant.id,
        )

    # -- cases ---------------------------------------------------------------------------------

    def cases(self) -> None:
        plans = [
            _plan_case(self.rng, self.today, country, index, scenarios[index % len(scenarios)])
            for country, (count, scenarios) in CASE_SCENARIOS.items()
            for index in range(count)
        ]
        _assign_codes(plans)
        codes = [plan.code for plan in plans]
        existing = set(
            self.session.exec(select(Case.case_code).where(col(Case.case_code).in_(codes)))
        )
        coordinator = self.users["coordinator@enlace.test"]
        created = []
        for plan in plans:
            if plan.code in existing:
                continue
            officer = self.users[f"officer.{plan.reporting_country.lower()}@enlace.test"]
            timeline = self._timeline(plan, officer, coordinator)
            case = self._add_case(plan, officer, coordinator, timeline)
            created.append((plan, case, officer, timeline))
        self.session.flush()
        for plan, case, officer, timeline in created:
            for referral in plan.referrals:
                self._add_referral(referral, case, officer)
            for created_at, kind, author, note, details in timeline:
                event = CaseEvent(
                    case_id=case.id or 0,
                    kind=kind,
                    author_id=author.id,
                    note=note,
                    details=details,
                    created_at=created_at,
                )
                self.add(event)

    def _add_case(
        self,
        plan: CasePlan,
        officer: UserAccount,
        coordinator: UserAccount,
        timeline: list[Event],
    ) -> Case:
        case_in = CaseCreate(reporting_country=plan.reporting_country, **plan.fields)
        moves = [at for at, kind, *_ in timeline if kind == CaseEventKind.stage_change]
        extra: dict[str, Any] = {
            "case_code": plan.code,
            "reported_by_id": officer.id,
            "assigned_to_id": coordinator.id if plan.assigned else None,
            "stage": plan.stage,
            "stage_changed_at": moves[-1] if moves else timeline[0][0],
            "version": len(plan.steps),
            "created_at": timeline[0][0],
            "updated_at": timeline[-1][0],
        }
        case = Case.model_validate(case_in, update=extra | plan.outcome)
        self.add(case)
        return case

    def _timeline(
        self, plan: CasePlan, officer: UserAccount, coordinator: UserAccount
    ) -> list[Event]:
        """The case's events in order, 20 minutes apart within a day."""
        # (day, order within the day, kind, author, note, details)
        entries: list[tuple[date, int, CaseEventKind, UserAccount, str, dict[str, Any]]] = [
            (plan.steps[0][1], 0, CaseEventKind.created, officer, "", {"case_code": plan.code})
        ]
        for (before, _), (stage, day) in itertools.pairwise(plan.steps):
            author = officer if stage in (Stage.screening, Stage.referred) else coordinator
            change = {"from": before.value, "to": stage.value}
            entries.append((day, 1, CaseEventKind.stage_change, author, "", change))
        entries += [(day, 2, CaseEventKind.note, officer, note, {}) for day, note in plan.notes]
        for referral in plan.referrals:
            details = self._referral_details(referral, plan.reporting_country)
            entries.append((referral.sent_on, 3, CaseEventKind.referral_sent, officer, "", details))
            if referral.answered_on:
                answer = {**details, "state": referral.state.value}
                kind = CaseEventKind.referral_answered
                entries.append((referral.answered_on, 3, kind, coordinator, "", answer))
        if "return_counterpart" in plan.outcome:
            day = dict(plan.steps)[Stage.return_reintegration]
            details = {
                "counterpart": plan.outcome["return_counterpart"],
                "travel_date": plan.outcome["return_travel_date"].isoformat(),
            }
            entries.append((day, 4, CaseEventKind.return_coordinated, coordinator, "", details))
        ordered = sorted(entries, key=lambda entry: entry[:2])
        return [
            (_at(day) + timedelta(minutes=20 * index), kind, author, note, details)
            for index, (day, _, kind, author, note, details) in enumerate(ordered)
        ]

    def _referral_details(self, referral: ReferralPlan, reporting_country: str) -> dict[str, Any]:
        org = self.orgs[referral.org_key]
        return {
            "organisation": org.name,
            "service": referral.service.value,
            "cross_border_country": org.country if org.country != reporting_country else None,
        }

    def _add_referral(self, plan: ReferralPlan, case: Case, officer: UserAccount) -> None:
        org = self.orgs[plan.org_key]
        referral_in = ReferralCreate(
            case_id=case.id or 0,
            organisation_id=org.id or 0,
            service=plan.service,
            sent_on=plan.sent_on,
        )
        update = {
            "state": plan.state,
            "answered_on": plan.answered_on,
            "decline_reason": plan.decline_reason,
            "cross_border_country": org.country if org.country != case.reporting_country else None,
            "created_by_id": officer.id,
            "created_at": _at(plan.sent_on),
        }
        self.add(Referral.model_validate(referral_in, update=update))


# -- participant and progress plans ------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def _participant_rows(
    table: dict[str, tuple[tuple[str, str, Gender], ...]], *, officers: bool
) -> list[ParticipantCreate]:
    rows = []
    for country, people in table.items():
        ministry, language, domain, posts = FOREIGN_SERVICES[country]
        for index, (given, surnames, gender) in enumerate(people):
            first, last = _ascii(given.split()[0]), _ascii(surnames.split()[0])
            signs_in = officers and index == 0
            email = (
                f"officer.{country.lower()}@enlace.test" if signs_in else f"{first}.{last}@{domain}"
            )
            rows.append(
                ParticipantCreate(
                    full_name=f"{given} {surnames}",
                    email=email,
                    country=country,
                    consular_post=posts[(index + (0 if officers else 2)) % len(posts)],
                    institution=ministry,
                    position=POSITIONS[index % len(POSITIONS)]
                    if officers
                    else "Consular assistant",
                    gender=gender,
                    language=language,
                    external_id=f"{first[0]}{last}_{country.lower()}",
                )
            )
    return rows


def _completed(rng: random.Random, day: date, *, graded: bool) -> dict[str, Any]:
    if not graded:
        return {"state": ProgressState.completed, "completed_on": day}
    return {
        "state": ProgressState.completed_pass,
        "score": float(rng.randint(62, 99)),
        "completed_on": day,
    }


def _completion_day(rng: random.Random, due: date) -> date:
    """Mostly some days before the due date, now and then a few days late."""
    if rng.random() < 0.12:
        return due + timedelta(days=rng.randint(1, 6))
    return due - timedelta(days=rng.randint(0, 9))


def _progress_2018(
    rng: random.Random, status: EnrollmentStatus, modules: list[Module]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    enrolled_on = date(2018, 3, 19) + timedelta(days=rng.randint(0, 11))
    if status == EnrollmentStatus.completed:
        return _completed_2018(rng, enrolled_on, modules)
    done = rng.randint(2, 5) if status == EnrollmentStatus.active else rng.randint(0, 2)
    rows: list[dict[str, Any]] = []
    for position, module in enumerate(modules, start=1):
        due = module.due_on or date(2018, 7, 3)
        if position <= done:
            rows.append(
                _completed(rng, _completion_day(rng, due), graded=position not in UNGRADED_2018)
            )
        elif position == done + 1 and status == EnrollmentStatus.active:
            rows.append(_stuck(rng, due, graded=position not in UNGRADED_2018))
        else:
            rows.append({})
    enrollment: dict[str, Any] = {"enrolled_on": enrolled_on}
    if status == EnrollmentStatus.withdrawn:
        # They stopped when the first module they never finished fell due.
        enrollment["withdrawn_on"] = modules[done].due_on if done < len(modules) else None
    return enrollment, rows


def _stuck(rng: random.Random, due: date, *, graded: bool) -> dict[str, Any]:
    """The module a participant who fell behind is stuck on: failed quiz or half done."""
    if graded and rng.random() < 0.5:
        day = due - timedelta(days=rng.randint(0, 5))
        return {
            "state": ProgressState.completed_fail,
            "score": float(rng.randint(25, 55)),
            "completed_on": day,
        }
    return {"state": ProgressState.in_progress}


def _completed_2018(
    rng: random.Random, enrolled_on: date, modules: list[Module]
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    rows: list[dict[str, Any]] = []
    for position, module in enumerate(modules, start=1):
        due = module.due_on or date(2018, 7, 3)
        if not module.is_required:
            took_it = rng.random() < 0.9
            day = due - timedelta(days=rng.randint(0, 4))
            rows.append(_completed(rng, day, graded=True) if took_it else {})
        else:
            rows.append(
                _completed(rng, _completion_day(rng, due), graded=position not in UNGRADED_2018)
            )
    scores = [row["score"] for row in rows if row.get("score") is not None]
    grade = round(min(98.0, max(60.0, sum(scores) / len(scores))), 1)
    completed_on = max(row["completed_on"] for row in rows if row)
    return {"enrolled_on": enrolled_on, "completed_on": completed_on, "final_grade": grade}, rows


# -- case plans -------------------------------------------------------------------------------


def _plan_case(
    rng: random.Random, today: date, country: str, index: int, scenario: Scenario
) -> CasePlan:
    post, where, profile_key, referral_targets = scenario
    profile = PROFILES[profile_key]
    stage = rng.choices(STAGE_ORDER, weights=profile.stage_weights)[0]
    stage = PINNED_STAGES.get((country, index), stage)
    path = _path(rng, stage, profile)
    steps = list(zip(path, _step_days(rng, path, today), strict=True))
    plan = CasePlan(
        reporting_country=country,
        fields=_case_fields(rng, country, post, where, profile, steps),
        stage=stage,
        steps=steps,
    )
    plan.assigned = stage != Stage.identified and (
        plan.fields["urgency"] == Urgency.high or rng.random() < 0.4
    )
    plan.referrals = _referrals(rng, plan, referral_targets, today)
    plan.notes = _notes(rng, steps)
    plan.outcome = _outcome(rng, plan)
    return plan


def _path(rng: random.Random, stage: Stage, profile: Profile) -> tuple[Stage, ...]:
    if stage != Stage.closed:
        return STAGE_ORDER[: STAGE_ORDER.index(stage) + 1]
    weights = (0, 3, 1) if profile.stage_weights[4] == 0 else (3, 2, 1)
    return CLOSED_PATHS[rng.choices(tuple(CLOSED_PATHS), weights=weights)[0]]


def _closed_path(plan: CasePlan) -> str:
    stages = [stage for stage, _ in plan.steps]
    if Stage.return_reintegration in stages:
        return "return"
    return "assistance" if Stage.assistance in stages else "short"


def _step_days(rng: random.Random, path: tuple[Stage, ...], today: date) -> list[date]:
    """The day the case reached each stage of `path`, the last one before today."""
    gaps = [rng.randint(*DAYS_TO_REACH[stage]) for stage in path[1:]]
    since_last = rng.randint(*DAYS_IN_STAGE[path[-1]])
    day = today - timedelta(days=since_last + sum(gaps))
    days = [day]
    for gap in gaps:
        day += timedelta(days=gap)
        days.append(day)
    return days


def _case_fields(
    rng: random.Random,
    country: str,
    post: str,
    where: str | None,
    profile: Profile,
    steps: list[tuple[Stage, date]],
) -> dict[str, Any]:
    stage = steps[-1][0]
    identified_on = steps[0][1]
    minor = profile.minors and rng.random() < 0.12
    types = list(profile.exploitation_types)
    if minor and ET.ForcedLabour in types:
        types.append(ET.ChildLabour)
    returns = any(s == Stage.return_reintegration for s, _ in steps)
    consent = stage not in (Stage.identified, Stage.screening) or rng.random() < 0.6
    needs = [*profile.needs, *((S.return_, S.reintegration) if returns else ())]
    return {
        "consular_post": post,
        "identified_on": identified_on,
        "identified_place": rng.choice((profile.place, *IDENTIFIED_AT)),
        "person_alias": f"{rng.choice(INITIALS)}.{rng.choice(INITIALS)}.",
        "gender": _gender(rng, profile),
        "age_band": AgeBand.b9_17 if minor else rng.choices(ADULT_BANDS, ADULT_BAND_WEIGHTS)[0],
        "is_minor": minor,
        "citizenship": country,
        "primary_language": rng.choice(LANGUAGES.get(country, ("Spanish",))),
        "situation": profile.situation,
        "trafficking_status": _trafficking_status(profile.situation, stage),
        "exploitation_types": types,
        "forced_labour_industries": list(profile.industries),
        "means_of_control": _some(rng, profile.means, 2),
        "indicators": _some(rng, profile.indicators, 1),
        "exploitation_country": where if profile.situation != Situation.migrant_smuggling else None,
        "consent_given": consent,
        "consent_date": identified_on if consent else None,
        "consent_scope": _consent_scope(rng, consent, returns),
        "urgency": _urgency(rng, profile, minor),
        "needs": [service for service in Service if service in needs],
    }


def _some(rng: random.Random, pool: tuple[Any, ...], least: int) -> list[Any]:
    if not pool:
        return []
    chosen = set(rng.sample(pool, rng.randint(min(least, len(pool)), len(pool))))
    return [value for value in pool if value in chosen]


def _gender(rng: random.Random, profile: Profile) -> Gender:
    if profile.exploitation_types == (ET.SexualExploitation,) and rng.random() < 0.08:
        return Gender.TransgenderFeminine
    return Gender.Feminine if rng.random() < profile.female_share else Gender.Masculine


def _trafficking_status(situation: Situation, stage: Stage) -> TraffickingStatus | None:
    early = stage in (Stage.identified, Stage.screening)
    if situation == Situation.trafficking:
        return (
            TraffickingStatus.PossibleVictimOfTrafficking
            if early
            else TraffickingStatus.ActualVictimOfTrafficking
        )
    if situation == Situation.undetermined or stage == Stage.identified:
        return None
    return TraffickingStatus.NotAVictimOfTrafficking


def _consent_scope(rng: random.Random, consent: bool, returns: bool) -> list[ConsentScope]:
    if not consent:
        return []
    if returns or rng.random() < 0.4:
        return [ConsentScope.service_providers, ConsentScope.origin_authorities]
    return [ConsentScope.service_providers]


def _urgency(rng: random.Random, profile: Profile, minor: bool) -> Urgency:
    if minor:
        return Urgency.high
    if profile.exploitation_types and profile.exploitation_types[0] == ET.SexualExploitation:
        return rng.choices((Urgency.high, Urgency.medium), (3, 2))[0]
    if profile.situation == Situation.trafficking:
        return rng.choices((Urgency.high, Urgency.medium, Urgency.low), (2, 5, 1))[0]
    return rng.choices((Urgency.medium, Urgency.low), (2, 3))[0]


def _referrals(
    rng: random.Random,
    plan: CasePlan,
    targets: str,
    today: date,
) -> list[ReferralPlan]:
    days = dict(plan.steps)
    if Stage.referred not in days:
        return []
    referrals = [
        ReferralPlan(key, Service(service), days[Stage.referred])
        for key, service in (target.split(":") for target in targets.split())
    ]
    if Stage.return_reintegration in days:
        key, service, _ = RETURN_PARTNERS[plan.reporting_country]
        referrals.append(ReferralPlan(key, service, days[Stage.return_reintegration]))
    yesterday = today - timedelta(days=1)
    stopped = plan.stage == Stage.closed and _closed_path(plan) == "short"
    for position, referral in enumerate(referrals):
        # Answered before the case moved on to its next stage.
        answer_by = min((day for _, day in plan.steps if day > referral.sent_on), default=yesterday)
        last_of_several = position == len(referrals) - 1 > 0
        _answer(rng, referral, plan.stage, stopped, last_of_several, answer_by)
    return referrals


def _answer(
    rng: random.Random,
    referral: ReferralPlan,
    stage: Stage,
    stopped: bool,
    last_of_several: bool,
    answer_by: date,
) -> None:
    """The state of a referral, consistent with how far the case has gone."""
    if stage == Stage.referred:
        if last_of_several and rng.random() < 0.3:
            referral.state = ReferralState.declined
            referral.decline_reason = rng.choice(DECLINE_REASONS)
        elif rng.random() < 0.4:
            referral.state = ReferralState.accepted
    elif stopped:  # the person stopped: what was still open is withdrawn
        referral.state = rng.choice((ReferralState.completed, ReferralState.withdrawn))
    elif stage == Stage.closed:
        referral.state = ReferralState.completed
    elif stage == Stage.return_reintegration:
        referral.state = rng.choice((ReferralState.accepted, ReferralState.completed))
    else:
        referral.state = rng.choices((ReferralState.accepted, ReferralState.pending), (4, 1))[0]
    if referral.state not in (ReferralState.pending, ReferralState.withdrawn):
        answered = referral.sent_on + timedelta(days=rng.randint(1, 5))
        referral.answered_on = min(answered, answer_by)


def _notes(rng: random.Random, steps: list[tuple[Stage, date]]) -> list[tuple[date, str]]:
    notes = [(steps[0][1], rng.choice(NOTES[Stage.identified]))]
    later = [(stage, day) for stage, day in steps[1:] if stage in NOTES]
    if later:
        stage, day = rng.choice(later)
        notes.append((day, rng.choice(NOTES[stage])))
    return notes


def _outcome(rng: random.Random, plan: CasePlan) -> dict[str, Any]:
    outcome: dict[str, Any] = {}
    if plan.stage == Stage.closed:
        path = _closed_path(plan)
        if plan.fields["situation"] == Situation.labour_rights_violation and path != "short":
            path = "labour"
        outcome["closure_reason"] = rng.choice(CLOSURE_REASONS[path])
    if any(stage == Stage.return_reintegration for stage, _ in plan.steps):
        outcome |= _return_details(rng, plan)
    return outcome


def _return_details(rng: random.Random, plan: CasePlan) -> dict[str, Any]:
    days = dict(plan.steps)
    start = days[Stage.return_reintegration]
    end = days.get(Stage.closed)
    if end is not None:
        travel = start + timedelta(days=rng.randint(0, max((end - start).days, 0)))
    else:
        travel = start + timedelta(days=rng.randint(7, 30))
    return {
        "return_counterpart": RETURN_PARTNERS[plan.reporting_country][2],
        "return_travel_date": travel,
        "return_reception": RECEPTION,
    }


def _assign_codes(plans: list[CasePlan]) -> None:
    """`<CC>-<YYYY>-<NNNN>`: a sequence per reporting country and year of identification."""
    sequence: dict[tuple[str, int], int] = {}
    for plan in sorted(plans, key=lambda p: (p.steps[0][1], p.reporting_country)):
        key = (plan.reporting_country, plan.steps[0][1].year)
        sequence[key] = sequence.get(key, 0) + 1
        plan.code = f"{key[0]}-{key[1]}-{sequence[key]:04d}"


def _table(model: type[SQLModel]) -> str:
    return str(model.__tablename__)


def _at(day: date) -> datetime:
    """Nine in the morning (UTC) of `day`: the demo's working hours start."""
    return datetime.combine(day, time(9), tzinfo=UTC)
