"""In Chromium, the whole chain across a border: officer.ar files a case whose consent covers
service providers; the coordinator refers it to a Paraguayan partner; the partner's staff
(ngo.py) sign in, see only the referrals addressed to their organisation, and accept it;
officer.ar then reads "accepted" on the case's timeline.

Every person works in their own language, so texts a test looks for are built with the app's
own translations; widgets are found by their keys.
"""

import re
from datetime import date

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import select

from models import Case, Organisation, Referral, UserAccount
from models.enums import ConsentScope, ReferralState
from services.cases.outcomes import referral_outcome
from services.platform.i18n import _, set_language
from services.platform.labels import country_name, options
from tests.e2e.support import (
    TIMEOUT,
    begin_new_case,
    language_of,
    pick,
    query,
    settle,
    signed_in_elsewhere,
    tick,
    wait_for,
)

pytestmark = pytest.mark.browser
ALIAS = "X.W."
PARTNER = "ngo.py@enlace.test"


def _open_referral_codes(database_url: str) -> set[str]:
    """Case codes of the referrals addressed to the partner's organisation still to answer."""
    return set(
        query(
            database_url,
            lambda s: s.scalars(
                select(Case.case_code)
                .join(Referral, Referral.case_id == Case.id)
                .join(UserAccount, UserAccount.organisation_id == Referral.organisation_id)
                .where(
                    UserAccount.email == PARTNER,
                    Referral.state.in_([ReferralState.pending, ReferralState.accepted]),
                )
            ).all(),
        )
    )


def _file_case(page: Page, live_app) -> str:
    begin_new_case(page, live_app, ALIAS, "SexualExploitation", "shelter")
    tick(page, "nr_consent_given")
    # Streamlit's date field is a native <input type="date">: it takes an ISO date.
    consent_date = page.locator(".st-key-nr_consent_date input")
    consent_date.fill(date.today().isoformat(), timeout=TIMEOUT)
    consent_date.press("Tab")
    pick(page, "nr_consent_scope", options(ConsentScope), "service_providers")
    page.locator(".st-key-nr_submit button").click()
    return str(
        wait_for(
            live_app.database_url,
            lambda s: s.scalars(
                select(Case.case_code).where(
                    Case.person_alias == ALIAS, Case.reporting_country == "AR"
                )
            ).first(),
            "the new case",
        )
    )


def _refer_to_paraguay(browser: Browser, live_app, code: str) -> int:
    set_language(language_of(live_app.database_url, "coordinator@enlace.test"))
    paraguay = country_name("PY")
    set_language("en")
    with signed_in_elsewhere(browser, live_app, "coordinator@enlace.test") as coordinator:
        coordinator.goto(f"{live_app.url}/board?case={code}")
        expect(coordinator.get_by_text(code).first).to_be_visible(timeout=TIMEOUT)
        coordinator.get_by_role("tab").nth(2).click()
        # Shelter is the case's need, so the first service; the country list is long: type
        # to find Paraguay, which has one shelter.
        settle(coordinator)
        country = coordinator.locator(f".st-key-refer_country_{code}").get_by_role("combobox")
        country.click(timeout=TIMEOUT)
        coordinator.keyboard.type(paraguay)
        coordinator.get_by_role("option", name=paraguay, exact=True).click(timeout=TIMEOUT)
        organisation = coordinator.locator(f".st-key-refer_org_{code}").get_by_role("combobox")
        expect(organisation).to_have_value(re.compile(r"\(PY\)$"), timeout=TIMEOUT)
        settle(coordinator)
        coordinator.locator(f".st-key-refer_{code} button").click(timeout=TIMEOUT)
        sent = select(Referral.id).join(Case).where(Case.case_code == code)
        return int(str(wait_for(live_app.database_url, lambda s: s.scalars(sent).first(), "it")))


def test_a_paraguayan_partner_accepts_and_the_officer_reads_it_on_the_timeline(
    page: Page, browser: Browser, live_app
):
    code = _file_case(page, live_app)
    referral_id = _refer_to_paraguay(browser, live_app, code)
    organisation = query(
        live_app.database_url,
        lambda s: s.scalars(
            select(Organisation).join(Referral).where(Referral.id == referral_id)
        ).one(),
    )
    assert organisation.country == "PY"

    # The partner sees the referrals of their organisation, and no other.
    expected = _open_referral_codes(live_app.database_url)
    assert code in expected
    set_language(language_of(live_app.database_url, PARTNER))
    save = _("Save the answer")
    set_language("en")
    with signed_in_elsewhere(browser, live_app, PARTNER) as partner:
        partner.goto(f"{live_app.url}/referrals")
        chooser = partner.locator(".st-key-partner_referral").get_by_role("combobox")
        chooser.click(timeout=TIMEOUT)
        # The list opens after the click: wait for it before reading it.
        expect(partner.get_by_role("option").first).to_be_visible(timeout=TIMEOUT)
        shown = partner.get_by_role("option").all_inner_texts()
        assert {re.match(r"[A-Z]{2}-\d{4}-\d{4,}", text)[0] for text in shown} == expected
        assert ALIAS not in partner.content()
        partner.get_by_role("option", name=re.compile(re.escape(code))).click()
        settle(partner)
        # "Accepted" is the first answer of a pending referral: save it.
        partner.get_by_role("button", name=save).click(timeout=TIMEOUT)
        wait_for(
            live_app.database_url,
            lambda s: s.scalars(
                select(Referral.id).where(
                    Referral.id == referral_id, Referral.state == ReferralState.accepted
                )
            ).first(),
            "the partner's acceptance",
        )

    # The officer who filed the case reads the outcome on its timeline, in their language.
    set_language(language_of(live_app.database_url, "officer.ar@enlace.test"))
    accepted = referral_outcome(
        {"organisation": organisation.name, "service": "shelter", "to": "accepted"}
    )
    set_language("en")
    page.goto(f"{live_app.url}/board?case={code}")
    expect(page.get_by_text(accepted).first).to_be_visible(timeout=TIMEOUT)
