"""Scale data: deterministic, plausible proportions, safe on top of the demo data."""

import re
from collections import Counter
from datetime import date

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, col, func, select
from typer.testing import CliRunner

from models import (
    Case,
    CaseCreate,
    CaseEvent,
    Enrollment,
    ModuleProgress,
    Participant,
    Referral,
    UserAccount,
)
from models.cases import CASE_CODE_PATTERN
from models.enums import COMPLETED_STATES, EnrollmentStatus, Stage, Urgency
from services.cases import intake
from services.cli import bench as cli_bench
from services.tooling import bulk_insert
from services.tooling.demo_data import COUNTRIES
from services.tooling.scale import seed_scale
from services.tooling.seed import seed_demo

TODAY = date(2026, 11, 28)
TABLES = ("course", "module", "participant", "enrollment", "module_progress")
CASE_TABLES = ("referral_case", "case_referral", "case_event")


def _rows(session: Session) -> dict[str, list[tuple]]:
    """Every row of the tables seed_scale fills, in id order (the read is then ended)."""
    rows = {}
    for name in (*TABLES, *CASE_TABLES):
        table = SQLModel.metadata.tables[name]
        rows[name] = [
            tuple(row)
            for row in session.connection().execute(sa.select(table).order_by(table.c.id))
        ]
    session.rollback()
    return rows


def _count(session: Session, model) -> int:
    return session.exec(select(func.count()).select_from(model)).one()


def test_same_seed_gives_the_same_rows(session, empty_database):
    seed_scale(session=session, participants=60, cases=120, seed=7, today=TODAY)
    first = _rows(session)
    empty_database()
    seed_scale(session=session, participants=60, cases=120, seed=7, today=TODAY)
    assert _rows(session) == first


def test_copy_writes_the_rows_insert_writes(session, monkeypatch, empty_database):
    # PostgreSQL takes the rows with COPY; insert() is the path of every other database.
    seed_scale(session=session, participants=60, cases=120, seed=8, today=TODAY)
    copied = _rows(session)
    empty_database()
    monkeypatch.setattr(bulk_insert, "copy_rows", lambda *_: False)
    seed_scale(session=session, participants=60, cases=120, seed=8, today=TODAY)
    assert _rows(session) == copied


def test_rows_leaving_out_a_python_default_are_not_copied(session):
    row = {"id": 1, "name": "Any", "org_type": "ngo", "country": "AR"}  # no city: default ""
    table = SQLModel.metadata.tables["organisation"]
    assert bulk_insert.copy_rows(session.connection(), table, [row]) is False
    session.rollback()


def test_another_seed_gives_other_cases(session, empty_database):
    seed_scale(session=session, participants=0, cases=80, seed=1, today=TODAY)
    first = _rows(session)["referral_case"]
    empty_database()
    seed_scale(session=session, participants=0, cases=80, seed=2, today=TODAY)
    assert _rows(session)["referral_case"] != first


def test_counts_and_proportions_are_plausible(session):
    created = seed_scale(session=session, participants=400, cases=800, seed=3, today=TODAY)
    assert created["participant"] == 400 and created["referral_case"] == 800
    assert 15 <= created["module_progress"] / 400 <= 26  # about 20 progress rows each
    assert 4.0 <= created["case_event"] / 800 <= 7.0  # about 5 events per case

    case_countries = Counter(session.exec(select(Case.reporting_country)).all())
    assert set(case_countries) == set(COUNTRIES)
    assert case_countries["BO"] > case_countries["UY"]  # weights of the demo's scenarios
    participant_countries = Counter(session.exec(select(Participant.country)).all())
    assert set(participant_countries) == set(COUNTRIES)

    stages = Counter(session.exec(select(Case.stage)).all())
    assert set(stages) == {stage.value for stage in Stage}
    assert 0.6 <= stages[Stage.closed] / 800 <= 0.95  # old cases are mostly closed
    statuses = Counter(session.exec(select(Enrollment.status)).all())
    assert set(statuses) == {status.value for status in EnrollmentStatus}
    states = Counter(session.exec(select(ModuleProgress.state)).all())
    assert sum(states[state] for state in COMPLETED_STATES) > states["in_progress"] > 0

    cross_border = session.exec(
        select(func.count()).where(col(Referral.cross_border_country).is_not(None))
    ).one()
    assert 0 < cross_border < created["case_referral"]


def test_every_case_is_valid_and_minors_are_urgent(session):
    seed_scale(session=session, participants=0, cases=300, seed=4, today=TODAY)
    for case in session.exec(select(Case)).all():
        assert re.fullmatch(CASE_CODE_PATTERN, case.case_code)
        CaseCreate.model_validate({name: getattr(case, name) for name in CaseCreate.model_fields})
        assert not case.is_minor or case.urgency == Urgency.high
        assert case.stage != Stage.closed or case.closure_reason
        assert case.identified_on < TODAY
    events = session.exec(select(func.count(col(CaseEvent.id)))).one()
    created_events = session.exec(
        select(func.count()).where(col(CaseEvent.kind) == "created")
    ).one()
    assert created_events == 300 < events


def test_safe_on_top_of_the_demo_data_and_twice(session, monkeypatch):
    seed_demo(session=session)
    demo_codes = set(session.exec(select(Case.case_code)).all())
    demo_participants = _count(session, Participant)
    seed_scale(session=session, participants=50, cases=200, seed=5)
    seed_scale(session=session, participants=50, cases=200, seed=5)
    codes = list(session.exec(select(Case.case_code)).all())
    assert len(codes) == len(set(codes)) == len(demo_codes) + 400
    assert demo_codes <= set(codes)
    assert _count(session, Participant) == demo_participants + 100
    assert seed_demo(session=session)["referral_case"] == 0  # the demo data is still whole

    # The id sequences moved past the rows given explicit ids (PostgreSQL).
    officer = session.exec(
        select(UserAccount).where(UserAccount.email == "officer.ar@enlace.test")
    ).one()
    case_in = CaseCreate(reporting_country="AR", identified_on=date.today(), person_alias="Z.Z.")
    case = intake.create_case(session=session, actor=officer, case_in=case_in)
    assert case.case_code not in demo_codes


def test_seed_scale_command_prints_a_summary(session):
    result = CliRunner().invoke(
        cli_bench.app, ["scale", "--participants", "20", "--cases", "30", "--seed", "9"]
    )
    assert result.exit_code == 0, result.output
    # the tables by their names in words, as the audit log shows the seed's counts
    assert "Participants 20" in result.output and "Cases 30" in result.output
    assert _count(session, Case) == 30


def test_seed_scale_command_refuses_negative_sizes(session):
    result = CliRunner().invoke(cli_bench.app, ["scale", "--participants", "-1", "--cases", "3"])
    assert result.exit_code == 2
