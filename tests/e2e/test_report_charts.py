"""Charts as a person sees them in a real browser (issue 16): the progress page's module heat
map has a row per module tall enough to read, and the Reports page keeps its filters in the
link and draws the origin × destination matrix with rows as tall."""

import pytest
from playwright.sync_api import Page, expect
from sqlmodel import col, func, select

from models import Course, Module
from tests.e2e.support import TIMEOUT, query, sign_in

pytestmark = pytest.mark.browser
MIN_ROW_PX = 20  # a row this high holds an 11 px label without overlapping the next
FRAME_PX = 100  # at least this much of the drawing is title, country labels and legend


def drawn_height(page: Page, index: int) -> float:
    """The height of the index-th Vega chart's drawing (SVG or canvas) on the page."""
    chart = page.locator("[data-testid='stVegaLiteChart']").nth(index)
    drawing = chart.locator("canvas, svg.marks").first
    expect(drawing).to_be_visible(timeout=TIMEOUT)
    box = drawing.bounding_box()
    assert box is not None
    return box["height"]


def test_the_module_heat_map_gives_every_module_a_readable_row(page: Page, live_app):
    modules = query(
        live_app.database_url,
        lambda session: session.exec(
            select(func.count(col(Module.id)))
            .join(Course, col(Course.id) == col(Module.course_id))
            .where(Course.code == "HT-2018")
        ).one(),
    )
    assert isinstance(modules, int) and modules >= 5
    sign_in(page, live_app, "coordinator@enlace.test")
    page.goto(f"{live_app.url}/progress?course=HT-2018")
    expect(page.locator("[data-testid='stVegaLiteChart']").nth(1)).to_be_visible(timeout=TIMEOUT)
    # The page's charts: completion by country, then the heat map. Before the fix the whole
    # drawing was 196 px for 7 modules (the rows a thin band); now 442 px.
    height = drawn_height(page, 1)
    print(f"heat map: {height:.0f} px for {modules} modules")  # noqa: T201
    assert height >= modules * MIN_ROW_PX + FRAME_PX


def test_the_reports_page_keeps_its_filters_in_the_link(page: Page, live_app):
    sign_in(page, live_app, "coordinator@enlace.test")
    page.goto(f"{live_app.url}/reports?country=BO&from=2026-01-01&report=routes")
    charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(charts.first).to_be_visible(timeout=TIMEOUT)  # the origin × destination matrix
    expect(charts).to_have_count(1)
    assert "country=BO" in page.url and "from=2026-01-01" in page.url
    assert "report=routes" in page.url
    country = page.locator(".st-key-reports_country").get_by_role("combobox")
    expect(country).to_have_accessible_name("País informante")  # the coordinator reads Spanish
    assert (
        "Bolivia"
        in (country.get_attribute("aria-label") or "")
        + page.locator(".st-key-reports_country").aria_snapshot()
    )
    # Another report: its charts replace the matrix; the filters stay in the link.
    chooser = page.locator(".st-key-reports_report")
    chooser.get_by_role("radio", name="Casos", exact=True).click()
    expect(charts).to_have_count(5, timeout=TIMEOUT)
    page.wait_for_url(lambda url: "report=" not in url and "country=BO" in url, timeout=TIMEOUT)
