"""In a real browser: a stranger signs in and is told access is pending; the admin grants the
request in place (no e-mail typed); the stranger's next click signs them in; the admin
downloads the audit log filtered to grants, in words, and the download is audited."""

import contextlib

import pytest
from playwright.sync_api import Browser, Page, expect
from playwright.sync_api import Error as PlaywrightError
from sqlmodel import Session, select

from models import AuditEvent
from services.platform.db import build_engine
from tests.e2e.support import SIGN_OUT, TIMEOUT, sign_in

pytestmark = pytest.mark.browser
STRANGER = "nuevo.contacto@example.org"


def events(database_url: str, action: str) -> list[AuditEvent]:
    engine = build_engine(database_url)
    with Session(engine) as session:
        found = list(session.exec(select(AuditEvent).where(AuditEvent.action == action)))
    engine.dispose()
    return found


def settle(page: Page) -> None:
    """Wait until no run of the app is under way (its status widget is gone)."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT)


def choose(page: Page, key: str, name: str) -> None:
    """An option of the select `key`; opened again if a run redrew the list meanwhile."""
    option = page.get_by_role("option", name=name, exact=True)
    for _attempt in range(3):
        settle(page)
        page.locator(f".st-key-{key}").click(timeout=TIMEOUT)
        with contextlib.suppress(PlaywrightError):
            return option.click(timeout=5_000)
        page.keyboard.press("Escape")
    option.click(timeout=TIMEOUT)


def test_admin_grants_a_request_in_place_and_reads_it_in_the_log(
    page: Page, browser: Browser, live_app, tmp_path
):
    claims = {"email": STRANGER, "email_verified": True, "name": "Nuevo Contacto"}
    live_app.provider.set_claims(STRANGER, claims)
    context = browser.new_context()
    stranger = context.new_page()
    try:
        sign_in(stranger, live_app, STRANGER, expect_signed_in=False)
        expect(stranger.get_by_text("do not have access to Enlace yet")).to_be_visible(
            timeout=TIMEOUT
        )
        (request,) = [
            e
            for e in events(live_app.database_url, "access_requested")
            if e.actor_email == STRANGER
        ]

        sign_in(page, live_app, "admin@enlace.test")  # the demo admin reads English
        page.goto(f"{live_app.url}/admin")
        page.get_by_role("tab", name="Access requests").click(timeout=TIMEOUT)
        key = f"request_{request.id}"
        expect(page.get_by_text(STRANGER)).to_be_visible(timeout=TIMEOUT)
        choose(page, f"{key}_role", "Coordinator")
        page.locator(f".st-key-{key}_grant button").click(timeout=TIMEOUT)
        expect(page.get_by_text(f"Access granted: {STRANGER}")).to_be_visible(timeout=TIMEOUT)
        expect(page.locator(f".st-key-{key}_grant")).to_have_count(0)

        stranger.reload()  # their next click, same sign-in
        expect(stranger.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)
    finally:
        context.close()

    page.get_by_role("tab", name="Audit log").click(timeout=TIMEOUT)
    choose(page, "audit_actions", "Access request granted")
    page.keyboard.press("Escape")
    expect(page.get_by_text("Events found: 1,")).to_be_visible(timeout=TIMEOUT)
    settle(page)  # the button's file belongs to the last run
    with page.expect_download(timeout=TIMEOUT) as download_info:
        page.locator(".st-key-audit_download button").click(timeout=TIMEOUT)
    saved = tmp_path / download_info.value.suggested_filename
    download_info.value.save_as(saved)
    lines = saved.read_text(encoding="utf-8-sig").splitlines()
    assert len(lines) == 2, lines
    assert "Diego Herrera" in lines[1] and "Account: Nuevo Contacto" in lines[1]
    assert "Role: — → Coordinator" in lines[1]
    (exported,) = events(live_app.database_url, "audit_log_exported")
    assert exported.actor_email == "admin@enlace.test"
    assert exported.changes["rows"] == [None, 1]
