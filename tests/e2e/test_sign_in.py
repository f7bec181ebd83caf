"""The real sign-in round trip in Chromium: app → local OIDC provider → app."""

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlmodel import Session

from models import Case, Referral
from services.platform.db import build_engine
from tests.e2e.support import SIGN_IN, SIGN_OUT, TIMEOUT, sign_in

pytestmark = pytest.mark.browser


def brazilian_cases(database_url: str) -> tuple[list[str], list[str]]:
    """Codes of BR cases shared with Argentina by a cross-border referral, and not shared."""
    engine = build_engine(database_url)
    with Session(engine) as session:
        shared = set(
            session.scalars(
                select(Case.case_code)
                .join(Referral, Referral.case_id == Case.id)
                .where(Case.reporting_country == "BR")
                .where(Referral.cross_border_country == "AR")
            )
        )
        every = set(session.scalars(select(Case.case_code).where(Case.reporting_country == "BR")))
    engine.dispose()
    return sorted(shared), sorted(every - shared)


def test_officer_ar_sees_argentine_cases_and_no_unshared_brazilian_case(page: Page, live_app):
    sign_in(page, live_app, "officer.ar@enlace.test")

    page.goto(f"{live_app.url}/board")
    expect(page.get_by_text(re.compile(r"AR-\d{4}-\d{4}")).first).to_be_visible(timeout=TIMEOUT)
    shared, unshared = brazilian_cases(live_app.database_url)
    assert shared and unshared, "the demo data must have both kinds of Brazilian case"
    shown = page.locator("body").inner_text()
    for code in unshared:
        assert code not in shown

    page.goto(f"{live_app.url}/board?case={unshared[0]}")
    expect(page.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("alert").first).to_be_visible(timeout=TIMEOUT)
    expect(page.get_by_role("heading", name=re.compile(unshared[0]))).to_have_count(0)

    page.goto(f"{live_app.url}/board?case={shared[0]}")
    expect(page.get_by_text(shared[0]).first).to_be_visible(timeout=TIMEOUT)


def test_unknown_address_sees_access_pending_and_no_data(page: Page, live_app):
    sign_in(page, live_app, "stranger@example.org")

    expect(page.get_by_text("Access pending").first).to_be_visible(timeout=TIMEOUT)
    body = page.locator("body").inner_text()
    assert not re.search(r"[A-Z]{2}-\d{4}-\d{4}", body)
    assert "Referral board" not in body
    page.goto(f"{live_app.url}/board")
    expect(page.get_by_text("Access pending").first).to_be_visible(timeout=TIMEOUT)


def test_sign_out_signs_the_person_out(page: Page, live_app):
    sign_in(page, live_app, "coordinator@enlace.test")

    page.locator(SIGN_OUT).click()
    end_session = page.get_by_role("button", name="End session")
    try:
        end_session.click(timeout=10_000)
    except Exception:  # noqa: BLE001  (providers without an end-session page)
        pass
    page.goto(live_app.url)
    expect(page.locator(SIGN_IN)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(SIGN_OUT)).to_have_count(0)


def test_a_page_link_opened_first_after_a_restart_goes_through_the_sign_in(page: Page, live_app):
    """A fresh server's first run, by a signed-in person's bookmark of /board: Streamlit's
    legacy pages/ mode would run the page alone (blank); it must come through app.py."""
    sign_in(page, live_app, "coordinator@enlace.test")
    live_app.restart()
    page.goto(f"{live_app.url}/board")
    expect(page.locator(SIGN_OUT)).to_be_visible(timeout=TIMEOUT)
    expect(page.locator(".st-key-board_column_identified")).to_be_visible(timeout=TIMEOUT)
