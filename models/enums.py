"""Value sets stored as codes. HTCDS 2.0 / CTDC value names where the standard has one."""

from enum import StrEnum


class Role(StrEnum):
    officer = "officer"
    coordinator = "coordinator"
    manager = "manager"
    admin = "admin"
    # Staff of a partner organisation (UserAccount.organisation_id): answers the referrals
    # addressed to it, and sees nothing else of a case.
    partner = "partner"


class Language(StrEnum):
    en = "en"
    es = "es"
    pt = "pt"


class EnrollmentStatus(StrEnum):
    invited = "invited"
    active = "active"
    completed = "completed"
    withdrawn = "withdrawn"


class ProgressState(StrEnum):
    """Moodle's activity completion states."""

    not_started = "not_started"
    in_progress = "in_progress"
    completed = "completed"
    completed_pass = "completed_pass"
    completed_fail = "completed_fail"


COMPLETED_STATES = frozenset(
    {ProgressState.completed, ProgressState.completed_pass, ProgressState.completed_fail}
)


class OrgType(StrEnum):
    """HTCDS org_Type, plus the two kinds of partner this programme works with most."""

    NGO = "NGO"
    LawEnforcement = "LawEnforcement"
    HealthServiceOrganisation = "HealthServiceOrganisation"
    CentralGovernmentOrganisation = "CentralGovernmentOrganisation"
    LocalGovernmentOrganisation = "LocalGovernmentOrganisation"
    ImmigrationService = "ImmigrationService"
    LegalService = "LegalService"
    Consulate = "Consulate"
    InternationalOrganisation = "InternationalOrganisation"


class Service(StrEnum):
    shelter = "shelter"
    health = "health"
    psychosocial = "psychosocial"
    legal = "legal"
    return_ = "return"
    reintegration = "reintegration"
    labour_inspection = "labour_inspection"
    law_enforcement = "law_enforcement"


class Gender(StrEnum):
    """HTCDS prs_Gender."""

    Feminine = "Feminine"
    Masculine = "Masculine"
    TransgenderFeminine = "TransgenderFeminine"
    TransgenderMasculine = "TransgenderMasculine"
    NonConforming = "NonConforming"
    NonSpecifiedUnknown = "NonSpecifiedUnknown"


class AgeBand(StrEnum):
    """CTDC age bands."""

    b0_8 = "0-8"
    b9_17 = "9-17"
    b18_20 = "18-20"
    b21_23 = "21-23"
    b24_26 = "24-26"
    b27_29 = "27-29"
    b30_38 = "30-38"
    b39_47 = "39-47"
    b48_plus = "48+"


MINOR_AGE_BANDS = frozenset({AgeBand.b0_8, AgeBand.b9_17})


class Situation(StrEnum):
    trafficking = "trafficking"
    migrant_smuggling = "migrant_smuggling"
    labour_rights_violation = "labour_rights_violation"
    other = "other"
    undetermined = "undetermined"


class TraffickingStatus(StrEnum):
    """HTCDS vic_TraffickingStatus."""

    PossibleVictimOfTrafficking = "PossibleVictimOfTrafficking"
    ActualVictimOfTrafficking = "ActualVictimOfTrafficking"
    NotAVictimOfTrafficking = "NotAVictimOfTrafficking"


class ExploitationType(StrEnum):
    """HTCDS vic_TypeOfExploitation."""

    ForcedLabour = "ForcedLabour"
    SexualExploitation = "SexualExploitation"
    ChildLabour = "ChildLabour"
    ForcedMarriage = "ForcedMarriage"
    Servitude = "Servitude"
    ForcedMilitaryByNonStateActors = "ForcedMilitaryByNonStateActors"
    OrganRemoval = "OrganRemoval"
    ForcedBegging = "ForcedBegging"
    ForcedAdoption = "ForcedAdoption"
    Surrogacy = "Surrogacy"
    Other = "Other"


class ForcedLabourIndustry(StrEnum):
    """HTCDS vic_ForcedLabourIndustry (ISIC sections)."""

    A_AgricultureForestryAndFishing = "A_AgricultureForestryAndFishing"
    B_MiningAndQuarrying = "B_MiningAndQuarrying"
    C_Manufacturing = "C_Manufacturing"
    F_Construction = "F_Construction"
    G_WholesaleAndRetailTradeRepairOfMotorVehicles = (
        "G_WholesaleAndRetailTradeRepairOfMotorVehicles"
    )
    H_TransportationAndStorage = "H_TransportationAndStorage"
    I_AccommodationAndFoodServiceActivities = "I_AccommodationAndFoodServiceActivities"
    N_AdministrativeAndSupportServiceActivities = "N_AdministrativeAndSupportServiceActivities"
    R_ArtsEntertainmentAndRecreation = "R_ArtsEntertainmentAndRecreation"
    S_OtherServiceActivities = "S_OtherServiceActivities"
    T_ActivitiesOfHouseholdsAsEmployers = "T_ActivitiesOfHouseholdsAsEmployers"


