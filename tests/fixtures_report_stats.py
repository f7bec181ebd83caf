"""Fixtures of issue 16's referral statistics: a small crafted set of cases whose every
statistic is worked out by hand in tests/test_referral_stats.py, and a factory of cases for
the suppression attacks. Rows are written directly (timeline dates chosen, not "now")."""

from collections.abc import Callable
from datetime import UTC, date, datetime, time
from typing import Any

import pytest
from sqlmodel import Session

from models import Case, CaseEvent, Organisation, Referral, UserAccount
from models.enums import CaseEventKind, OrgType, ReferralState, Service, Stage


def at_nine(day: date) -> datetime:
    return datetime.combine(day, time(9, 0), tzinfo=UTC)


D = date

# code, reporting country, identified on, citizenship, country of exploitation, types,
# industries, situation now, situation first suspected (None: never changed),
# the moves of the timeline [(stage, day)], referrals [(org, sent, state, answered)].
STATS_CASES: list[tuple[Any, ...]] = [
    (
        "AR-2026-0001", "AR", D(2026, 1, 5), "BO", "AR", ["ForcedLabour"], ["C_Manufacturing"],
        "trafficking", "labour_rights_violation",
        [("screening", D(2026, 1, 7)), ("referred", D(2026, 1, 10)),
         ("assistance", D(2026, 1, 20)), ("closed", D(2026, 2, 19))],
        [("org1", D(2026, 1, 10), "accepted", D(2026, 1, 12))],
    ),
    (
        "AR-2026-0002", "AR", D(2026, 1, 10), "BO", "AR", ["ForcedLabour"],
        ["T_ActivitiesOfHouseholdsAsEmployers"], "trafficking", None,
        [("screening", D(2026, 1, 11)), ("referred", D(2026, 1, 15)),
         ("assistance", D(2026, 1, 25))],
        [("org1", D(2026, 1, 15), "accepted", D(2026, 1, 18)),
         ("org2", D(2026, 1, 16), "declined", D(2026, 1, 26))],
    ),
    (
        "AR-2026-0003", "AR", D(2026, 2, 1), "PY", "AR", ["SexualExploitation"], [],
        "migrant_smuggling", None,
        [("screening", D(2026, 2, 3)), ("referred", D(2026, 2, 9))],
        [("org2", D(2026, 2, 9), "pending", None)],
    ),
    (
        "AR-2026-0004", "AR", D(2026, 2, 15), "PY", None, [], [], "undetermined", None, [], [],
    ),
    (
        "BR-2026-0001", "BR", D(2026, 1, 20), "BO", "BR", ["ForcedLabour", "SexualExploitation"],
        ["C_Manufacturing", "T_ActivitiesOfHouseholdsAsEmployers"], "trafficking", None,
        [("screening", D(2026, 1, 21)), ("closed", D(2026, 1, 31))],
        [("org3", D(2026, 1, 21), "completed", D(2026, 1, 23))],
    ),
    (
        "BR-2025-0001", "BR", D(2025, 12, 1), "BO", "BR", ["ForcedLabour"],
        ["A_AgricultureForestryAndFishing"], "labour_rights_violation", "trafficking",
        [("screening", D(2025, 12, 2)), ("closed", D(2025, 12, 12))],
        [],
    ),
]  # fmt: skip

ORGANISATIONS = {"org1": ("Refugio Norte", "AR"), "org2": ("Clínica Sur", "AR"),
                 "org3": ("Casa Abrigo", "BR")}  # fmt: skip


def _organisations(session: Session) -> dict[str, int]:
    ids = {}
    for key, (name, country) in ORGANISATIONS.items():
        organisation = Organisation(
            name=name, country=country, org_type=OrgType.NGO, services=[Service.shelter]
        )
        session.add(organisation)
        session.flush()
        ids[key] = organisation.id or 0
    return ids


def add_case(session: Session, author: UserAccount, **fields: Any) -> Case:
    """One case as stored, with its `created` event on the day identified."""
    identified_on = fields.setdefault("identified_on", D(2026, 1, 5))
    fields.setdefault("stage", Stage.identified.value)
    case = Case(person_alias="T.T.", reported_by_id=author.id, **fields)
    case.created_at = case.stage_changed_at = at_nine(identified_on)
    session.add(case)
    session.flush()
    session.add(
        CaseEvent(
            case_id=case.id or 0,
            kind=CaseEventKind.created,
            details={"stage": "identified"},
            created_at=at_nine(identified_on),
        )
    )
    return case


@pytest.fixture
def stats_cases(session: Session, users: dict[str, UserAccount]) -> dict[str, UserAccount]:
    """The STATS_CASES with their timelines and referrals, committed; returns the users."""
    organisations = _organisations(session)
    for row in STATS_CASES:
        code, country, identified_on, origin, destination, types, industries = row[:7]
        situation, suspected, moves, referrals = row[7:]
        case = add_case(
            session,
            users["coordinator"],
            case_code=code,
            reporting_country=country,
            identified_on=identified_on,
            citizenship=origin,
            exploitation_country=destination,
            exploitation_types=types,
            forced_labour_industries=industries,
            situation=situation,
            stage=moves[-1][0] if moves else Stage.identified.value,
        )
        if suspected:
            session.add(
                CaseEvent(
                    case_id=case.id or 0,
                    kind=CaseEventKind.assessment_updated,
                    details={
                        "fields": ["situation"],
                        "changes": {"situation": [suspected, situation]},
                    },
                    created_at=at_nine(identified_on),
                )
            )
        before = "identified"
        for stage, day in moves:
            session.add(
                CaseEvent(
                    case_id=case.id or 0,
                    kind=CaseEventKind.stage_change,
                    details={"from": before, "to": stage},
                    created_at=at_nine(day),
                )
            )
            before = stage
        for org, sent_on, state, answered_on in referrals:
            session.add(
                Referral(
                    case_id=case.id or 0,
                    organisation_id=organisations[org],
                    service=Service.shelter,
                    sent_on=sent_on,
                    state=ReferralState(state),
                    answered_on=answered_on,
                )
            )
    session.commit()
    return users


@pytest.fixture
def stats_case(session: Session, users: dict[str, UserAccount]) -> Callable[..., Case]:
    """`stats_case(**fields)`: one stored case (reporting country AR unless given)."""

    def make(**fields: Any) -> Case:
        fields.setdefault("reporting_country", "AR")
        fields.setdefault("case_code", f"{fields['reporting_country']}-2026-{next(numbers):04d}")
        case = add_case(session, users["coordinator"], **fields)
        session.commit()
        return case

    numbers = iter(range(5000, 100000))
    return make
