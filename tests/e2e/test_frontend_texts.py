"""What Streamlit's frontend writes by itself, read in a real browser in the reader's language
(issue 17): a filtered list's "No results", the file uploader's button, drop text and limit,
the calendar's month names, and the month names on a chart's time axis.

The stylesheet of `services.ui.widget_text.frontend_style()` finds those texts by Streamlit
1.67's markup; these tests fail when an upgrade moves them, so that the team notices.
"""

import re
from collections.abc import Iterator
from datetime import date

import pytest
from babel.dates import format_date
from playwright.sync_api import Browser, Locator, Page, expect

from services.platform.i18n import LANGUAGES, catalog
from services.ui import widget_text
from tests.e2e.support import TIMEOUT, choose, settle, sign_in

pytestmark = pytest.mark.browser
NOWHERE = "zqxjzqxj"  # matches no option of any list
# d3's English month and day abbreviations, as a time axis writes them ("Jun 17", "Wed 20").
ENGLISH_SHORT = re.compile(
    r"^(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec|Sun|Mon|Tue|Wed|Thu|Fri|Sat)\b"
)


def seen(element: Locator) -> dict[str, str]:
    """The element's own text, its font size, and what its ::after pseudo-element draws."""
    element.wait_for(state="attached", timeout=TIMEOUT)
    return element.evaluate(
        """element => ({
            text: element.textContent,
            size: getComputedStyle(element).fontSize,
            after: getComputedStyle(element, '::after').content,
        })"""
    )


def assert_replaced(element: Locator, original: str, translation: str) -> None:
    """Streamlit's English is there but drawn at size 0; the translation is drawn instead."""
    element.wait_for(state="attached", timeout=TIMEOUT)
    if element.evaluate("element => element.textContent") == original:
        # The stylesheet arrives with the page's run, maybe after the element: wait for it.
        expect(element).to_have_css("font-size", "0px", timeout=TIMEOUT)
    drawn = seen(element)
    assert drawn["text"] == original, "Streamlit changed this text: check frontend_style()"
    assert drawn["size"] == "0px", f"{original!r} is still readable"
    assert drawn["after"] == f'"{translation}"'


def assert_untouched(element: Locator, original: str) -> None:
    drawn = seen(element)
    assert drawn["text"] == original
    assert drawn["size"] != "0px"
    assert drawn["after"] in ("none", "normal")


def translated(language: str, msgid: str) -> str:
    return catalog(language).get(msgid, msgid) if language != "en" else msgid


@pytest.fixture
def admin_in() -> Iterator:
    """`admin_in(page, app, language)`: the admin signed in, the page in `language` (chosen in
    the sidebar); the account is back in English afterwards."""
    used: list[Page] = []

    def open_in(page: Page, app, language: str) -> Page:
        sign_in(page, app, "admin@enlace.test")
        used.append(page)
        choose(page, "language_picker", LANGUAGES[language])
        settle(page)
        return page

    yield open_in
    for page in used:
        choose(page, "language_picker", LANGUAGES["en"])


def empty_filtered_list(page: Page, key: str) -> Locator:
    """Type into the select box of `key` what matches nothing; its open list, empty."""
    settle(page)
    page.locator(f".st-key-{key}").get_by_role("combobox").click(timeout=TIMEOUT)
    page.keyboard.type(NOWHERE)
    listbox = page.locator('[role="listbox"][data-empty="true"]')
    expect(listbox).to_have_count(1, timeout=TIMEOUT)
    return listbox


@pytest.mark.parametrize(
    ("email", "path", "key", "language"),
    [
        ("coordinator@enlace.test", "board", "board_country", "es"),
        ("manager@enlace.test", "reports", "reports_country", "pt"),
        ("admin@enlace.test", "board", "board_country", "en"),
    ],
)
def test_a_filtered_selectbox_says_no_results_in_the_readers_language(
    page: Page, live_app, email, path, key, language
):
    sign_in(page, live_app, email)
    page.goto(f"{live_app.url}/{path}")
    listbox = empty_filtered_list(page, key)
    empty = listbox.locator(widget_text.NO_RESULTS_SELECTBOX.split(" ")[-1])
    if language == "en":
        assert_untouched(empty, "No results")
    else:
        assert_replaced(empty, "No results", translated(language, "No results"))


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_a_filtered_multiselect_says_no_results_in_the_readers_language(
    page: Page, live_app, admin_in, language
):
    admin_in(page, live_app, language)
    page.goto(f"{live_app.url}/admin")
    page.get_by_role("tab").nth(3).click(timeout=TIMEOUT)  # the audit log
    listbox = empty_filtered_list(page, "audit_actions")
    empty = listbox.locator(widget_text.NO_RESULTS_MULTISELECT.split(" ")[-1])
    if language == "en":
        assert_untouched(empty, "No results")
    else:
        assert_replaced(empty, "No results", translated(language, "No results"))


@pytest.mark.parametrize("language", ["pt", "en"])
def test_the_keyboards_skip_link_speaks_the_readers_language(
    page: Page, live_app, admin_in, language
):
    admin_in(page, live_app, language)
    link = page.locator(widget_text.SKIP_LINK)  # shown when a keyboard user tabs to it
    if language == "en":
        assert_untouched(link, "Skip to main content")
    else:
        assert_replaced(link, "Skip to main content", translated(language, "Skip to main content"))


