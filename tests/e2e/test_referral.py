"""In Chromium: an Argentine officer files a referral through the form; the coordinator
refers the person to an organisation and moves the case to `referred` on the board.

Both work in Spanish: widgets are found by their keys (`.st-key-<key>`), and the one option
picked by its text is the stage's label in the coordinator's language.
"""

import re
import time
from collections.abc import Callable

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select
from sqlmodel import Session

from models import Case, Referral, UserAccount
from models.enums import ExploitationType, Service
from services.platform.db import build_engine
from services.platform.i18n import set_language
from services.platform.labels import label, options
from tests.e2e.support import TIMEOUT, sign_in

pytestmark = pytest.mark.browser
ALIAS = "E.Z."


def _query(database_url: str, read: Callable[[Session], object]) -> object:
    engine = build_engine(database_url)
    try:
        with Session(engine) as session:
            return read(session)
    finally:
        engine.dispose()


def _wait_for(database_url: str, read: Callable[[Session], object], what: str) -> object:
    deadline = time.monotonic() + TIMEOUT / 1000
    while time.monotonic() < deadline:
        found = _query(database_url, read)
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"timed out waiting for {what}")


def _tick(page: Page, key: str) -> None:
    page.locator(f".st-key-{key} label").click(timeout=TIMEOUT)


def _pick(page: Page, key: str, codes: list[str], code: str) -> None:
    """Toggle the pill of `code` in a multiple choice (labels are in the officer's language)."""
    page.locator(f".st-key-{key} button").nth(codes.index(code)).click(timeout=TIMEOUT)


def _settle(page: Page) -> None:
    """Wait until the app has finished its current run (its "running" widget is gone)."""
    expect(page.get_by_test_id("stStatusWidget")).to_have_count(0, timeout=TIMEOUT)


def _choose(page: Page, key: str, option: str) -> None:
    """Pick an option of a selectbox; a rerun can redraw the list under the pointer, so retry."""
    for attempt in range(3):
        _settle(page)
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


def test_officer_files_a_referral_and_coordinator_moves_it_to_referred(
    page: Page, browser: Browser, live_app
):
    # The officer fills the form: alias, age band left unknown, one type, one need.
    sign_in(page, live_app, "officer.ar@enlace.test")
    page.goto(f"{live_app.url}/new_referral")
    alias = page.locator(".st-key-nr_person_alias input")
    alias.fill(ALIAS, timeout=TIMEOUT)
    alias.press("Tab")
    _pick(page, "nr_exploitation_types", options(ExploitationType), "ForcedLabour")
    _pick(page, "nr_needs", options(Service), "shelter")
    page.locator(".st-key-nr_submit button").click()

    code = _wait_for(
        live_app.database_url,
        lambda s: s.scalars(select(Case.case_code).where(Case.person_alias == ALIAS)).first(),
        "the new case",
    )
    assert re.fullmatch(r"AR-\d{4}-\d{4}", str(code))
    expect(page.get_by_text(str(code)).first).to_be_visible(timeout=TIMEOUT)

    # The coordinator, in another browser context, works the case on the board.
    language = _query(
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
        _tick(coordinator, f"refer_override_{code}")
        reason = coordinator.locator(f".st-key-refer_override_reason_{code} textarea")
        reason.fill("Imminent danger: needs a shelter tonight.", timeout=TIMEOUT)
        reason.press("Control+Enter")
        coordinator.locator(f".st-key-refer_{code} button").click(timeout=TIMEOUT)
        _wait_for(
            live_app.database_url,
            lambda s: s.scalars(
                select(Referral.id)
                .join(Case, Case.id == Referral.case_id)
                .where(Case.case_code == code)
            ).first(),
            "the referral",
        )

        # Stage tab: move to `referred` (the forms' keys are new after the referral was sent).
        _settle(coordinator)
        coordinator.get_by_role("tab").nth(1).click()
        _choose(coordinator, f"move_target_{code}_1", referred)
        coordinator.locator(f".st-key-move_{code}_1 button").click(timeout=TIMEOUT)
        _wait_for(
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
    language = _query(
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
    code = _query(
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
    _settle(page)
    page.locator(f".st-key-move_{code} button").click(timeout=TIMEOUT)
    _wait_for(
        url,
        lambda s: s.scalars(
            select(Case.id).where(Case.case_code == code, Case.stage == "screening")
        ).first(),
        "the move to screening",
    )
    _settle(page)

    expect(page.locator(f".st-key-move_note_{code}_1 textarea")).to_have_value("", timeout=TIMEOUT)
    target = page.locator(f".st-key-move_target_{code}_1").get_by_role("combobox")
    expect(target).to_have_value(_coordinator_label(url, "referred"), timeout=TIMEOUT)
    page.locator(f".st-key-move_{code}_1 button").click(timeout=TIMEOUT)  # "Move" again
    _settle(page)
    expect(page.get_by_test_id("stAlertContentError").first).to_be_visible(timeout=TIMEOUT)
    stage = _query(url, lambda s: s.scalars(select(Case.stage).where(Case.case_code == code)).one())
    assert stage == "screening"  # not moved back with the old note
