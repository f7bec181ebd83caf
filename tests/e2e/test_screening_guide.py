"""In Chromium: the officer opens the New referral form's screening guide, ticks what she
saw and reads at once which situation it points to and why, in her language; what she had
already typed in the form below stays, and the ticks are saved with the case."""

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from models import Case
from services.platform.i18n import _, set_language
from services.platform.labels import label
from tests.e2e.support import TIMEOUT, begin_new_case, language_of, settle, wait_for

pytestmark = pytest.mark.browser
ALIAS = "G.S."
TICKS = (
    ("act", "act_recruitment"),
    ("ilo", "retention_of_identity_documents"),
    ("purpose", "purpose_forced_labour"),
)


def test_ticks_show_the_suggestion_at_once_and_are_saved_with_the_case(page: Page, live_app):
    begin_new_case(page, live_app, ALIAS, "ForcedLabour", "shelter")
    set_language(language_of(live_app.database_url, "officer.ar@enlace.test"))
    try:
        guide = _("Screening guide (optional): what did you see?")
        headline = _("The indicators point to: {situation}.").format(situation=label("trafficking"))
        shown = [(group, label(code)) for group, code in TICKS]
    finally:
        set_language("en")

    page.get_by_text(guide).click(timeout=TIMEOUT)
    for group, text in shown:
        settle(page)
        # By its label: each group also has a help button.
        pills = page.locator(f".st-key-nr_screening_{group}")
        pills.get_by_role("button", name=text, exact=True).click(timeout=TIMEOUT)
    expect(page.get_by_text(headline)).to_be_visible(timeout=TIMEOUT)
    # The form's fields, typed before the ticks and not submitted yet, are still there.
    expect(page.locator(".st-key-nr_person_alias input")).to_have_value(ALIAS)
    # The ILO tick is already ticked in the form's "Indicators observed", not asked twice.
    carried = page.locator(".st-key-nr_indicators").get_by_role(
        "button", name=shown[1][1], exact=True
    )
    expect(carried).to_have_attribute("aria-pressed", "true")

    settle(page)
    page.locator(".st-key-nr_submit button").click()
    indicators = wait_for(
        live_app.database_url,
        lambda s: s.scalars(
            select(Case.screening_indicators).where(Case.person_alias == ALIAS)
        ).first(),
        "the new case",
    )
    assert indicators == [
        "act_recruitment",
        "purpose_forced_labour",
        "retention_of_identity_documents",
    ]
