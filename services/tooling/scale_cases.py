"""Synthetic referral cases for `enlace seed scale`: drawn from the demo's scenarios in the
demo's proportions per reporting country, more every year since 2019, old cases mostly closed,
about five timeline events each, cross-border referrals. Rows are plain dicts with ids given
by the bulk writer (services/tooling/bulk_insert.py); case codes continue each country-year's
sequence.
"""

import itertools
import math
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from models import Case, CaseEvent, Referral
from models.enums import (
    STAGE_ORDER,
    AgeBand,
    CaseEventKind,
    ConsentScope,
    ExploitationType,
    Gender,
    ReferralState,
    Service,
    Situation,
    Stage,
    Urgency,
)
from services.cases import follow_ups
from services.platform.i18n import _
from services.tooling import demo_data as demo
from services.tooling.bulk_insert import BulkInsert
from services.tooling.case_draws import case_gender, case_urgency, trafficking_status
from services.tooling.demo_plans import at_nine
from services.tooling.draws import Draw, values
from services.tooling.scale_courses import FIRST_DAY, weighted

# Cases: the demo's share of each reporting country (its consulates attend their nationals).
CASE_WEIGHTS = {country: count for country, (count, _) in demo.CASE_SCENARIOS.items()}
# Closed paths and how often a closed case took each one. "early": screening found no
# trafficking and the person was informed of their rights, without a referral.
CLOSED_PATHS: dict[str, tuple[Stage, ...]] = {
    "early": (Stage.identified, Stage.screening, Stage.closed),
    **demo.CLOSED_PATHS,
}
CLOSED_PATH_WEIGHTS = {"early": 35, "short": 25, "assistance": 25, "return": 15}
EARLY_CLOSURES = (
    "Screening found no indicators of trafficking; the person was informed of their rights "
    "and of the labour inspectorate.",
    "The person did not want assistance after the first interview.",
)
# A case older than this many days is almost surely closed.
DAYS_TO_CLOSE = 420

# The hot loop's constants: members' values and draws made once (services/tooling/draws.py).
_VALUE = values(AgeBand, CaseEventKind, ReferralState, Service, Stage, Urgency)
_GENDER = values(Gender)
FORCED_LABOUR = ExploitationType.ForcedLabour.value
CHILD_LABOUR = ExploitationType.ChildLabour.value
SERVICE_PROVIDERS = ConsentScope.service_providers.value
ORIGIN_AUTHORITIES = ConsentScope.origin_authorities.value
CREATED = CaseEventKind.created.value
STAGE_CHANGE = CaseEventKind.stage_change.value
NOTE = CaseEventKind.note.value
RETURN_COORDINATED = CaseEventKind.return_coordinated.value
REFERRAL_SENT = CaseEventKind.referral_sent.value
REFERRAL_ANSWERED = CaseEventKind.referral_answered.value
CLOSED_PATH = Draw(list(CLOSED_PATH_WEIGHTS), list(CLOSED_PATH_WEIGHTS.values()))
CLOSED_PATH_NO_RETURN = Draw(
    list(CLOSED_PATH_WEIGHTS), [w if p != "return" else 0 for p, w in CLOSED_PATH_WEIGHTS.items()]
)
REFERRED_STATE = Draw(
    (ReferralState.pending, ReferralState.accepted, ReferralState.declined), (5, 4, 1)
)
CLOSED_STATE = Draw((ReferralState.completed, ReferralState.withdrawn), (4, 1))
OPEN_STATE = Draw((ReferralState.accepted, ReferralState.completed), (3, 1))
ADULT_BAND = Draw(demo.ADULT_BANDS, demo.ADULT_BAND_WEIGHTS)
PATH_TO = {stage: STAGE_ORDER[: STAGE_ORDER.index(stage) + 1] for stage in STAGE_ORDER}
_STAGE_DRAWS: dict[tuple[tuple[int, ...], bool], Draw[Stage]] = {}
_STATUS: dict[tuple[Situation, Stage], str | None] = {}


@dataclass
class CaseContext:
    """What every synthetic case draws on: today, the officer who reports for each country,
    the coordinator, and the partner organisations (id, country and name by key)."""

    today: date
    officers: dict[str, int]
    coordinator_id: int | None
    org_ids: dict[str, int]
    org_countries: dict[str, str]
    org_names: dict[str, str]


@dataclass(frozen=True)
class _Scenario:
    post: str
    where: str | None
    profile: demo.Profile
    targets: tuple[tuple[str, Service], ...]


