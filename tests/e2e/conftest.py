"""A real app server and the real local OIDC provider, driven by Debian's Chromium."""

import os
import shutil
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from services.platform import migrate, users
from services.platform.db import build_engine, session_scope
from services.tooling import demo
from services.tooling.browser_clicks import CHROMIUM_ARGS
from services.tooling.seed import seed_demo
from tests.e2e.support import ROOT, LiveApp, Provider, free_port, serve_command

CHROMIUM = os.environ.get("ENLACE_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"


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


class AppServer:
    """One app server process (started by `command`), its log in `folder`."""

    def __init__(self, command: list[str], *, env: dict[str, str], port: int, folder: Path):
        self.command, self.env, self.port, self.folder = command, env, port, folder
        self.url = f"http://localhost:{port}"
        self.log_path = folder / f"server-{port}.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        log = self.log_path.open("a")
        self.process = subprocess.Popen(
            self.command, cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT
        )
        log.close()
        _wait_healthy(f"http://127.0.0.1:{self.port}/_stcore/health", self)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=15)

    def log(self) -> str:
        return self.log_path.read_text()


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


def _wait_healthy(url: str, server: AppServer) -> None:
    def exited() -> bool:
        return server.process is not None and server.process.poll() is not None

    try:
        demo.wait_until_healthy(url, stopped=exited, timeout=90)
    except demo.ServerStopped:
        pytest.fail("the app server exited:\n" + server.log())
    except TimeoutError:
        pytest.fail("the app server did not become healthy in 90 s:\n" + server.log())


@pytest.fixture(scope="module")
def start_app_server(live_app: LiveApp) -> Iterator[Callable[..., AppServer]]:
    """`start_app_server(command, env=..., port=...)`: another app server beside `live_app`
    (its log in the same folder), started and healthy; stopped after the test module."""
    started: list[AppServer] = []

    def start(command: list[str], *, env: dict[str, str], port: int) -> AppServer:
        server = AppServer(command, env=env, port=port, folder=live_app.folder)
        server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
