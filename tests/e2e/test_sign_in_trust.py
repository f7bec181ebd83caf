"""Sign-in that cannot be forged or outlive its end, and failures explained, in Chromium."""

import json
import re
import sys
import time

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import func, select
from sqlmodel import Session
from streamlit.web.server.starlette.starlette_app_utils import create_signed_value

from models import AuditEvent, UserAccount, UserAccountUpdate
from models.enums import Role
from services.platform import users
from services.platform.auth_config import EXAMPLE_COOKIE_SECRET, load_secrets
from services.platform.db import build_engine
from tests.e2e.support import (
    ROOT,
    SIGN_IN,
    SIGN_OUT,
    TIMEOUT,
    LiveApp,
    free_port,
    serve_command,
    sign_in,
)

pytestmark = pytest.mark.browser


def forged_cookie(secret: str, app_url: str, email: str) -> str:
    """Streamlit's identity cookie for `email`, signed the way Streamlit signs it."""
    claims = {
        "email": email,
        "email_verified": True,
        "sub": email,
        "name": email,
        "iat": int(time.time()),
        "origin": app_url,
        "is_logged_in": True,
        "provider": "default",
    }
    return create_signed_value(secret, "_streamlit_user", json.dumps(claims)).decode()


def open_with_cookie(browser: Browser, app_url: str, value: str) -> Page:
    context = browser.new_context()
    context.add_cookies([{"name": "_streamlit_user", "value": value, "url": app_url}])
    page = context.new_page()
    page.goto(app_url)
    return page


def expect_signed_out(page: Page) -> None:
    expect(page.locator(SIGN_IN)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)
    assert "Referral board" not in page.locator("body").inner_text()


def database(live_app: LiveApp) -> Session:
    return Session(build_engine(live_app.database_url), expire_on_commit=False)


def test_a_cookie_signed_with_the_servers_secret_signs_in(browser: Browser, live_app):
    """The control: a cookie forged with the server's real secret is accepted, so the
    refusals below come from the secret and the checks, not from a broken forgery."""
    secret = load_secrets(live_app.secrets)["auth"]["cookie_secret"]
    page = open_with_cookie(
        browser, live_app.url, forged_cookie(secret, live_app.url, "manager@enlace.test")
    )
    expect(page.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)


def test_a_cookie_forged_with_a_wrong_secret_signs_nobody_in(browser: Browser, live_app):
    cookie = forged_cookie("another-secret-" + "x9" * 20, live_app.url, "admin@enlace.test")
    expect_signed_out(open_with_cookie(browser, live_app.url, cookie))


@pytest.fixture(scope="module")
def misconfigured_app(live_app: LiveApp, start_app_server):
    """A production server started with plain `streamlit run` (not `enlace serve`) and the
    README's example cookie secret: app.py alone must refuse every identity."""
    port = free_port()
    secrets = live_app.folder / "example-secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "https://enlace.example.org/oauth2callback"\n'
        f'cookie_secret = "{EXAMPLE_COOKIE_SECRET}"\n'
        'client_id = "enlace"\nclient_secret = "secret"\n'
        'server_metadata_url = "https://login.example.org/.well-known/openid-configuration"\n'
    )
    command = [sys.executable, "-m", "streamlit", "run", str(ROOT / "app.py")] + [
        "--server.port",
        str(port),
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
        "--secrets.files",
        str(secrets),
    ]
    env = {**live_app.env, "ENLACE_ENVIRONMENT": "production"}
    return start_app_server(command, env=env, port=port)


def test_a_cookie_forged_with_the_example_secret_never_signs_in(
    browser: Browser, misconfigured_app
):
    cookie = forged_cookie(EXAMPLE_COOKIE_SECRET, misconfigured_app.url, "admin@enlace.test")
    page = open_with_cookie(browser, misconfigured_app.url, cookie)
    expect(page.get_by_text("cookie_secret is the example value")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)
    page.goto(f"{misconfigured_app.url}/admin")
    expect(page.get_by_text("cookie_secret is the example value")).to_be_visible(timeout=TIMEOUT)
    assert "Audit log" not in page.locator("body").inner_text()


def test_a_cookie_saved_before_sign_out_is_refused_after_it(browser: Browser, live_app):
    context = browser.new_context()
    page = context.new_page()
    sign_in(page, live_app, "manager@enlace.test")
    saved = [c for c in context.cookies() if c["name"].startswith("_streamlit_user")]
    assert saved
    time.sleep(1.1)  # the provider's issue times are whole seconds
    page.locator(SIGN_OUT).click()
    try:
        page.get_by_role("button", name="End session").click(timeout=10_000)
    except Exception:  # noqa: BLE001  (providers without an end-session page)
        pass

    replay = browser.new_context()
    replay.add_cookies(saved)
    stolen = replay.new_page()
    stolen.goto(live_app.url)
    expect(stolen.get_by_text("You are signed out")).to_be_visible(timeout=TIMEOUT)
    expect_signed_out(stolen)
    stolen.goto(f"{live_app.url}/reports")
    expect_signed_out(stolen)