@dataclass(frozen=True)
class _Codes:
    """A profile's codes as the rows store them, computed once per profile."""

    situation: str
    types: tuple[str, ...]
    industries: list[str]
    means: list[str]
    indicators: list[str]
    needs: tuple[str, ...]  # in Service's order
    needs_with_return: tuple[str, ...]
    places: tuple[str, ...]


_CODES: dict[int, _Codes] = {}


def _codes(profile: demo.Profile) -> _Codes:
    found = _CODES.get(id(profile))
    if found is None:
        needs = set(profile.needs)
        returning = needs | {Service.return_, Service.reintegration}
        found = _CODES[id(profile)] = _Codes(
            situation=profile.situation.value,
            types=tuple(t.value for t in profile.exploitation_types),
            industries=[i.value for i in profile.industries],
            means=[m.value for m in profile.means],
            indicators=[i.value for i in profile.indicators],
            needs=tuple(service.value for service in Service if service in needs),
            needs_with_return=tuple(service.value for service in Service if service in returning),
            places=(profile.place, *demo.IDENTIFIED_AT),
        )
    return found


def _scenarios() -> dict[str, list[_Scenario]]:
    return {
        country: [
            _Scenario(
                post,
                where,
                demo.PROFILES[profile],
                tuple(
                    (key, Service(service))
                    for key, service in (t.split(":") for t in targets.split())
                ),
            )
            for post, where, profile, targets in scenarios
        ]
        for country, (_, scenarios) in demo.CASE_SCENARIOS.items()
    }


def _case_days(rng: random.Random, today: date, count: int) -> list[int]:
    """Days since FIRST_DAY each case was identified: more cases every year (linear growth)."""
    span = (today - FIRST_DAY).days - 1
    return sorted(int(span * math.sqrt(rng.random())) for _ in range(count))


def add_cases(
    writer: BulkInsert,
    context: CaseContext,
    rng: random.Random,
    count: int,
    offset: int,
    report: Callable[[str, int, int], None],
    total: int,
) -> None:
    """`count` cases with their referrals and timelines; `report` is told the units done
    (`offset` before the first case, of `total`)."""
    if count == 0:
        return
    scenarios = _scenarios()
    countries = weighted(rng, CASE_WEIGHTS, count)
    days = _case_days(rng, context.today, count)
    sequences = _case_sequences(writer.connection)
    chunk = 2000
    for start in range(0, count, chunk):
        case_rows: list[dict[str, Any]] = []
        referral_rows: list[dict[str, Any]] = []
        event_rows: list[dict[str, Any]] = []
        batch = range(start, min(count, start + chunk))
        for case_id, index in zip(writer.ids("referral_case", len(batch)), batch, strict=True):
            country = countries[index]
            identified_on = FIRST_DAY + timedelta(days=days[index])
            key = (country, identified_on.year)
            sequences[key] = sequences.get(key, 0) + 1
            code = f"{country}-{identified_on.year}-{sequences[key]:04d}"
            scenario = rng.choice(scenarios[country])
            _case(
                context,
                rng,
                case_id,
                code,
                country,
                identified_on,
                scenario,
                case_rows,
                referral_rows,
                event_rows,
            )
        writer.insert(Case, case_rows)
        writer.insert(Referral, referral_rows)
        writer.insert(CaseEvent, event_rows)
        report(_("Referral cases, referrals and timelines"), offset + batch.stop, total)


def _case_sequences(connection: Connection) -> dict[tuple[str, int], int]:
    """The highest sequence number of each country-year already used."""
    code = Case.__table__.c.case_code  # type: ignore[attr-defined]
    prefix = sa.func.substr(code, 1, 7)
    sequence = sa.func.max(sa.cast(sa.func.substr(code, 9), sa.Integer))
    found: dict[tuple[str, int], int] = {}
    for head, highest in connection.execute(sa.select(prefix, sequence).group_by(prefix)):
        country, _, year = str(head).partition("-")
        if year.isdigit():
            found[(country, int(year))] = int(highest or 0)
    return found


def _stage_path(rng: random.Random, profile: demo.Profile, age: int) -> tuple[Stage, ...]:
    closed_chance = min(0.97, age / DAYS_TO_CLOSE) if age > 14 else 0.0
    if rng.random() < closed_chance:
        # labour-rights or smuggling cases rarely end in an assisted return
        if profile.stage_weights[4] == 0 or profile.situation != Situation.trafficking:
            return CLOSED_PATHS[CLOSED_PATH_NO_RETURN(rng)]
        return CLOSED_PATHS[CLOSED_PATH(rng)]
    young = age < 30
    draw = _STAGE_DRAWS.get((profile.stage_weights, young))
    if draw is None:
        weights = list(profile.stage_weights[:5])
        if young:  # a recent case has not gone far yet
            weights = [weights[0] + 3, weights[1] + 2, weights[2], 0, 0]
        if not any(weights):
            weights = [1, 1, 0, 0, 0]
        draw = _STAGE_DRAWS[(profile.stage_weights, young)] = Draw(STAGE_ORDER[:5], weights)
    return PATH_TO[draw(rng)]


