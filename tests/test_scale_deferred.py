"""`seed scale` drops foreign keys, secondary indexes and the search triggers while it writes
(services/tooling/bulk_insert.py `deferred`): afterwards the schema is exactly what it was,
the foreign keys hold, the search finds the new cases, and a failure restores everything."""

from datetime import UTC, date

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Case, CaseEvent, UserAccount
from services.cases import search
from services.tooling import scale_cases
from services.tooling.scale import seed_scale
from services.tooling.seed import seed_demo

TODAY = date(2026, 11, 28)


def _schema(session: Session) -> list[tuple]:
    """Every index, trigger and foreign key, with its definition."""
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        rows = connection.execute(
            sa.text(
                "SELECT type, name, tbl_name, sql FROM sqlite_master "
                "WHERE type IN ('index', 'trigger') ORDER BY type, name"
            )
        ).all()
        foreign_keys = [
            (table, *row)
            for (table,) in connection.execute(
                sa.text("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
            )
            for row in connection.exec_driver_sql(f'PRAGMA foreign_key_list("{table}")')
        ]
    else:
        rows = connection.execute(
            sa.text("SELECT tablename, indexname, indexdef FROM pg_indexes ORDER BY indexname")
        ).all()
        foreign_keys = connection.execute(
            sa.text(
                "SELECT conrelid::regclass::text, conname, pg_get_constraintdef(oid), convalidated "
                "FROM pg_constraint WHERE contype = 'f' ORDER BY conname"
            )
        ).all()
    session.rollback()
    return [tuple(row) for row in [*rows, *foreign_keys]]


def test_the_schema_is_the_same_after_and_the_search_finds_the_new_cases(session):
    seed_demo(session=session)
    session.commit()
    before = _schema(session)
    assert any("case_event" in str(row) for row in before)
    seed_scale(session=session, participants=30, cases=150, seed=3, today=TODAY)
    assert _schema(session) == before

    codes = session.exec(select(Case.case_code).order_by(col(Case.id).desc())).all()
    newest = codes[0]
    noted = session.exec(
        select(CaseEvent.case_id, CaseEvent.note)
        .where(col(CaseEvent.note) != "")
        .order_by(col(CaseEvent.id).desc())
    ).first()
    assert noted is not None
    session.rollback()
    connection = session.connection()
    if connection.dialect.name == "sqlite":
        # The search index holds the new rows, as its triggers would have put them.
        found = connection.exec_driver_sql(
            "SELECT rowid FROM case_search_fts WHERE case_code = ?", (newest,)
        ).all()
        assert len(found) == 1
        for fts in ("case_search_fts", "case_note_fts"):
            connection.exec_driver_sql(f"INSERT INTO {fts}({fts}) VALUES ('integrity-check')")
        assert connection.exec_driver_sql("PRAGMA foreign_key_check").all() == []
    assert newest in {hit.case_code for hit in _search(session, newest)}
    case_id, note = noted
    code = session.exec(select(Case.case_code).where(Case.id == case_id)).one()
    assert code in {hit.case_code for hit in _search(session, note[:20])}
    session.rollback()


def _search(session: Session, text: str) -> list:
    admin = session.exec(select(UserAccount).where(UserAccount.email == "admin@enlace.test")).one()
    return list(search.search_cases(session=session, actor=admin, text=text))


def test_a_failure_while_writing_leaves_the_schema_whole(session, monkeypatch):
    seed_demo(session=session)
    session.commit()
    before = _schema(session)

    def broken(*_args, **_kwargs):
        raise RuntimeError("generation failed")

    monkeypatch.setattr(scale_cases, "_case", broken)
    with pytest.raises(RuntimeError):
        seed_scale(session=session, participants=5, cases=5, seed=3, today=TODAY)
    session.rollback()
    assert _schema(session) == before


def test_remembered_binding_is_the_binding(session):
    # The bulk writer remembers bound values whose equality decides their bound form; a value
    # equal to another but bound differently must not take the other's result.
    from datetime import datetime, timedelta, timezone

    from sqlmodel import SQLModel

    from services.tooling.bulk_insert import _remembered

    dialect = session.connection().dialect
    table = SQLModel.metadata.tables["referral_case"]
    samples = {
        "created_at": [
            datetime(2026, 1, 2, 9, tzinfo=UTC),
            datetime(2026, 1, 2, 6, tzinfo=timezone(timedelta(hours=-3))),  # the same instant
            datetime(2026, 1, 2, 9, tzinfo=UTC),
            None,
        ],
        "identified_on": [date(2026, 1, 2), date(2026, 1, 2), None],
        "needs": [["shelter"], ["shelter"], [1], [1.0], [True], {"a": "b"}, {"a": 1}, None],
    }
    for name, values in samples.items():
        column_type = table.c[name].type
        process = column_type.dialect_impl(dialect).bind_processor(dialect)
        if process is None:
            continue  # bound as it is (PostgreSQL's dates)
        remembered = _remembered(process, column_type)
        for _ in range(2):
            for value in values:
                assert _bound(remembered(value)) == _bound(process(value)), (name, value)
    session.rollback()


def _bound(value: object) -> object:
    """A bound value, comparable: psycopg's JSON wrapper has no equality of its own."""
    if hasattr(value, "obj"):
        return (type(value), repr(value.obj))
    return value
