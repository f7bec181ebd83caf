"""How a synthetic case's gender, urgency and trafficking status are drawn: the same rules
for the demo's cases (demo_plans.py) and the scale data's (scale_cases.py)."""

import random

from models.enums import ExploitationType, Gender, Situation, Stage, TraffickingStatus, Urgency
from services.tooling.demo_data import Profile
from services.tooling.draws import Draw

ET = ExploitationType
# rng.choices(...)[0] of these, with the weights accumulated once (draws.py).
_URGENCY_SEXUAL = Draw((Urgency.high, Urgency.medium), (3, 2))
_URGENCY_TRAFFICKING = Draw((Urgency.high, Urgency.medium, Urgency.low), (2, 5, 1))
_URGENCY_OTHER = Draw((Urgency.medium, Urgency.low), (2, 3))


def case_gender(rng: random.Random, profile: Profile) -> Gender:
    if profile.exploitation_types == (ET.SexualExploitation,) and rng.random() < 0.08:
        return Gender.TransgenderFeminine
    return Gender.Feminine if rng.random() < profile.female_share else Gender.Masculine


def trafficking_status(situation: Situation, stage: Stage) -> TraffickingStatus | None:
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


def case_urgency(rng: random.Random, profile: Profile, minor: bool) -> Urgency:
    if minor:
        return Urgency.high
    if profile.exploitation_types and profile.exploitation_types[0] == ET.SexualExploitation:
        return _URGENCY_SEXUAL(rng)
    if profile.situation == Situation.trafficking:
        return _URGENCY_TRAFFICKING(rng)
    return _URGENCY_OTHER(rng)
