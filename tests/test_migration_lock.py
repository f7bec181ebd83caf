"""Several processes migrating one database at once (replicas starting together, each running
`migrate.upgrade`): they take turns, all succeed, and the schema ends at head exactly once.

PostgreSQL runs on a scratch database made beside ENLACE_TEST_DATABASE_URL and dropped after.
"""

import multiprocessing
import os
import sqlite3
import time
from collections.abc import Iterator
from multiprocessing.synchronize import Barrier

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from services.platform import migrate
from services.platform.db import SQLITE_BEGIN, build_engine

# Each child imports the app's models and Alembic afresh, as a starting replica does.
SPAWN = multiprocessing.get_context("spawn")
CHILD_TIMEOUT = 180


def _migrate_in_child(url: str, operation: str, barrier: Barrier, results) -> None:
    """One process: build the engine, wait for the others, migrate, report how it went."""
    engine = build_engine(url)
    barrier.wait(timeout=CHILD_TIMEOUT)
    try:
        getattr(migrate, operation)(engine)
        results.put("ok")
    except Exception as error:  # noqa: BLE001 (the parent asserts on it)
        results.put(f"{type(error).__name__}: {error}")
    finally:
        engine.dispose()


def _start(url: str, operation: str, count: int) -> tuple[list, Barrier, object]:
    """`count` processes running `migrate.<operation>` on `url` as soon as the barrier opens
    (the caller is the barrier's last party)."""
    barrier = SPAWN.Barrier(count + 1)
    results = SPAWN.Queue()
    processes = [
        SPAWN.Process(target=_migrate_in_child, args=(url, operation, barrier, results))
        for _ in range(count)
    ]
    for process in processes:
        process.start()
    return processes, barrier, results


def _outcomes(processes: list, results) -> list[str]:
    outcomes = [results.get(timeout=CHILD_TIMEOUT) for _ in processes]
    for process in processes:
        process.join(timeout=CHILD_TIMEOUT)
    return outcomes


def _head() -> str:
    head = ScriptDirectory.from_config(migrate.alembic_config("sqlite://")).get_current_head()
    assert head is not None
    return head


def _version_rows(url: str) -> list[str]:
    engine = build_engine(url)
    try:
        with engine.connect() as connection:
            return list(
                connection.execute(sa.text("SELECT version_num FROM alembic_version")).scalars()
            )
    finally:
        engine.dispose()


def _tables(url: str) -> set[str]:
    engine = build_engine(url)
    try:
        return set(sa.inspect(engine).get_table_names())
    finally:
        engine.dispose()


@pytest.fixture
def postgres_scratch() -> Iterator[str]:
    """A fresh, empty PostgreSQL database of its own, dropped afterwards."""
    given = os.environ.get("ENLACE_TEST_DATABASE_URL", "")
    if not given.startswith("postgresql"):
        if os.environ.get("ENLACE_REQUIRE_POSTGRES") == "1":
            pytest.fail("ENLACE_REQUIRE_POSTGRES=1 but ENLACE_TEST_DATABASE_URL is not set")
        pytest.skip("PostgreSQL run: set ENLACE_TEST_DATABASE_URL")
    base = make_url(given.replace("postgresql://", "postgresql+psycopg://", 1))
    name = f"{base.database}_migration_lock"
    admin = sa.create_engine(base, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_url(request: pytest.FixtureRequest, tmp_path) -> str:
    """An empty database: a new SQLite file, or the PostgreSQL scratch database."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'fresh.db'}"
    return request.getfixturevalue("postgres_scratch")


def test_three_processes_upgrading_a_fresh_database_at_once_all_succeed(fresh_url: str):
    processes, barrier, results = _start(fresh_url, "upgrade", 3)
    barrier.wait(timeout=CHILD_TIMEOUT)

    assert _outcomes(processes, results) == ["ok", "ok", "ok"]
    assert _version_rows(fresh_url) == [_head()]
    assert set(SQLModel.metadata.tables) <= _tables(fresh_url)


def _postgres_waiters(connection: sa.Connection) -> int:
    """Sessions waiting for the migration lock (pg_locks splits a bigint key in two halves)."""
    return connection.execute(
        sa.text(
            "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted "
            "AND database = (SELECT oid FROM pg_database WHERE datname = current_database()) "
            "AND classid = :high AND objid = :low AND objsubid = 1"
        ),
        {"high": migrate.MIGRATION_LOCK_KEY >> 32, "low": migrate.MIGRATION_LOCK_KEY & 0xFFFFFFFF},
    ).scalar_one()


@pytest.mark.parametrize("operation", ["upgrade", "downgrade"])
def test_a_migration_waits_while_another_holds_the_postgresql_lock(
    postgres_scratch: str, operation: str
):
    if operation == "downgrade":
        migrate.upgrade(engine := build_engine(postgres_scratch))
        engine.dispose()
    holder = sa.create_engine(postgres_scratch, isolation_level="AUTOCOMMIT")
    with holder.connect() as connection:
        key = {"key": migrate.MIGRATION_LOCK_KEY}
        connection.execute(sa.text("SELECT pg_advisory_lock(:key)"), key)
        processes, barrier, results = _start(postgres_scratch, operation, 1)
        barrier.wait(timeout=CHILD_TIMEOUT)
        deadline = time.monotonic() + CHILD_TIMEOUT
        while _postgres_waiters(connection) == 0:
            assert processes[0].is_alive(), results.get(timeout=5)
            assert time.monotonic() < deadline, "the migration never waited for the lock"
            time.sleep(0.1)
        time.sleep(0.5)
        assert processes[0].is_alive() and results.empty()
        # Nothing migrated while the lock was held.
        if operation == "upgrade":
            assert "alembic_version" not in _tables(postgres_scratch)
        else:
            assert _version_rows(postgres_scratch) == [_head()]
        connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
    holder.dispose()

    assert _outcomes(processes, results) == ["ok"]
    assert _version_rows(postgres_scratch) == ([] if operation == "downgrade" else [_head()])


def test_a_sqlite_upgrade_waits_for_another_writer_then_finds_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    writer = sqlite3.connect(tmp_path / "fresh.db", isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    # Another process's write transaction, held open: it changes the schema under the upgrade,
    # which would fail ("database is locked") had it read the schema before this commit.
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE another_writer (id INTEGER)")
    processes, barrier, results = _start(url, "upgrade", 1)
    barrier.wait(timeout=CHILD_TIMEOUT)
    time.sleep(3)  # longer than a child needs to migrate a fresh file alone: it is waiting
    assert processes[0].is_alive() and results.empty()
    writer.execute("COMMIT")
    writer.close()

    assert _outcomes(processes, results) == ["ok"]
    assert _version_rows(url) == [_head()]
    assert {"another_writer", *SQLModel.metadata.tables} <= _tables(url)


def test_a_sqlite_begin_mode_other_than_sqlites_own_is_refused(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'modes.db'}")
    with engine.connect() as connection:
        connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE; DROP TABLE x"})
        with pytest.raises(ValueError, match="DEFERRED, IMMEDIATE or EXCLUSIVE"):
            connection.begin()
    engine.dispose()
