"""A coordinator imports a Moodle user upload through the page: preview, then the result."""

import re
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlmodel import Session

from models import Enrollment, Participant
from services.platform.db import build_engine
from tests.e2e.support import TIMEOUT, sign_in

pytestmark = pytest.mark.browser
FILE = Path(__file__).parents[1] / "fixtures" / "moodle" / "user_upload_latin1_semicolon.csv"
EMAILS = ["jose.benitez@mre.py.test", "carmen.penaloza@rree.pe.test"]
# The coordinator's page is in Spanish: widgets are found by their keys, in page order.
IMPORT_SECTION = 2


def imported(database_url: str) -> list[tuple[str, str, int]]:
    """(email, consular post, enrollments) of the file's two people."""
    engine = build_engine(database_url)
    with Session(engine) as session:
        rows = session.execute(
            select(Participant.email, Participant.consular_post, Enrollment.id)
            .join(Enrollment, Enrollment.participant_id == Participant.id)
            .where(Participant.email.in_(EMAILS))
        ).all()
    engine.dispose()
    return sorted((email, post, 1) for email, post, _id in rows)


def test_coordinator_previews_then_imports_a_moodle_file(page: Page, live_app):
    sign_in(page, live_app, "coordinator@enlace.test")
    page.goto(f"{live_app.url}/courses")
    page.locator(".st-key-courses_section button").nth(IMPORT_SECTION).click(timeout=TIMEOUT)

    page.locator(".st-key-import_file input[type=file]").set_input_files(str(FILE))
    page.locator(".st-key-import_preview button").click(timeout=TIMEOUT)
    report = page.locator(".st-key-import_report")
    expect(report).to_be_visible(timeout=TIMEOUT)
    expect(report).to_contain_text(FILE.name, timeout=TIMEOUT)
    expect(report.get_by_test_id("stMetricValue").first).to_have_text("2")
    assert imported(live_app.database_url) == [], "the preview writes nothing"

    page.locator(".st-key-import_apply button").click(timeout=TIMEOUT)
    expect(report.get_by_test_id("stAlertContentSuccess")).to_be_visible(timeout=TIMEOUT)
    expect(report).to_contain_text(re.compile(r"\b2\b"))
    assert imported(live_app.database_url) == [
        ("carmen.penaloza@rree.pe.test", "La Paz", 1),
        ("jose.benitez@mre.py.test", "Asunción", 1),
    ]
