"""Fixtures that open referral cases (a pytest plugin named in `tests/conftest.py`).

Each is a factory bound to the test's `session`: `open_case(actor, **overrides)`."""

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from models import Case, CaseCreate, CaseEvent, UserAccount
from models.base import utcnow
from models.enums import Stage
from services.cases import intake
from services.cases import records as cases
from tests.support import OFFICER, REPORT_ALIAS, REPORT_CASES, case_form


@pytest.fixture
def open_case(session: Session) -> Callable[..., Case]:
    """`open_case(actor, **overrides)`: a case created from `case_form(**overrides)` and
    committed, as the new-referral form's unit of work does."""

    def open_(actor: UserAccount, **overrides: object) -> Case:
        case = intake.create_case(session=session, actor=actor, case_in=case_form(**overrides))
        session.commit()
        return case

    return open_


@pytest.fixture
def move_case(session: Session) -> Callable[..., None]:
    """`move_case(case, stage, days_ago=0)`: put a case in `stage` since `days_ago` days
    (test set-up, bypassing the workflow)."""

    def move(case: Case, stage: Stage, days_ago: int = 0) -> None:
        case.stage = stage
        case.stage_changed_at = utcnow() - timedelta(days=days_ago)
        session.add(case)
        session.commit()

    return move


@pytest.fixture
def ar_case(demo_db: Session) -> Case:
    """An Argentine case opened by the demo data's officer, on the demo data."""
    officer = demo_db.exec(select(UserAccount).where(UserAccount.email == OFFICER)).one()
    case = intake.create_case(
        session=demo_db,
        actor=officer,
        case_in=CaseCreate(
            reporting_country="AR", identified_on=date(2026, 3, 2), person_alias="Z.Q."
        ),
    )
    demo_db.commit()
    return case


@pytest.fixture
def seed_cases(session: Session) -> Callable[[UserAccount], None]:
    """`seed_cases(coordinator)`: open the REPORT_CASES, each moved to its stage."""

    def seed(coordinator: UserAccount) -> None:
        for country, stage, situation, identified_on in REPORT_CASES:
            case = intake.create_case(
                session=session,
                actor=coordinator,
                case_in=CaseCreate(
                    reporting_country=country,
                    identified_on=identified_on,
                    person_alias=REPORT_ALIAS,
                    situation=situation,
                ),
            )
            case.stage = stage
            session.add(case)
        session.commit()

    return seed


@pytest.fixture
def add_note(session: Session) -> Callable[..., CaseEvent]:
    """`add_note(actor, case, note, expected_version=1)`: the board's "add a note" on
    `case` (the service call, in the test's session, not committed)."""

    def add(actor: UserAccount, case: Case, note: str, expected_version: int = 1) -> CaseEvent:
        return cases.add_note(
            session=session,
            actor=actor,
            case_code=case.case_code,
            note=note,
            expected_version=expected_version,
        )

    return add