def test_a_short_fixed_list_cannot_be_typed_into(page: Page, live_app):
    """Stages: the list opens whole; typing filters nothing, so no "No results" can show."""
    sign_in(page, live_app, "coordinator@enlace.test")
    page.goto(f"{live_app.url}/board")
    settle(page)
    stage = page.locator(".st-key-board_stage").get_by_role("combobox")
    stage.click(timeout=TIMEOUT)
    page.keyboard.type(NOWHERE)
    expect(page.get_by_role("option").first).to_be_visible(timeout=TIMEOUT)
    expect(page.locator('[role="listbox"][data-empty="true"]')).to_have_count(0)
    assert NOWHERE not in (stage.input_value() or "")


def drag_a_file_over(page: Page, dropzone: Locator) -> None:
    data = page.evaluate_handle(
        """() => {
            const data = new DataTransfer();
            data.items.add(new File(['x'], 'people.csv', {type: 'text/csv'}));
            return data;
        }"""
    )
    dropzone.dispatch_event("dragenter", {"dataTransfer": data})


@pytest.mark.parametrize("language", ["es", "pt", "en"])
def test_the_file_uploader_speaks_the_readers_language(page: Page, live_app, admin_in, language):
    admin_in(page, live_app, language)
    page.goto(f"{live_app.url}/courses")
    page.locator(".st-key-courses_section button").nth(2).click(timeout=TIMEOUT)  # import
    uploader = page.locator(".st-key-import_file")
    dropzone = uploader.get_by_test_id("stFileUploaderDropzone")
    expect(dropzone).to_be_visible(timeout=TIMEOUT)
    button = page.locator(widget_text.UPLOAD_BUTTON)
    expect(button).to_have_count(1)
    instructions = uploader.get_by_test_id("stFileUploaderDropzoneInstructions")
    expect(instructions).to_have_text("200MB per file")
    # The app's own line says the limit and the accepted files in the reader's words.
    limit = translated(language, "One {kinds} file, up to {size} MB.").format(
        kinds=translated(language, "CSV (.csv, .txt) or Excel (.xlsx)"), size=200
    )
    expect(page.get_by_text(limit, exact=True)).to_be_visible()
    drag_a_file_over(page, dropzone)
    drop_here = page.locator(widget_text.DROP_HERE)
    expect(drop_here).to_be_visible(timeout=TIMEOUT)
    if language == "en":
        assert_untouched(button, "Upload")
        expect(instructions).to_be_visible()
        assert_untouched(drop_here, "Drag and drop a file here")
    else:
        assert_replaced(button, "Upload", translated(language, "Choose a file"))
        expect(instructions).to_be_hidden()
        assert_replaced(
            drop_here, "Drag and drop a file here", translated(language, "Drop the file here")
        )


def calendar_heading(page: Page) -> str:
    """Open the progress page's "Enrolled from" calendar; its month and year heading."""
    settle(page)
    page.locator(".st-key-progress_from").get_by_role("button").first.click(timeout=TIMEOUT)
    grid = page.get_by_role("dialog").get_by_role("grid")
    expect(grid).to_be_visible(timeout=TIMEOUT)
    return grid.get_attribute("aria-label") or ""


@pytest.mark.parametrize(("browser_locale", "babel_locale"), [("pt-BR", "pt_BR"), ("en-US", "en")])
def test_the_calendar_speaks_the_browsers_language_not_the_apps(
    browser: Browser, live_app, browser_locale, babel_locale
):
    """Streamlit gives its calendar `navigator.language`; the app cannot choose it. The
    manager reads Portuguese pages: a Portuguese browser shows Portuguese months, an English
    one English months (README, "What stays English")."""
    context = browser.new_context(locale=browser_locale)
    try:
        page = context.new_page()
        sign_in(page, live_app, "manager@enlace.test")
        page.goto(f"{live_app.url}/progress")
        month = format_date(date.today(), "LLLL", locale=babel_locale)
        assert month.casefold() in calendar_heading(page).casefold()
    finally:
        context.close()


def test_a_time_axis_on_a_portuguese_page_names_the_months_in_portuguese(page: Page, live_app):
    """Streamlit draws Vega charts as SVG: the axis labels are text elements to read."""
    sign_in(page, live_app, "manager@enlace.test")
    page.goto(f"{live_app.url}/progress?course=HT-2018")
    charts = page.locator("[data-testid='stVegaLiteChart']")
    expect(charts.first).to_be_visible(timeout=TIMEOUT)
    axis = charts.locator("svg.marks .role-axis-label text")
    expect(axis.first).to_be_attached(timeout=TIMEOUT)
    labels = set(axis.all_text_contents())
    portuguese = {format_date(date(2018, m, 1), "MMMM", locale="pt_BR") for m in range(1, 13)}
    english = {format_date(date(2018, m, 1), "MMMM", locale="en") for m in range(1, 13)}
    english -= portuguese  # (none are the same word, but say so)
    print(f"axis labels: {sorted(labels)}")  # noqa: T201
    assert labels & portuguese, labels
    assert not labels & english, labels
    assert not [label for label in labels if ENGLISH_SHORT.match(label)], labels
