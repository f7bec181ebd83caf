"""Several processes migrating one database at once (replicas starting together, each running
`migrate.upgrade`): they take turns, all succeed, and the schema ends at head exactly once.

PostgreSQL runs on a scratch database made beside ENLACE_TEST_DATABASE_URL and dropped after.
"""

import os
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

from services.platform import migrate
from services.platform.db import SQLITE_BEGIN, build_engine

ROOT = Path(__file__).resolve().parents[1]
CHILD_TIMEOUT = 180
# One process, as a starting replica: imports the app and Alembic, builds its engine, says
# "ready", migrates when the test says go (a line on stdin), and prints how it went last.
CHILD = """
import sys
from services.platform import migrate
from services.platform.db import build_engine

url, operation = sys.argv[1:]
engine = build_engine(url)
print("ready", flush=True)
sys.stdin.readline()
try:
    getattr(migrate, operation)(engine)
    print("ok", flush=True)
except Exception as error:
    print(" ".join(f"{type(error).__name__}: {error}".split()), flush=True)
"""


def _start(url: str, operation: str, count: int) -> list[subprocess.Popen[str]]:
    """`count` processes ready to run `migrate.<operation>` on `url` (see `_go`)."""
    processes = [
        subprocess.Popen(
            [sys.executable, "-c", CHILD, url, operation],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        for _ in range(count)
    ]
    for process in processes:
        assert process.stdout is not None
        line = process.stdout.readline().strip()
        assert line == "ready", line + process.stdout.read()
    return processes


def _go(processes: list[subprocess.Popen[str]]) -> None:
    """Every process migrates now, as close to the same instant as a test can make it."""
    for process in processes:
        assert process.stdin is not None
        process.stdin.write("go\n")
        process.stdin.flush()


def _outcomes(processes: list[subprocess.Popen[str]]) -> list[str]:
    """Each process's last line: "ok", or its error."""
    outputs = [process.communicate(timeout=CHILD_TIMEOUT)[0] for process in processes]
    return [(output.strip().splitlines() or [""])[-1] for output in outputs]


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
    processes = _start(fresh_url, "upgrade", 3)
    _go(processes)

    assert _outcomes(processes) == ["ok", "ok", "ok"]
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
        processes = _start(postgres_scratch, operation, 1)
        _go(processes)
        deadline = time.monotonic() + CHILD_TIMEOUT
        while _postgres_waiters(connection) == 0:
            assert processes[0].poll() is None, _outcomes(processes)
            assert time.monotonic() < deadline, "the migration never waited for the lock"
            time.sleep(0.1)
        time.sleep(0.5)
        assert processes[0].poll() is None
        # Nothing migrated while the lock was held.
        if operation == "upgrade":
            assert "alembic_version" not in _tables(postgres_scratch)
        else:
            assert _version_rows(postgres_scratch) == [_head()]
        connection.execute(sa.text("SELECT pg_advisory_unlock(:key)"), key)
    holder.dispose()

    assert _outcomes(processes) == ["ok"]
    assert _version_rows(postgres_scratch) == ([] if operation == "downgrade" else [_head()])


def test_a_sqlite_upgrade_waits_for_another_writer_then_finds_the_schema(tmp_path):
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    writer = sqlite3.connect(tmp_path / "fresh.db", isolation_level=None)
    writer.execute("PRAGMA journal_mode=WAL")
    # Another process's write transaction, held open: it changes the schema under the upgrade,
    # which would fail ("database is locked") had it read the schema before this commit.
    writer.execute("BEGIN IMMEDIATE")
    writer.execute("CREATE TABLE another_writer (id INTEGER)")
    processes = _start(url, "upgrade", 1)
    _go(processes)
    time.sleep(3)  # longer than a child needs to migrate a fresh file alone: it is waiting
    assert processes[0].poll() is None
    writer.execute("COMMIT")
    writer.close()

    assert _outcomes(processes) == ["ok"]
    assert _version_rows(url) == [_head()]
    assert {"another_writer", *SQLModel.metadata.tables} <= _tables(url)


def test_a_sqlite_begin_mode_other_than_sqlites_own_is_refused(tmp_path):
    engine = build_engine(f"sqlite:///{tmp_path / 'modes.db'}")
    with engine.connect() as connection:
        connection.execution_options(**{SQLITE_BEGIN: "IMMEDIATE; DROP TABLE x"})
        with pytest.raises(ValueError, match="DEFERRED, IMMEDIATE or EXCLUSIVE"):
            connection.begin()
    engine.dispose()