def _step_days(
    rng: random.Random, path: Sequence[Stage], identified_on: date, today: date
) -> list[date]:
    yesterday = today - timedelta(days=1)
    days = [identified_on]
    for stage in path[1:]:
        days.append(
            min(yesterday, days[-1] + timedelta(days=rng.randint(*demo.DAYS_TO_REACH[stage])))
        )
    return days


def _case(
    context: CaseContext,
    rng: random.Random,
    case_id: int,
    code: str,
    country: str,
    identified_on: date,
    scenario: _Scenario,
    case_rows: list[dict[str, Any]],
    referral_rows: list[dict[str, Any]],
    event_rows: list[dict[str, Any]],
) -> None:
    profile = scenario.profile
    codes = _codes(profile)
    today = context.today
    path = _stage_path(rng, profile, (today - identified_on).days)
    stage = path[-1]
    steps = list(zip(path, _step_days(rng, path, identified_on, today), strict=True))
    reached = dict(steps)
    minor = profile.minors and rng.random() < 0.1
    types = list(codes.types)
    if minor and FORCED_LABOUR in types:
        types.append(CHILD_LABOUR)
    returns = Stage.return_reintegration in reached
    consent = stage not in (Stage.identified, Stage.screening) or rng.random() < 0.6
    scope = []
    if consent:
        scope = [SERVICE_PROVIDERS]
        if returns or rng.random() < 0.4:
            scope.append(ORIGIN_AUTHORITIES)
    officer = context.officers.get(country)
    coordinator = context.coordinator_id
    urgency = case_urgency(rng, profile, minor)
    assigned = stage != Stage.identified and (urgency == Urgency.high or rng.random() < 0.4)
    events: list[tuple[date, str, int | None, str, dict[str, Any]]] = [
        (identified_on, CREATED, officer, "", {"case_code": code})
    ]
    for (before, _day), (moved_to, day) in itertools.pairwise(steps):
        author = officer if moved_to in (Stage.screening, Stage.referred) else coordinator
        change = {"from": _VALUE[before], "to": _VALUE[moved_to]}
        events.append((day, STAGE_CHANGE, author, "", change))
    if rng.random() < 0.2:
        noted_stage, day = rng.choice(steps)
        note = rng.choice(demo.NOTES.get(noted_stage, demo.NOTES[Stage.identified]))
        events.append((day, NOTE, officer, note, {}))
    if Stage.referred in reached:
        _referrals(context, rng, case_id, country, scenario, steps, referral_rows, events)
    outcome: dict[str, Any] = {
        "closure_reason": None,
        "return_counterpart": None,
        "return_travel_date": None,
        "return_reception": None,
    }
    if stage == Stage.closed:
        outcome["closure_reason"] = _closure_reason(rng, path, profile)
    if returns:
        start = reached[Stage.return_reintegration]
        end = reached.get(Stage.closed, start + timedelta(days=30))
        travel = start + timedelta(days=rng.randint(0, max(0, (end - start).days)))
        counterpart = demo.RETURN_PARTNERS[country][2]
        outcome |= {
            "return_counterpart": counterpart,
            "return_travel_date": travel,
            "return_reception": demo.RECEPTION,
        }
        details = {"counterpart": counterpart, "travel_date": travel.isoformat()}
        events.append((start, RETURN_COORDINATED, coordinator, "", details))
    events.sort(key=lambda event: event[0])
    created_at = [at_nine(day, 20 * position) for position, (day, *_) in enumerate(events)]
    for (_day, kind, author, note, details), at in zip(events, created_at, strict=True):
        event_rows.append(
            {
                "case_id": case_id,
                "kind": kind,
                "author_id": author,
                "note": note,
                "details": details,
                "created_at": at,
            }
        )
    moves = [
        at for (_, kind, *_), at in zip(events, created_at, strict=True) if kind == STAGE_CHANGE
    ]
    case_rows.append(
        {
            "id": case_id,
            "case_code": code,
            "reporting_country": country,
            "consular_post": scenario.post,
            "identified_on": identified_on,
            "identified_place": rng.choice(codes.places),
            "person_alias": f"{rng.choice(demo.INITIALS)}.{rng.choice(demo.INITIALS)}.",
            "gender": _GENDER[case_gender(rng, profile)],
            "age_band": _VALUE[AgeBand.b9_17 if minor else ADULT_BAND(rng)],
            "is_minor": minor,
            "citizenship": country,
            "primary_language": rng.choice(demo.LANGUAGES.get(country, ("Spanish",))),
            "situation": codes.situation,
            "trafficking_status": _status_value(profile.situation, stage),
            "exploitation_types": types,
            "forced_labour_industries": list(codes.industries),
            "means_of_control": _some(rng, codes.means),
            "indicators": _some(rng, codes.indicators),
            "exploitation_country": scenario.where
            if profile.situation != Situation.migrant_smuggling
            else None,
            "consent_given": consent,
            "consent_date": identified_on if consent else None,
            "consent_scope": scope,
            "consent_override_reason": None,
            "urgency": _VALUE[urgency],
            "needs": list(codes.needs_with_return if returns else codes.needs),
            "reported_by_id": officer,
            "assigned_to_id": coordinator if assigned else None,
            "stage": _VALUE[stage],
            "stage_changed_at": moves[-1] if moves else created_at[0],
            "next_follow_up_on": follow_ups.after_move(stage, steps[-1][1]),
            "version": len(steps),
            "created_at": created_at[0],
            "updated_at": created_at[-1],
            **outcome,
        }
    )


