"""A manager downloads a chart of the progress page as PNG in a real browser, and the
download is audited."""

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import Session, select

from models import AuditEvent
from services.platform.db import build_engine
from tests.e2e.support import TIMEOUT, sign_in

pytestmark = pytest.mark.browser
PNG = b"\x89PNG\r\n\x1a\n"


def audited_exports(database_url: str) -> list[AuditEvent]:
    engine = build_engine(database_url)
    with Session(engine) as session:
        events = list(session.exec(select(AuditEvent).where(AuditEvent.action == "export")))
    engine.dispose()
    return events


def test_manager_downloads_the_completion_chart_as_png(page: Page, live_app, tmp_path):
    before = len(audited_exports(live_app.database_url))
    sign_in(page, live_app, "manager@enlace.test")  # the manager's UI is in Portuguese

    page.goto(f"{live_app.url}/progress?course=HT-2018&country=AR")
    menu = page.locator(".st-key-progress_export_completion button").first
    expect(menu).to_be_visible(timeout=TIMEOUT)
    menu.click()
    with page.expect_download(timeout=TIMEOUT) as download_info:
        page.locator(".st-key-progress_export_completion_png button").click(timeout=TIMEOUT)
    download = download_info.value
    saved = tmp_path / download.suggested_filename
    download.save_as(saved)

    assert saved.suffix == ".png"
    assert saved.read_bytes().startswith(PNG)
    assert "country=AR" in page.url  # the filters stayed in the link
    events = audited_exports(live_app.database_url)[before:]
    assert [(e.actor_email, e.entity_id, e.changes["format"]) for e in events] == [
        ("manager@enlace.test", "HT-2018", [None, "png"])
    ]
