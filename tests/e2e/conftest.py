"""A real app server and the real local OIDC provider, driven by Debian's Chromium."""

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from services.platform import migrate, users
from services.platform.db import build_engine, session_scope
from services.tooling import demo
from services.tooling.seed import seed_demo
from tests.e2e.support import AppServer, LiveApp, Provider, free_port, serve_command

CHROMIUM = os.environ.get("ENLACE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests need Chromium. Where they are required (CI sets
    ENLACE_REQUIRE_BROWSER=1) its absence stops the run: a green run must have run them."""
    browser_tests = [item for item in items if "e2e" in item.nodeid]
    if not browser_tests or Path(CHROMIUM).exists():
        return
    if os.environ.get("ENLACE_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError(
            f"ENLACE_REQUIRE_BROWSER=1 but Chromium is not installed ({CHROMIUM}): "
            "the browser tests cannot run (apt-get install -y chromium)"
        )
    for item in browser_tests:
        item.add_marker(pytest.mark.skip(reason="Chromium is not installed"))


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's Chromium, with the flags this closed network needs."""
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": CHROMIUM_ARGS}


def seeded_database(folder: Path) -> tuple[str, list[tuple[str, str]]]:
    database_url = f"sqlite:///{folder / 'enlace.db'}"
    engine = build_engine(database_url)
    migrate.upgrade(engine)
    with session_scope(engine) as session:
        seed_demo(session=session)
        accounts = [
            (a.email, a.display_name)
            for a in users.list_users(session=session, actor=users.system_actor())
        ]
    engine.dispose()
    return database_url, accounts


@pytest.fixture(scope="session")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """Enlace on a seeded SQLite file, started by `enlace serve` (development settings)
    and signing people in through the local OIDC test provider."""
    folder = tmp_path_factory.mktemp("live")
    database_url, accounts = seeded_database(folder)
    app_port = free_port()
    provider = Provider(free_port(), accounts)
    secrets = demo.write_secrets(
        folder / "secrets.toml", app_port=app_port, provider_port=provider.port
    )
    env = {**os.environ, "ENLACE_DATABASE_URL": database_url}
    for name in ("ENLACE_DEMO_MODE", "ENLACE_ENVIRONMENT", "ENLACE_TRUST_PROVIDER_EMAILS"):
        env.pop(name, None)
    server = AppServer(serve_command(app_port, secrets), env=env, port=app_port, folder=folder)

    def restart() -> None:
        """A fresh server process on the same port and secrets: sign-in cookies stay valid."""
        server.stop()
        server.start()

    provider.start()
    try:
        server.start()
        yield LiveApp(
            url=server.url,
            provider_url=provider.url,
            database_url=database_url,
            restart=restart,
            provider=provider,
            secrets=secrets,
            folder=folder,
            env=env,
            log_path=server.log_path,
        )
    finally:
        server.stop()
        provider.stop()
