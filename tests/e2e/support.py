"""Plain helpers of the browser tests: the local OIDC provider, the serve command, signing in.
The fixtures that start servers are in `tests/e2e/conftest.py`; a test module imports from
here, never from another test module."""

import json
import re
import socket
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from playwright.sync_api import Browser, Page, expect
from sqlmodel import Session, select

from models import UserAccount
from models.enums import ExploitationType, Service
from services.platform.db import build_engine
from services.platform.labels import options
from services.platform.settings import Settings
from services.tooling import demo

ROOT = Path(__file__).resolve().parents[2]
ENLACE = str(Path(sys.executable).parent / "enlace")
TIMEOUT = 30_000
# Stable widget keys: the officers' pages are in Spanish or Portuguese.
SIGN_IN = ".st-key-sign_in button"
SIGN_OUT = ".st-key-sign_out button"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve_command(port: int, secrets: Path) -> list[str]:
    """The production start command, as the README gives it."""
    return [
        ENLACE,
        "serve",
        "--port",
        str(port),
        "--address",
        "127.0.0.1",
        "--secrets",
        str(secrets),
    ]


class Provider:
    """The local OIDC test provider on a fixed port, which a test may stop and restart."""

    def __init__(self, port: int, accounts: list[tuple[str, str]]):
        self.port, self.accounts = port, accounts
        self.url = f"http://127.0.0.1:{port}"
        self._running = None

    def start(self) -> None:
        if self._running is None:
            self._running = demo.serve_provider(
                Settings(database_url="sqlite://"), port=self.port, accounts=self.accounts
            )
            self._running.__enter__()

    def stop(self) -> None:
        if self._running is not None:
            self._running.__exit__(None, None, None)
            self._running = None

    def set_claims(self, sub: str, claims: dict) -> None:
        """Give a typed-in subject the claims a real provider would send."""
        request = urllib.request.Request(
            f"{self.url}/users/{sub}",
            data=json.dumps(claims).encode(),
            headers={"Content-Type": "application/json"},
            method="PUT",
        )
        with urllib.request.urlopen(request, timeout=10):  # noqa: S310
            pass

    def register_client(self, redirect_uri: str) -> tuple[str, str]:
        """A registered client: the provider then checks its secret."""
        request = urllib.request.Request(
            f"{self.url}/oauth2/clients",
            data=json.dumps({"redirect_uris": [redirect_uri]}).encode(),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310
            body = json.load(response)
        return body["client_id"], body["client_secret"]


@dataclass
class LiveApp:
    url: str
    provider_url: str
    database_url: str
    restart: Callable[[], None]
    provider: Provider
    secrets: Path
    folder: Path
    env: dict[str, str]
    log_path: Path


def sign_in(page: Page, app, email: str, *, expect_signed_in: bool = True) -> float:
    """Sign in through the provider's page by typing the address; returns seconds taken."""
    page.goto(app.url)
    started = time.monotonic()
    page.locator(SIGN_IN).click(timeout=TIMEOUT)
    page.wait_for_url(re.compile(re.escape(app.provider_url)), timeout=TIMEOUT)
    page.get_by_placeholder("sub").fill(email)
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(app.url)), timeout=TIMEOUT)
    if expect_signed_in:
        expect(page.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)
    seconds = time.monotonic() - started
    print(f"login round trip for {email}: {seconds:.2f} s")  # noqa: T201  (for the closing note)
    return seconds


# --- reading the database and working Streamlit's widgets by their keys -----------------


def query(database_url: str, read: Callable[[Session], object]) -> object:
    engine = build_engine(database_url)
    try:
        with Session(engine) as session:
            return read(session)
    finally:
        engine.dispose()


def wait_for(database_url: str, read: Callable[[Session], object], what: str) -> object:
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        found = query(database_url, read)
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def tick(page: Page, key: str) -> None:
    page.locator(f".st-key-{key} label").click(timeout=TIMEOUT)


def pick(page: Page, key: str, codes: list[str], code: str) -> None:
    """Toggle the pill of `code` in a multiple choice (labels are in the officer's language)."""
    page.locator(f".st-key-{key} button").nth(codes.index(code)).click(timeout=TIMEOUT)


def settle(page: Page) -> None:
    """Wait until the app has finished its current run (its "running" widget is gone)."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT)


def choose(page: Page, key: str, option: str) -> None:
    """Pick an option of a selectbox; a rerun can redraw the list under the pointer, so retry."""
    for attempt in range(3):
        settle(page)
        page.locator(f".st-key-{key}").click(timeout=TIMEOUT)
        try:
            page.get_by_role("option", name=option, exact=True).click(timeout=5_000)
        except Exception:  # noqa: BLE001  (redrawn mid-click: open the list again)
            if attempt == 2:
                raise
            page.keyboard.press("Escape")
            continue
        expect(page.locator(f".st-key-{key}").get_by_role("combobox")).to_have_value(
            option, timeout=TIMEOUT
        )
        return


def begin_new_case(page: Page, app, alias: str, exploitation: str, need: str) -> None:
    """officer.ar signs in and starts the new-referral form: the alias, one type of
    exploitation and one need (codes); the caller completes and submits it."""
    sign_in(page, app, "officer.ar@enlace.test")
    page.goto(f"{app.url}/new_referral")
    field = page.locator(".st-key-nr_person_alias input")
    field.fill(alias, timeout=TIMEOUT)
    field.press("Tab")
    pick(page, "nr_exploitation_types", options(ExploitationType), exploitation)
    pick(page, "nr_needs", options(Service), need)


@contextmanager
def signed_in_elsewhere(browser: Browser, app, email: str) -> Iterator[Page]:
    """A second person, signed in in a browser context of their own."""
    context = browser.new_context()
    try:
        page = context.new_page()
        sign_in(page, app, email)
        yield page
    finally:
        context.close()


def language_of(database_url: str, email: str) -> str:
    """The language an account's pages are in."""
    read = select(UserAccount.preferred_language).where(UserAccount.email == email)
    return str(query(database_url, lambda session: session.exec(read).one()))