def test_a_deactivated_person_is_signed_out_at_the_next_click(page: Page, live_app):
    email = "officer.temp@enlace.test"
    live_app.provider.set_claims(email, {"email": email, "email_verified": True})
    with database(live_app) as session:
        session.add(UserAccount(email=email, role=Role.officer, country="PY"))
        session.commit()
    sign_in(page, live_app, email)
    expect(page.get_by_role("link", name=re.compile("Tablero|Referral board"))).to_be_visible(
        timeout=TIMEOUT
    )

    with database(live_app) as session:
        account = users.find_by_email(session, email)
        admin = users.find_by_email(session, "admin@enlace.test")
        users.update_user(
            session=session,
            actor=admin,
            account_id=account.id,
            user_in=UserAccountUpdate(is_active=False),
        )
        session.commit()  # the admin's unit of work
    page.get_by_role("link", name=re.compile("Tablero|Referral board")).click()
    expect(page.locator(SIGN_IN)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)


def sign_ins_of(live_app: LiveApp, email: str) -> int:
    with database(live_app) as session:
        account = users.find_by_email(session, email)
        return session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "sign_in", AuditEvent.entity_id == str(account.id))
        )


def test_reloads_and_new_tabs_audit_one_sign_in(page: Page, live_app):
    email = "officer.bo@enlace.test"
    before = sign_ins_of(live_app, email)
    sign_in(page, live_app, email)
    for _ in range(3):
        page.reload()
        expect(page.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)
    tab = page.context.new_page()
    tab.goto(f"{live_app.url}/board")
    expect(tab.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)
    assert sign_ins_of(live_app, email) == before + 1


def test_an_address_the_provider_does_not_verify_gets_no_access(page: Page, live_app):
    # The test provider sends no email_verified for a typed-in address.
    sign_in(page, live_app, "unverified.person@example.org", expect_signed_in=False)
    expect(page.get_by_text("not verified")).to_be_visible(timeout=TIMEOUT)


def start_sign_in(page: Page, live_app) -> None:
    page.goto(live_app.url)
    page.locator(SIGN_IN).click(timeout=TIMEOUT)


def expect_failure(page: Page, live_app, words: str) -> None:
    page.wait_for_url(re.compile(re.escape(live_app.url)), timeout=TIMEOUT)
    expect(page.get_by_role("alert").filter(has_text=words)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("button", name="Try again")).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)


def test_provider_down_when_pressing_sign_in_is_explained(page: Page, live_app):
    live_app.provider.stop()
    try:
        start_sign_in(page, live_app)
        expect_failure(page, live_app, "could not reach")
    finally:
        live_app.provider.start()
    page.get_by_role("button", name="Try again").click()
    page.wait_for_url(re.compile(re.escape(live_app.provider_url)), timeout=TIMEOUT)


def test_provider_down_between_consent_and_callback_is_explained(page: Page, live_app):
    start_sign_in(page, live_app)
    page.wait_for_url(re.compile(re.escape(live_app.provider_url)), timeout=TIMEOUT)
    page.get_by_placeholder("sub").fill("coordinator@enlace.test")

    def consent_then_provider_goes_down(route):
        consent = route.fetch(max_redirects=0)  # the provider's redirect to the callback
        live_app.provider.stop()
        route.fulfill(response=consent)

    page.route(re.compile(r".*/oauth2/authorize.*"), consent_then_provider_goes_down)
    try:
        page.get_by_role("button", name="Authorize").click()
        expect_failure(page, live_app, "could not reach")
    finally:
        live_app.provider.start()
    assert "Sign-in failed (unreachable)" in live_app.log_path.read_text()


def test_consent_refused_at_the_provider_is_explained(page: Page, live_app):
    start_sign_in(page, live_app)
    page.wait_for_url(re.compile(re.escape(live_app.provider_url)), timeout=TIMEOUT)
    page.get_by_role("button", name="Deny").click()
    expect_failure(page, live_app, "cancelled")


def test_a_stale_callback_is_explained(page: Page, live_app):
    page.goto(f"{live_app.url}/oauth2callback?code=old-code&state=from-another-window")
    expect_failure(page, live_app, "old or different browser window")


@pytest.fixture(scope="module")
def wrong_secret_app(live_app: LiveApp, start_app_server):
    """`enlace serve` with a client the provider knows, but the wrong client secret."""
    port = free_port()
    client_id, _secret = live_app.provider.register_client(
        f"http://localhost:{port}/oauth2callback"
    )
    secrets = live_app.folder / "wrong-client-secrets.toml"
    secrets.write_text(
        "[auth]\n"
        f'redirect_uri = "http://localhost:{port}/oauth2callback"\n'
        'cookie_secret = "Zx8-q2LmN4vR7tY1wE5uI9oP3aS6dF0gH2jKqq"\n'
        f'client_id = "{client_id}"\nclient_secret = "not-the-registered-secret"\n'
        f'server_metadata_url = "{live_app.provider_url}/.well-known/openid-configuration"\n'
    )
    return start_app_server(serve_command(port, secrets), env=live_app.env, port=port)


def test_a_wrong_client_secret_is_explained(page: Page, live_app, wrong_secret_app):
    page.goto(wrong_secret_app.url)
    page.locator(SIGN_IN).click(timeout=TIMEOUT)
    page.wait_for_url(re.compile(re.escape(live_app.provider_url)), timeout=TIMEOUT)
    page.get_by_placeholder("sub").fill("coordinator@enlace.test")
    page.get_by_role("button", name="Authorize").click()
    page.wait_for_url(re.compile(re.escape(wrong_secret_app.url)), timeout=TIMEOUT)
    expect(page.get_by_role("alert").filter(has_text="client ID or secret")).to_be_visible(
        timeout=TIMEOUT
    )
    log = wrong_secret_app.log()
    assert "Sign-in failed (client)" in log
    assert "not-the-registered-secret" not in log
