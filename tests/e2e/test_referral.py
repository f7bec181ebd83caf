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
        coordinator.goto(f"{live_app.url}/case?code={code}")
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

        # Stage tab: move to `referred` (the forms' keys are new after the referral was sent).
        settle(coordinator)
        coordinator.get_by_role("tab").nth(1).click()
        choose(coordinator, f"move_target_{code}_1", referred)
        coordinator.locator(f".st-key-move_{code}_1 button").click(timeout=TIMEOUT)
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
    page.wait_for_url(re.compile(rf"/case\?code={code[0]}"), timeout=TIMEOUT)
    expect(page.get_by_role("heading", name=re.compile(code[0]))).to_be_visible(timeout=TIMEOUT)


def _coordinator_label(database_url: str, code: str) -> str:
    """A stage's label in the coordinator's language (the page's)."""
    language = query(
        database_url,
        lambda s: s.scalars(
            select(UserAccount.preferred_language).where(
                UserAccount.email == "coordinator@enlace.test"
            )
        ).one(),
    )
    set_language(str(language))
    try:
        return label(code)
    finally:
        set_language("en")


def test_after_a_move_the_form_is_the_moved_cases_and_move_again_does_not_reuse_it(
    page: Page, live_app
):
    """The reported bug, in the browser: after a move the form kept the old target and note,
    and pressing Move again moved the case back with the old note."""
    url = live_app.database_url
    code = query(
        url,
        lambda s: s.scalars(
            select(Case.case_code).where(Case.stage == "identified").order_by(Case.id)
        ).first(),
    )
    sign_in(page, live_app, "coordinator@enlace.test")
    page.goto(f"{live_app.url}/case?code={code}")
    page.get_by_role("tab").nth(1).click(timeout=TIMEOUT)
    note = page.locator(f".st-key-move_note_{code} textarea")
    note.fill("Screened with the labour inspector.", timeout=TIMEOUT)
    note.press("Control+Enter")
    settle(page)
    page.locator(f".st-key-move_{code} button").click(timeout=TIMEOUT)
    wait_for(
        url,
        lambda s: s.scalars(
            select(Case.id).where(Case.case_code == code, Case.stage == "screening")
        ).first(),
        "the move to screening",
    )
    settle(page)

    expect(page.locator(f".st-key-move_note_{code}_1 textarea")).to_have_value("", timeout=TIMEOUT)
    target = page.locator(f".st-key-move_target_{code}_1").get_by_role("combobox")
    expect(target).to_have_value(_coordinator_label(url, "referred"), timeout=TIMEOUT)
    page.locator(f".st-key-move_{code}_1 button").click(timeout=TIMEOUT)  # "Move" again
    settle(page)
    expect(page.get_by_test_id("stAlertContentError").first).to_be_visible(timeout=TIMEOUT)
    stage = query(url, lambda s: s.scalars(select(Case.stage).where(Case.case_code == code)).one())
    assert stage == "screening"  # not moved back with the old note
