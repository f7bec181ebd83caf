"""The demo seed's plans, before anything is written: its participants, each enrollment's
progress and each case (its path through the stages, its fields, referrals, notes and
outcome). Deterministic: every choice is drawn from the random generator given.
"""

import random
import unicodedata
import zlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from models import Module, ParticipantCreate
from models.enums import (
    STAGE_ORDER,
    AgeBand,
    ConsentScope,
    EnrollmentStatus,
    ExploitationType,
    Gender,
    ProgressState,
    ReferralState,
    Service,
    Situation,
    Stage,
    Urgency,
)
from services.cases import follow_ups
from services.tooling.case_draws import case_gender, case_urgency, trafficking_status
from services.tooling.demo_data import (
    ADULT_BAND_WEIGHTS,
    ADULT_BANDS,
    CLOSED_PATHS,
    CLOSURE_REASONS,
    DAYS_IN_STAGE,
    DAYS_TO_REACH,
    DECLINE_REASONS,
    FOREIGN_SERVICES,
    IDENTIFIED_AT,
    INITIALS,
    LANGUAGES,
    NOTES,
    PINNED_STAGES,
    POSITIONS,
    PROFILES,
    RECEPTION,
    RETURN_PARTNERS,
    UNGRADED_2018,
    Profile,
    Scenario,
)

ET = ExploitationType
_NINE: dict[tuple[date, int], datetime] = {}


def at_nine(day: date, minutes: int = 0) -> datetime:
    """Nine in the morning (UTC) of `day`, when the demo's working hours start, plus `minutes`.
    Kept per (day, minutes): the scale data asks ~1 M times for a few thousand values."""
    key = (day, minutes)
    found = _NINE.get(key)
    if found is None:
        nine = datetime.combine(day, time(9), tzinfo=UTC)
        found = _NINE[key] = nine + timedelta(minutes=minutes) if minutes else nine
    return found


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


# -- participant and progress plans ------------------------------------------------------------


def _ascii(text: str) -> str:
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def participant_rows(
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


def completed_progress(rng: random.Random, day: date, *, graded: bool) -> dict[str, Any]:
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


def progress_2018(
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
                completed_progress(
                    rng, _completion_day(rng, due), graded=position not in UNGRADED_2018
                )
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
            rows.append(completed_progress(rng, day, graded=True) if took_it else {})
        else:
            rows.append(
                completed_progress(
                    rng, _completion_day(rng, due), graded=position not in UNGRADED_2018
                )
            )
    scores = [row["score"] for row in rows if row.get("score") is not None]
    grade = round(min(98.0, max(60.0, sum(scores) / len(scores))), 1)
    completed_on = max(row["completed_on"] for row in rows if row)
    return {"enrolled_on": enrolled_on, "completed_on": completed_on, "final_grade": grade}, rows


# -- case plans -------------------------------------------------------------------------------


def plan_case(
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
    needs = [*profile.needs, *((Service.return_, Service.reintegration) if returns else ())]
    return {
        "consular_post": post,
        "identified_on": identified_on,
        "identified_place": rng.choice((profile.place, *IDENTIFIED_AT)),
        "person_alias": f"{rng.choice(INITIALS)}.{rng.choice(INITIALS)}.",
        "gender": case_gender(rng, profile),
        "age_band": AgeBand.b9_17 if minor else rng.choices(ADULT_BANDS, ADULT_BAND_WEIGHTS)[0],
        "is_minor": minor,
        "citizenship": country,
        "primary_language": rng.choice(LANGUAGES.get(country, ("Spanish",))),
        "situation": profile.situation,
        "trafficking_status": trafficking_status(profile.situation, stage),
        "exploitation_types": types,
        "forced_labour_industries": list(profile.industries),
        "means_of_control": _some(rng, profile.means, 2),
        "indicators": _some(rng, profile.indicators, 1),
        "exploitation_country": where if profile.situation != Situation.migrant_smuggling else None,
        "consent_given": consent,
        "consent_date": identified_on if consent else None,
        "consent_scope": _consent_scope(rng, consent, returns),
        "urgency": case_urgency(rng, profile, minor),
        "needs": [service for service in Service if service in needs],
    }


def _some(rng: random.Random, pool: tuple[Any, ...], least: int) -> list[Any]:
    if not pool:
        return []
    chosen = set(rng.sample(pool, rng.randint(min(least, len(pool)), len(pool))))
    return [value for value in pool if value in chosen]


def _consent_scope(rng: random.Random, consent: bool, returns: bool) -> list[ConsentScope]:
    if not consent:
        return []
    if returns or rng.random() < 0.4:
        return [ConsentScope.service_providers, ConsentScope.origin_authorities]
    return [ConsentScope.service_providers]


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


def assign_codes(plans: list[CasePlan]) -> None:
    """`<CC>-<YYYY>-<NNNN>`: a sequence per reporting country and year of identification."""
    sequence: dict[tuple[str, int], int] = {}
    for plan in sorted(plans, key=lambda p: (p.steps[0][1], p.reporting_country)):
        key = (plan.reporting_country, plan.steps[0][1].year)
        sequence[key] = sequence.get(key, 0) + 1
        plan.code = f"{key[0]}-{key[1]}-{sequence[key]:04d}"


# Where the demo's next follow-ups fall, once a case has been in its stage longer than the
# stage's period (its earlier follow-ups were done): by the case code, so the draws of the
# seed's generator stay as they are. A third overdue (1 to 9 days), one in twelve due today,
# the rest in the coming two weeks.
FOLLOW_UP_OFFSETS = (-9, -6, -3, -1, 0, 1, 2, 3, 5, 7, 10, 14)


def next_follow_up(plan: CasePlan, today: date) -> date | None:
    """The demo case's next follow-up: the stage's first one if it is recent enough, else one
    around today (none once closed)."""
    first = follow_ups.after_move(plan.stage, plan.steps[-1][1])
    if first is None or first >= today - timedelta(days=9):
        return first
    offset = FOLLOW_UP_OFFSETS[zlib.crc32(plan.code.encode()) % len(FOLLOW_UP_OFFSETS)]
    return today + timedelta(days=offset)
