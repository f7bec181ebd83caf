"""Shared fixtures. Every database test runs on SQLite, and on PostgreSQL too when
ENLACE_TEST_DATABASE_URL is given (CI gives it and sets ENLACE_REQUIRE_POSTGRES=1).

The set-ups of cases and courses are in the plugin modules below; plain constants and
helpers without set-up are in `tests/support.py`."""

import os
from collections.abc import Callable, Iterator

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
from services.tooling.seed import seed_demo
from services.ui import runtime
from services.ui.apptest import SECRETS as BENCH_SECRETS
from services.ui.apptest import apptest_runs_app_py, signed_in_user
from tests.support import APP, OFFICER

pytest_plugins = [
    "tests.fixtures_cases",
    "tests.fixtures_courses",
    "tests.fixtures_catalog",
    "tests.fixtures_follow_ups",
    "tests.fixtures_partners",
    "tests.fixtures_report_stats",
    "tests.fixtures_language",
]

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


@pytest.fixture
def empty_database(db: Engine) -> Callable[[], None]:
    """Empties the test database in the middle of a test: `empty_database()`."""
    return lambda: _empty(db)


def _add_user(session: Session, email: str, role: Role, country: str | None = None) -> UserAccount:
    user = UserAccount(email=email, role=role, country=country, display_name=email.split("@")[0])
    session.add(user)
    session.commit()
    session.refresh(user)
    return user


@pytest.fixture
def make_user(session: Session) -> Callable[..., UserAccount]:
    """`make_user(email, role, country=None)`: an active account, committed."""

    def make(email: str, role: Role, country: str | None = None) -> UserAccount:
        return _add_user(session, email, role, country)

    return make


@pytest.fixture
def users(session: Session) -> dict[str, UserAccount]:
    """One account per role: admin, coordinator, manager, officer_ar, officer_br."""
    return {
        "admin": _add_user(session, "admin@enlace.test", Role.admin),
        "coordinator": _add_user(session, "coordinator@enlace.test", Role.coordinator),
        "manager": _add_user(session, "manager@enlace.test", Role.manager),
        "officer_ar": _add_user(session, "officer.ar@enlace.test", Role.officer, "AR"),
        "officer_br": _add_user(session, "officer.br@enlace.test", Role.officer, "BR"),
    }


# --- AppTest: the app as a signed-in person ---------------------------------------------


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


@pytest.fixture
def auth_secrets() -> dict:
    """Complete [auth] secrets (never contacted under AppTest)."""
    return BENCH_SECRETS


@pytest.fixture
def app_as(auth_secrets: dict) -> Callable[..., AppTest]:
    """`app_as(email, language="en", **claims)`: the app signed in as `email` (None: signed
    out), in `language` (None: the account's); `.run()` it."""

    def app(email: str | None, *, language: str | None = "en", **claims) -> AppTest:
        at = AppTest.from_file(APP, default_timeout=60)
        at.secrets = auth_secrets
        if language is not None:
            at.session_state["language"] = language
        if email is None:
            at.user = {"is_logged_in": False}
        else:
            at.user = signed_in_user(email, **claims)
        return at

    return app


@pytest.fixture
def new_referral_page(app_as: Callable[..., AppTest]) -> Callable[..., AppTest]:
    """`new_referral_page(email=OFFICER)`: the new-referral page, run once as `email`."""

    def page(email: str = OFFICER) -> AppTest:
        at = app_as(email).run()
        at.switch_page("pages/new_referral.py").run()
        assert not at.exception, at.exception
        return at

    return page


@pytest.fixture
def board_page(app_as: Callable[..., AppTest]) -> Callable[[str, str], AppTest]:
    """`board_page(email, case_code)`: the page of the case `case_code` (`/case?code=...`, the
    board's cards open it) as `email`."""

    def page(email: str, case_code: str) -> AppTest:
        at = app_as(email).run()
        at.switch_page("pages/case.py")
        at.query_params["code"] = case_code
        at.run()
        assert not at.exception, at.exception
        return at

    return page
