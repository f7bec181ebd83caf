"""Migration 0009 on a database with cases: the first classification comes back from each
case's timeline, and the search triggers of migration 0006 stay in place."""

from datetime import date

import sqlalchemy as sa
from sqlmodel import Session

from models import Case, CaseUpdate, UserAccount
from models.enums import Role
from services.cases import intake, records
from services.platform import migrate
from services.platform.db import build_engine
from tests.support import case_form


def _triggers(engine) -> set[str]:
    with engine.connect() as connection:
        rows = connection.exec_driver_sql(
            "SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'referral_case'"
        )
        return {name for (name,) in rows}


def test_the_first_classification_is_recovered_from_the_timeline(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'upgrade.db'}")
    migrate.upgrade(engine)
    triggers = _triggers(engine)
    with Session(engine, expire_on_commit=False) as session:
        officer = UserAccount(email="o@enlace.test", role=Role.officer, country="AR")
        session.add(officer)
        session.commit()

        def opened(situation: str) -> Case:
            return intake.create_case(
                session=session,
                actor=officer,
                case_in=case_form(situation=situation, identified_on=date(2026, 3, 2)),
            )

        reclassified, kept, undetermined = (
            opened("undetermined"),
            opened("trafficking"),
            opened("undetermined"),
        )
        for situation in ("migrant_smuggling", "trafficking"):
            reclassified = records.update_assessment(
                session=session,
                actor=officer,
                case_code=reclassified.case_code,
                case_in=CaseUpdate(situation=situation),
                expected_version=reclassified.version,
            )
        session.commit()
        ids = [reclassified.id, kept.id, undetermined.id]

    migrate.downgrade(engine, "0008")
    migrate.upgrade(engine)

    assert _triggers(engine) == triggers and len(triggers) == 3
    with engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT id, initial_situation, screening_indicators, screening_suggestion "
                "FROM referral_case ORDER BY id"
            )
        ).all()
    assert [(row[0], row[1]) for row in rows] == list(
        zip(ids, ["migrant_smuggling", "trafficking", None], strict=True)
    )
    assert {(row[2], row[3]) for row in rows} == {("[]", None)}
    engine.dispose()
