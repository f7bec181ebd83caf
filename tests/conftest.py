"""Shared fixtures. Every database test runs on SQLite, and on PostgreSQL too when
ENLACE_TEST_DATABASE_URL is given (CI gives it and sets ENLACE_REQUIRE_POSTGRES=1)."""

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Engine
from sqlmodel import Session, SQLModel
from streamlit.testing.v1 import AppTest

from models import UserAccount
from models.enums import Role
from services.platform import migrate
from services.platform.db import build_engine
from services.platform.settings import get_settings
from services.tooling.apptest import SECRETS as BENCH_SECRETS
from services.tooling.apptest import apptest_runs_app_py, signed_in_user
from services.tooling.seed import seed_demo
from services.ui import runtime

ROOT = Path(__file__).resolve().parents[1]
APP = str(ROOT / "app.py")
BACKENDS = ["sqlite", "postgresql"]


def _postgres_url() -> str | None:
    url = os.environ.get("ENLACE_TEST_DATABASE_URL")
    if not url and os.environ.get("ENLACE_REQUIRE_POSTGRES") == "1":
        pytest.fail("ENLACE_REQUIRE_POSTGRES=1 but ENLACE_TEST_DATABASE_URL is not set")
    return url


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated, empty database: a SQLite file, or the PostgreSQL one given to the run."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'enlace-test.db'}"
    else:
        url = _postgres_url()
        if not url:
            pytest.skip("PostgreSQL run: set ENLACE_TEST_DATABASE_URL")
        url = url.replace("postgresql://", "postgresql+psycopg://", 1)
    engine = build_engine(url)
    migrate.downgrade(engine, "base") if request.param != "sqlite" else None
    migrate.upgrade(engine)
    engine.dispose()
    return url


@pytest.fixture(scope="session")
def engine(database_url: str) -> Iterator[Engine]:
    """The engine on the test database."""
    engine = build_engine(database_url)
    yield engine
    engine.dispose()


@pytest.fixture(autouse=True)
def _settings_env(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Settings come from the environment; each test starts from a clean cache."""
    monkeypatch.delenv("ENLACE_DEMO_MODE", raising=False)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.fixture
def db(engine: Engine, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[Engine]:
    """The test database, emptied after the test; the app and CLI are pointed at it too."""
    monkeypatch.setenv("ENLACE_DATABASE_URL", database_url)
    get_settings.cache_clear()
    yield engine
    _empty(engine)


@pytest.fixture
def session(db: Engine) -> Iterator[Session]:
    """A session on the emptied test database."""
    with Session(db, expire_on_commit=False) as session:
        yield session


def _empty(engine: Engine) -> None:
    tables = [table.name for table in reversed(SQLModel.metadata.sorted_tables)]
    with engine.begin() as connection:
        if engine.dialect.name == "postgresql":
            connection.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        else:
            for table in tables:
                connection.execute(sa.text(f"DELETE FROM {table}"))


def make_user(session: Session, email: str, role: Role, country: str | None = None) -> UserAccount:
    """An active account, committed."""
    user = UserAccount(email=email, role=role, country=country, display_name=email.split("@")[0])
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


@pytest.fixture
def users(session: Session) -> dict[str, UserAccount]:
    """One account per role: admin, coordinator, manager, officer_ar, officer_br."""
    return {
        "admin": make_user(session, "admin@enlace.test", Role.admin),
        "coordinator": make_user(session, "coordinator@enlace.test", Role.coordinator),
        "manager": make_user(session, "manager@enlace.test", Role.manager),
        "officer_ar": make_user(session, "officer.ar@enlace.test", Role.officer, "AR"),
        "officer_br": make_user(session, "officer.br@enlace.test", Role.officer, "BR"),
    }


# --- AppTest: the app as a signed-in person ---------------------------------------------

SECRETS = BENCH_SECRETS  # complete [auth] secrets (never contacted under AppTest)
ACCOUNTS = {
    "admin": "admin@enlace.test",
    "coordinator": "coordinator@enlace.test",
    "manager": "manager@enlace.test",
    "officer": "officer.ar@enlace.test",
}


@pytest.fixture(autouse=True, scope="session")
def _apptest_runs_app_py() -> Iterator[None]:
    """Every AppTest page run goes through app.py, as in the server (see the function)."""
    with apptest_runs_app_py():
        yield


@pytest.fixture
def demo_db(session: Session) -> Iterator[Session]:
    """The demo data on the test database, the app's caches emptied."""
    seed_demo(session=session)
    runtime.get_engine.clear()
    runtime.clear_caches()
    yield session
    runtime.get_engine.clear()


def app_as(email: str | None, *, language: str | None = "en", **claims) -> AppTest:
    """The app signed in as `email` (None: signed out), in `language` (None: the account's)."""
    at = AppTest.from_file(APP, default_timeout=60)
    at.secrets = SECRETS
    if language is not None:
        at.session_state["language"] = language
    if email is None:
        at.user = {"is_logged_in": False}
    else:
        at.user = signed_in_user(email, **claims)
    return at