def _referrals(
    context: CaseContext,
    rng: random.Random,
    case_id: int,
    country: str,
    scenario: _Scenario,
    steps: list[tuple[Stage, date]],
    referral_rows: list[dict[str, Any]],
    events: list[tuple[date, str, int | None, str, dict[str, Any]]],
) -> None:
    reached = dict(steps)
    stage = steps[-1][0]
    chosen = scenario.targets[:1] if rng.random() < 0.8 else scenario.targets
    targets = [(key, service, reached[Stage.referred]) for key, service in chosen]
    if Stage.return_reintegration in reached:
        key, service, _ = demo.RETURN_PARTNERS[country]
        targets.append((key, service, reached[Stage.return_reintegration]))
    officer = context.officers.get(country)
    for key, service, sent_on in targets:
        org_country = context.org_countries[key]
        cross_border = org_country if org_country != country else None
        if stage == Stage.referred:
            state = REFERRED_STATE(rng)
        elif stage == Stage.closed:
            state = CLOSED_STATE(rng)
        else:
            state = OPEN_STATE(rng)
        answered_on = None
        if state not in (ReferralState.pending, ReferralState.withdrawn):
            answered_on = min(
                sent_on + timedelta(days=rng.randint(1, 5)), context.today - timedelta(days=1)
            )
        details = {
            "organisation": context.org_names[key],
            "service": _VALUE[service],
            "cross_border_country": cross_border,
        }
        referral_rows.append(
            {
                "case_id": case_id,
                "organisation_id": context.org_ids[key],
                "service": _VALUE[service],
                "sent_on": sent_on,
                "state": _VALUE[state],
                "decline_reason": rng.choice(demo.DECLINE_REASONS)
                if state == ReferralState.declined
                else None,
                "answered_on": answered_on,
                "cross_border_country": cross_border,
                "created_by_id": officer,
                "created_at": at_nine(sent_on),
                "response_due_on": sent_on + timedelta(days=follow_ups.DEFAULT_RESPONSE_DAYS),
            }
        )
        events.append((sent_on, REFERRAL_SENT, officer, "", details))
        if answered_on is not None:
            answer = {**details, "state": _VALUE[state]}
            events.append((answered_on, REFERRAL_ANSWERED, context.coordinator_id, "", answer))


def _some(rng: random.Random, codes: list[str]) -> list[str]:
    """Some of `codes` (at least one when there are any), in their order."""
    chosen = [code for code in codes if rng.random() < 0.6]
    return chosen or codes[:1]


def _closure_reason(rng: random.Random, path: tuple[Stage, ...], profile: demo.Profile) -> str:
    if Stage.referred not in path:
        return rng.choice(EARLY_CLOSURES)
    if Stage.return_reintegration in path:
        return rng.choice(demo.CLOSURE_REASONS["return"])
    if profile.situation == Situation.labour_rights_violation:
        return rng.choice(demo.CLOSURE_REASONS["labour"])
    return rng.choice(demo.CLOSURE_REASONS["assistance" if Stage.assistance in path else "short"])


def _status_value(situation: Situation, stage: Stage) -> str | None:
    key = (situation, stage)
    if key not in _STATUS:
        status = trafficking_status(situation, stage)
        _STATUS[key] = status.value if status else None
    return _STATUS[key]