class MethodOfControl(StrEnum):
    """HTCDS vic_MethodsOfControl."""

    PhysicalThreats = "PhysicalThreats"
    ThreatsLawEnforcement = "ThreatsLawEnforcement"
    ThreatensChildrenFamily = "ThreatensChildrenFamily"
    DebtBondage = "DebtBondage"
    FalsePromises = "FalsePromises"
    PhysicalAbuse = "PhysicalAbuse"
    SexualAbuse = "SexualAbuse"
    TakesEarnings = "TakesEarnings"
    RestrictsFinancialAccess = "RestrictsFinancialAccess"
    RestrictsMedicalCare = "RestrictsMedicalCare"
    WithholdsNecessities = "WithholdsNecessities"
    PsychologicalAbuse = "PsychologicalAbuse"
    PsychoactiveSubstance = "PsychoactiveSubstance"
    ExcessiveWorkingHours = "ExcessiveWorkingHours"
    WithholdsDocuments = "WithholdsDocuments"
    Other = "Other"


class Indicator(StrEnum):
    """The ILO's eleven indicators of forced labour, as observed by the officer."""

    abuse_of_vulnerability = "abuse_of_vulnerability"
    deception = "deception"
    restriction_of_movement = "restriction_of_movement"
    isolation = "isolation"
    physical_sexual_violence = "physical_sexual_violence"
    intimidation_threats = "intimidation_threats"
    retention_of_identity_documents = "retention_of_identity_documents"
    withholding_of_wages = "withholding_of_wages"
    debt_bondage = "debt_bondage"
    abusive_conditions = "abusive_conditions"
    excessive_overtime = "excessive_overtime"


class ScreeningIndicator(StrEnum):
    """What the screening guide of the case form asks about (services/cases/screening.py
    groups and explains them): UNODC's trafficking indicators as act / means / purpose, the
    ILO's eleven forced-labour indicators (the same codes as `Indicator`), the markers of
    migrant smuggling and of a labour-rights violation."""

    act_recruitment = "act_recruitment"
    act_transport = "act_transport"
    act_transfer = "act_transfer"
    act_harbouring = "act_harbouring"
    act_receipt = "act_receipt"
    means_force_threats = "means_force_threats"
    means_coercion = "means_coercion"
    means_abduction = "means_abduction"
    means_fraud_deception = "means_fraud_deception"
    means_abuse_of_power = "means_abuse_of_power"
    means_payments_to_controller = "means_payments_to_controller"
    purpose_sexual_exploitation = "purpose_sexual_exploitation"
    purpose_forced_labour = "purpose_forced_labour"
    purpose_slavery_servitude = "purpose_slavery_servitude"
    purpose_forced_begging_crime = "purpose_forced_begging_crime"
    purpose_forced_marriage = "purpose_forced_marriage"
    purpose_organ_removal = "purpose_organ_removal"
    abuse_of_vulnerability = "abuse_of_vulnerability"
    deception = "deception"
    restriction_of_movement = "restriction_of_movement"
    isolation = "isolation"
    physical_sexual_violence = "physical_sexual_violence"
    intimidation_threats = "intimidation_threats"
    retention_of_identity_documents = "retention_of_identity_documents"
    withholding_of_wages = "withholding_of_wages"
    debt_bondage = "debt_bondage"
    abusive_conditions = "abusive_conditions"
    excessive_overtime = "excessive_overtime"
    smuggling_consent = "smuggling_consent"
    smuggling_irregular_crossing = "smuggling_irregular_crossing"
    smuggling_ends_at_arrival = "smuggling_ends_at_arrival"
    labour_unpaid_wages = "labour_unpaid_wages"
    labour_excessive_hours = "labour_excessive_hours"
    labour_unsafe_conditions = "labour_unsafe_conditions"
    labour_no_contract = "labour_no_contract"


class ConsentScope(StrEnum):
    service_providers = "service_providers"
    origin_authorities = "origin_authorities"


class Urgency(StrEnum):
    high = "high"
    medium = "medium"
    low = "low"


class Stage(StrEnum):
    identified = "identified"
    screening = "screening"
    referred = "referred"
    assistance = "assistance"
    return_reintegration = "return_reintegration"
    closed = "closed"


STAGE_ORDER = tuple(Stage)


class ReferralState(StrEnum):
    pending = "pending"
    accepted = "accepted"
    declined = "declined"
    completed = "completed"
    withdrawn = "withdrawn"


class CaseEventKind(StrEnum):
    created = "created"
    note = "note"
    stage_change = "stage_change"
    assessment_updated = "assessment_updated"
    assigned = "assigned"
    referral_sent = "referral_sent"
    referral_answered = "referral_answered"
    return_coordinated = "return_coordinated"
    transfer_requested = "transfer_requested"
    transfer_answered = "transfer_answered"


class TransferState(StrEnum):
    """A transfer of a case's responsibility to another country (as Primero's transfers)."""

    pending = "pending"
    accepted = "accepted"
    declined = "declined"
