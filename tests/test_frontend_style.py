"""The stylesheet that writes the reader's words over Streamlit's frontend English (issue 17):
built from the catalogs, escaped, once per run, and not at all in English. What a browser
draws with it is checked in tests/e2e/test_frontend_texts.py."""

import re

import pytest

from services.platform.i18n import catalog, set_language
from services.ui import widget_text
from tests.support import ACCOUNTS

ESCAPE = re.compile(r"\\([0-9a-f]{6})")


def css_text(literal: str) -> str:
    """The text a CSS string literal written by `css_string` holds."""
    assert literal[0] == literal[-1] == '"'
    return ESCAPE.sub(lambda match: chr(int(match.group(1), 16)), literal[1:-1])


@pytest.mark.parametrize(
    "text", ["Sin resultados", 'a"}body{display:none}', "x</style><script>1</script>", "a\\b\nç"]
)
def test_a_css_string_holds_the_text_and_nothing_can_end_it(text):
    literal = widget_text.css_string(text)
    inside = literal[1:-1]
    assert not set(inside) & set("\"'<>{};\n/")
    assert css_text(literal) == text


def test_there_is_no_stylesheet_in_english():
    set_language("en")
    assert widget_text.frontend_style() == ""


@pytest.mark.parametrize("language", ["es", "pt"])
def test_the_stylesheet_writes_the_readers_words_over_streamlits(language):
    set_language(language)
    style = widget_text.frontend_style()
    words = catalog(language)
    drawn = {
        selector.strip(): css_text(text)
        for selector, text in re.findall(r"([^{}]+)::after\{content:(\"[^\"]*\")", style)
    }
    assert drawn == {
        widget_text.NO_RESULTS_SELECTBOX: words["No results"],
        widget_text.NO_RESULTS_MULTISELECT: words["No results"],
        widget_text.UPLOAD_BUTTON: words["Choose a file"],
        widget_text.DROP_HERE: words["Drop the file here"],
        widget_text.SKIP_LINK: words["Skip to main content"],
    }
    for selector in drawn:
        assert f"{selector}{{font-size:0 !important}}" in style
    assert f"{widget_text.UPLOAD_INSTRUCTIONS}{{display:none}}" in style


def test_a_hostile_translation_cannot_leave_the_stylesheet(monkeypatch):
    hostile = '"}</style><img src=x onerror=alert(1)>'
    set_language("es")
    monkeypatch.setattr(widget_text, "_", lambda _msgid: hostile)
    style = widget_text.frontend_style()
    assert style.startswith("<style>") and style.endswith("</style>")
    assert "<" not in style[len("<style>") : -len("</style>")]
    texts = re.findall(r"content:(\"[^\"]*\")", style)
    assert [css_text(text) for text in texts] == [hostile] * 5


def styles(at) -> list[str]:
    return [node.proto.body for node in at._tree if node.type == "html"]


@pytest.mark.parametrize("language", ["es", "pt"])
def test_every_page_gets_the_stylesheet_once_in_spanish_and_portuguese(demo_db, app_as, language):
    at = app_as(ACCOUNTS["coordinator"], language=language).run()
    assert not at.exception
    set_language(language)
    assert styles(at) == [widget_text.frontend_style()]
    at.switch_page("pages/courses.py").run()
    assert styles(at) == [widget_text.frontend_style()]


def test_an_english_page_has_no_stylesheet(demo_db, app_as):
    at = app_as(ACCOUNTS["coordinator"], language="en").run()
    assert not at.exception
    assert styles(at) == []


def test_the_upload_limit_is_said_in_the_readers_words():
    set_language("pt")
    assert widget_text.upload_limit("CSV") == "Um arquivo CSV, de até 200 MB."
