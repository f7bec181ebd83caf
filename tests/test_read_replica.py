"""ENLACE_READ_DATABASE_URL: dashboard and report reads on a read-only replica, except for a
person whose own write the replica has not replayed yet (they read the primary until it has)."""

import os
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session
from streamlit.testing.v1 import AppTest

from services.platform import migrate, users
from services.platform.db import build_engine, session_scope
from services.platform.settings import get_settings
from services.tooling import pg_standby
from services.tooling.seed import seed_demo
from services.ui import runtime


@pytest.fixture
def app_databases(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Forget the engines and caches of the previous settings, before and after."""
    runtime.get_engine.clear()
    runtime.get_read_engine.clear()
    runtime.clear_caches()
    yield
    runtime.get_engine.clear()
    runtime.get_read_engine.clear()
    runtime.clear_caches()


def _replay(primary: Path, replica: Path) -> None:
    """The replica catches up: a consistent copy of the primary (its WAL included)."""
    with sqlite3.connect(primary) as source, sqlite3.connect(replica) as target:
        source.backup(target)


def _point_at(monkeypatch: pytest.MonkeyPatch, primary: str, replica: str) -> None:
    monkeypatch.setenv("ENLACE_DATABASE_URL", primary)
    monkeypatch.setenv("ENLACE_READ_DATABASE_URL", replica)
    get_settings.cache_clear()


def _sources_script() -> None:
    """Each run: where the reports are read; a run with `write` set writes first, as a page
    does (a unit of work, then clear_caches)."""
    import streamlit as st

    from services.platform import users
    from services.ui import runtime

    runtime.start_run()
    if st.session_state.pop("write", False):
        with runtime.db_session() as session:
            account = users.find_by_email(session, "manager@enlace.test")
            account.display_name = f"{account.display_name}!"
        runtime.clear_caches()
    st.text(runtime.report_source())


def test_a_writer_reads_the_primary_until_the_replica_has_replayed_the_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_databases: None
):
    primary = tmp_path / "primary.db"
    engine = build_engine(f"sqlite:///{primary}")
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        seed_demo(session=session)
    engine.dispose()
    replica = tmp_path / "replica.db"
    _replay(primary, replica)  # a replica that has replayed everything so far
    _point_at(monkeypatch, f"sqlite:///{primary}", f"sqlite:///{replica}")

    at = AppTest.from_function(_sources_script).run()
    assert at.text[0].value == "replica"
    at.session_state["write"] = True
    at.run()  # the write itself: its later reads in this run
    assert at.text[0].value == "primary"
    at.run()
    assert at.text[0].value == "primary", "the replica has not replayed the write yet"
    _replay(primary, replica)  # it has now
    at.run()
    assert at.text[0].value == "replica"
    at.run()
    assert at.text[0].value == "replica"


def _required(problem: str | None) -> None:
    if problem is None:
        return
    if os.environ.get("ENLACE_REQUIRE_POSTGRES") == "1":
        pytest.fail(f"ENLACE_REQUIRE_POSTGRES=1 but a streaming replica cannot be made: {problem}")
    pytest.skip(f"streaming replica: {problem}")


def test_a_streaming_replica_serves_the_report_reads(
    monkeypatch: pytest.MonkeyPatch, app_databases: None
):
    _required(pg_standby.missing())
    with pg_standby.primary_and_standby() as pair:
        engine = build_engine(pair.primary_url)
        migrate.upgrade(engine)
        with session_scope(engine) as session:
            seed_demo(session=session)
        with Session(engine) as session:
            manager = users.find_by_email(session, "manager@enlace.test")
        pair.wait_replayed()
        _point_at(monkeypatch, pair.primary_url, pair.standby_url)

        statements: dict[str, list[str]] = {"primary": [], "replica": []}
        read_engine = runtime.get_read_engine()
        assert read_engine is not None
        for name, watched in (("primary", runtime.get_engine()), ("replica", read_engine)):
            sa.event.listen(
                watched, "before_cursor_execute", lambda *a, n=name: statements[n].append(a[2])
            )
        reports = runtime.cached_reports(
            manager.id, manager.role, manager.country, "en", 5, (), ("cases", "times")
        )
        assert reports and all(parts for parts in reports.values())
        assert any("referral_case" in s for s in statements["replica"])
        assert not any("referral_case" in s for s in statements["primary"])

        with read_engine.connect() as connection:  # read-only: a stray write fails there
            with pytest.raises(sa.exc.DBAPIError, match="read-only"):
                connection.execute(sa.text("UPDATE data_version SET version = version + 1"))
        engine.dispose()


def test_an_unreachable_replica_sends_the_reads_to_the_primary(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, app_databases: None
):
    primary = f"sqlite:///{tmp_path / 'primary.db'}"
    engine = build_engine(primary)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        seed_demo(session=session)
        manager = users.find_by_email(session, "manager@enlace.test")
    engine.dispose()
    _point_at(monkeypatch, primary, "postgresql+psycopg://postgres@127.0.0.1:1/gone")

    reports = runtime.cached_reports(
        manager.id, manager.role, manager.country, "en", 5, (), ("cases", "times")
    )
    assert reports and all(parts for parts in reports.values())
