"""In Chromium: an Argentine officer files a referral through the form; the coordinator
refers the person to an organisation and moves the case to `referred` on the board.

Both work in Spanish: widgets are found by their keys (`.st-key-<key>`), and the one option
picked by its text is the stage's label in the coordinator's language.
"""

import re

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from models import Case, Referral, UserAccount
from services.platform.i18n import set_language
from services.platform.labels import label
from tests.e2e.support import (
    TIMEOUT,
    begin_new_case,
    choose,
    query,
    settle,
    sign_in,
    tick,
    wait_for,
)

pytestmark = pytest.mark.browser
ALIAS = "E.Z."


def test_officer_files_a_referral_and_coordinator_moves_it_to_referred(
    page: Page, browser: Browser, live_app
):
    # The officer fills the form: alias, age band left unknown, one type, one need.
    begin_new_case(page, live_app, ALIAS, "ForcedLabour", "shelter")
    page.locator(".st-key-nr_submit button").click()

    code = wait_for(
        live_app.database_url,
        lambda s: s.scalars(select(Case.case_code).where(Case.person_alias == ALIAS)).first(),
        "the new case",
    )
    assert re.fullmatch(r"AR-\d{4}-\d{4}", str(code))
    expect(page.get_by_text(str(code)).first).to_be_visible(timeout=TIMEOUT)

    # The coordinator, in another browser context, works the case on the board.
    language = query(
        live_app.database_url,
        lambda s: s.scalars(
            select(UserAccount.preferred_language).where(
                UserAccount.email == "coordinator@enlace.test"
            )
        ).one(),
    )
    set_language(str(language))
    referred = label("referred")
    set_language("en")
    context = browser.new_context()
    coordinator = context.new_page()
    try:
        sign_in(coordinator, live_app, "coordinator@enlace.test")
        coordinator.goto(f"{live_app.url}/board?case={code}")
        expect(coordinator.get_by_text(str(code)).first).to_be_visible(timeout=TIMEOUT)

        # Referrals tab: no consent yet, so the coordinator overrides with a reason.
        coordinator.get_by_role("tab").nth(2).click()
        tick(coordinator, f"refer_override_{code}")
        reason = coordinator.locator(f".st-key-refer_override_reason_{code} textarea")
        reason.fill("Imminent danger: needs a shelter tonight.", timeout=TIMEOUT)
        reason.press("Control+Enter")
        coordinator.locator(f".st-key-refer_{code} button").click(timeout=TIMEOUT)
        wait_for(
            live_app.database_url,
            lambda s: s.scalars(
                select(Referral.id)
                .join(Case, Case.id == Referral.case_id)
                .where(Case.case_code == code)
            ).first(),
            "the referral",
        )

        # Stage tab: move to `referred`.
        settle(coordinator)
        coordinator.get_by_role("tab").nth(1).click()
        choose(coordinator, f"move_target_{code}", referred)
        coordinator.locator(f".st-key-move_{code} button").click(timeout=TIMEOUT)
        wait_for(
            live_app.database_url,
            lambda s: s.scalars(
                select(Case.stage).where(Case.case_code == code, Case.stage == "referred")
            ).first(),
            "the move to referred",
        )
    finally:
        context.close()


def test_coordinator_opens_a_case_by_picking_its_card_on_the_board(page: Page, live_app):
    sign_in(page, live_app, "coordinator@enlace.test")
    page.goto(f"{live_app.url}/board")
    card = page.locator(".st-key-board_column_identified [role=radiogroup] label").first
    code = re.match(r"[A-Z]{2}-\d{4}-\d{4}", card.inner_text(timeout=TIMEOUT))
    assert code, "the first card of the column starts with its case code"
    card.click()
    page.wait_for_url(re.compile(rf"case={code[0]}"), timeout=TIMEOUT)
    expect(page.get_by_role("heading", name=re.compile(code[0]))).to_be_visible(timeout=TIMEOUT)
