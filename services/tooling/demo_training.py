"""The demo's side of the training-impact report and the screening guide (issue 16).

- Colleagues: besides the officer of each country who signs in, the other 2018 officers who
  did not withdraw get an officer account too (linked to their participant record), and
  share their country's cases, so the report compares officers who completed the course with
  those who did not on more than one person each.
- The screening guide: two cases in three carry the indicators their own assessment
  describes (an act, the means of control, the exploitation's purpose, the ILO indicators; the
  smuggling or labour markers), so the guide's suggestion can be compared with the officer's
  classification.
- A first classification: one screened trafficking or smuggling case in four was first
  classified otherwise (a labour-rights violation, or trafficking), and corrected at the
  screening stage, as the course teaches.

Deterministic (no random draws: the other demo draws stay as they were).
"""

from collections.abc import Sequence
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

import models
from models.enums import (
    EnrollmentStatus,
    ExploitationType,
    Language,
    MethodOfControl,
    Role,
    ScreeningIndicator,
    Situation,
    Stage,
)
from services.tooling.demo_data import FOREIGN_SERVICES

Code = ScreeningIndicator

MEANS: dict[MethodOfControl, Code] = {
    MethodOfControl.PhysicalThreats: Code.means_force_threats,
    MethodOfControl.ThreatsLawEnforcement: Code.intimidation_threats,
    MethodOfControl.ThreatensChildrenFamily: Code.intimidation_threats,
    MethodOfControl.DebtBondage: Code.debt_bondage,
    MethodOfControl.FalsePromises: Code.deception,
    MethodOfControl.PhysicalAbuse: Code.physical_sexual_violence,
    MethodOfControl.SexualAbuse: Code.physical_sexual_violence,
    MethodOfControl.TakesEarnings: Code.withholding_of_wages,
    MethodOfControl.RestrictsFinancialAccess: Code.withholding_of_wages,
    MethodOfControl.RestrictsMedicalCare: Code.abusive_conditions,
    MethodOfControl.WithholdsNecessities: Code.abusive_conditions,
    MethodOfControl.PsychologicalAbuse: Code.means_coercion,
    MethodOfControl.PsychoactiveSubstance: Code.means_coercion,
    MethodOfControl.ExcessiveWorkingHours: Code.excessive_overtime,
    MethodOfControl.WithholdsDocuments: Code.retention_of_identity_documents,
}
PURPOSES: dict[ExploitationType, Code] = {
    ExploitationType.ForcedLabour: Code.purpose_forced_labour,
    ExploitationType.ChildLabour: Code.purpose_forced_labour,
    ExploitationType.SexualExploitation: Code.purpose_sexual_exploitation,
    ExploitationType.ForcedBegging: Code.purpose_forced_begging_crime,
    ExploitationType.ForcedMarriage: Code.purpose_forced_marriage,
    ExploitationType.Servitude: Code.purpose_slavery_servitude,
    ExploitationType.OrganRemoval: Code.purpose_organ_removal,
}
SMUGGLING_SIGNS = (
    Code.smuggling_consent,
    Code.smuggling_irregular_crossing,
    Code.smuggling_ends_at_arrival,
)
LABOUR_SIGNS = (Code.labour_unpaid_wages, Code.labour_excessive_hours)


# -- colleagues --------------------------------------------------------------------------------


def colleague_accounts(
    session: Session,
    course_2018: models.Course,
    officers_2018: Sequence[models.Participant],
    existing: set[str],
) -> list[models.UserAccount]:
    """New officer accounts for the 2018 officers (other than those who sign in) who did not
    withdraw, in table order; none for an address that already has an account."""
    emails = [person.email for person in officers_2018 if person.email not in existing]
    withdrawn = set(
        session.exec(
            select(models.Participant.email)
            .join(models.Enrollment, col(models.Enrollment.participant_id) == models.Participant.id)
            .where(
                col(models.Participant.email).in_(emails),
                col(models.Enrollment.course_id) == course_2018.id,
                col(models.Enrollment.status) == EnrollmentStatus.withdrawn.value,
            )
        )
    )
    accounts = []
    for person in officers_2018:
        if person.email in existing or person.email in withdrawn:
            continue
        language: Language = FOREIGN_SERVICES[person.country or ""][1]
        account_in = models.UserAccountCreate(
            email=person.email,
            display_name=person.full_name,
            role=Role.officer,
            country=person.country,
            preferred_language=language,
            participant_id=person.id,
        )
        accounts.append(models.UserAccount.model_validate(account_in))
    return accounts


def reporting_officer(officers: Sequence[models.UserAccount], index: int) -> models.UserAccount:
    """Who opened a country's `index`-th case: the officer who signs in (first of
    `officers`) opens the even ones, the colleagues take turns with the odd ones."""
    colleagues = officers[1:]
    if index % 2 == 0 or not colleagues:
        return officers[0]
    return colleagues[(index // 2) % len(colleagues)]


# -- the screening guide -------------------------------------------------------------------------


def screening_signs(fields: dict[str, Any], index: int) -> list[str]:
    """The guide's indicators for a planned case (two in three cases), from its assessment."""
    if index % 3 == 2:
        return []
    situation = Situation(fields["situation"])
    if situation == Situation.migrant_smuggling:
        return [code.value for code in SMUGGLING_SIGNS]
    signs = [Code(str(indicator)) for indicator in fields.get("indicators") or []]
    means = [MethodOfControl(m) for m in fields.get("means_of_control") or []]
    signs += [MEANS[m] for m in means if m in MEANS]  # "Other" says nothing the guide asks
    if situation == Situation.labour_rights_violation:
        return _ordered([*LABOUR_SIGNS, *signs])
    if situation != Situation.trafficking:
        return []
    acts = [Code.act_recruitment]
    if fields.get("exploitation_country") not in (None, fields.get("citizenship")):
        acts.append(Code.act_transport)
    types = [ExploitationType(t) for t in fields.get("exploitation_types") or []]
    return _ordered([*acts, *signs, *[PURPOSES[t] for t in types if t in PURPOSES]])


def _ordered(codes: Sequence[Code]) -> list[str]:
    chosen = {str(code) for code in codes}
    return [code.value for code in Code if code.value in chosen]


def first_classification(fields: dict[str, Any], stage: Stage, index: int) -> Situation | None:
    """The officer's first classification, when it was not the situation the case has now:
    one screened trafficking or smuggling case in four."""
    if index % 4 != 1 or stage in (Stage.identified, Stage.screening):
        return None
    situation = Situation(fields["situation"])
    if situation == Situation.trafficking:
        return Situation.labour_rights_violation
    if situation == Situation.migrant_smuggling:
        return Situation.trafficking
    return None


def reclassified(first: Situation, fields: dict[str, Any]) -> dict[str, Any]:
    """The timeline's details of the correction."""
    return {
        "fields": ["situation"],
        "changes": {"situation": [first.value, str(fields["situation"])]},
    }


def screening_day(steps: Sequence[tuple[Stage, date]]) -> date:
    """The day the case reached screening (where a first classification is corrected)."""
    return dict(steps).get(Stage.screening, steps[0][1])
