"""No English left on a Spanish or Portuguese page: every page, as each role, in es and pt.

What a page shows (titles, texts, captions, alerts, widget labels, options and placeholders,
table headers, metrics, tabs, expanders) is compared with the English message ids of the
catalog: a visible string that is an English id with a different translation is English
left on the page. A selectbox or multiselect that shows its placeholder without one set by
the app shows Streamlit's English ("Choose an option", "No options to select"). A table
cell shows what the reader reads (the display text the app gives the grid): no "None", no
ISO date and no decimal point where the language writes a comma.
"""

import re
from datetime import date
from functools import cache

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.testing.v1 import AppTest

from models.enums import Role
from services.platform.access import PAGE_ROLES, PAGES
from services.platform.i18n import catalog
from tests.support import ACCOUNTS

PAGE_FILES = {page.key: page.path for page in PAGES}
TEXT_FIELDS = ("label", "body", "placeholder", "caption", "help")
# Pieces a line is cut into: markdown emphasis, separators, line breaks.
SEPARATORS = re.compile(r"\*\*|\n+| · |: ")


@cache
def english_left(language: str) -> tuple[frozenset[str], tuple[re.Pattern[str], ...]]:
    """The English ids whose translation differs: plain ones, and patterns for the ids with
    parameters ("{count} cases" → r"\\S.* cases")."""
    translated = {
        msgid: text for msgid, text in catalog(language).items() if text.strip() != msgid.strip()
    }
    plain = frozenset(msgid for msgid in translated if "{" not in msgid)
    patterns = tuple(
        re.compile(
            "^"
            + re.sub(r"\\\{\w*(?::[^}]*)?\\\}", r".+", re.escape(msgid)).replace(r"\ ", " ")
            + "$"
        )
        for msgid in translated
        if "{" in msgid and len(re.sub(r"\{[^}]*\}", "", msgid).strip()) > 8
    )
    return plain, patterns


def shown_strings(at: AppTest) -> list[str]:
    """Every string the run shows, as a person reads it: headings whole (a course title such
    as "Human trafficking: detection..." is data), other texts cut into pieces."""
    found: list[str] = []
    headings: list[str] = []
    for node in at._tree:
        proto = getattr(node, "proto", None)
        if proto is None:
            continue
        heading = node.type in ("title", "header", "subheader")
        for name in TEXT_FIELDS:
            if name == "body" and heading:
                continue
            if name in proto.DESCRIPTOR.fields_by_name:
                found.append(str(getattr(proto, name)))
        if "options" in proto.DESCRIPTOR.fields_by_name:
            found += [o if isinstance(o, str) else str(o.content) for o in proto.options]
        if heading:
            headings.append(str(node.value).strip())
        elif node.type in ("text", "alert", "markdown"):
            found.append(str(getattr(node, "value", "")))
        if node.type == "dataframe":
            found += [str(column) for column in node.value.columns]
            cells = node.value.head(50).to_numpy().ravel()  # labels such as a stage's name
            headings += [cell for cell in cells if isinstance(cell, str)]
        if node.type == "metric":
            found.append(str(node.label))
    pieces = [piece.strip() for text in found for piece in SEPARATORS.split(text)]
    return headings + [piece for piece in pieces if piece]


def english_on(at: AppTest, language: str) -> list[str]:
    plain, patterns = english_left(language)
    return sorted(
        {
            text
            for text in shown_strings(at)
            if text in plain or any(pattern.match(text) for pattern in patterns)
        }
    )


def streamlit_defaults(at: AppTest) -> list[str]:
    """Choice widgets that would show Streamlit's own English prompt."""
    shown = []
    for node in at._tree:
        if node.type not in ("selectbox", "multiselect"):
            continue
        proto = node.proto
        # index=None: no default option, the placeholder shows until one is chosen.
        prompting = node.type == "multiselect" or not proto.options or not proto.HasField("default")
        if prompting and not proto.placeholder:
            shown.append(f"{node.type} {proto.label!r}")
    return shown


def displayed(node) -> pd.DataFrame:
    """A table's cells as the grid shows them: the display texts when the app gave them."""
    shown = node.proto.arrow_data.styler.display_values
    return dataframe_util.convert_arrow_bytes_to_pandas_df(shown) if shown else node.value


def tables(at: AppTest) -> list[pd.DataFrame]:
    return [displayed(node) for node in at._tree if node.type == "dataframe"]


def empty_cells(at: AppTest) -> list[str]:
    """Tables with an empty cell, which Streamlit's grid writes as "None"."""
    return [
        f"table {list(frame.columns)[:3]}" for frame in tables(at) if frame.isna().to_numpy().any()
    ]


# What the grid writes by itself: 2026-10-02 and 78.7, in every language.
GRID_WRITING = re.compile(r"^(\d{4}-\d{2}(-\d{2})?|-?\d+\.\d+)$")


def grid_writes_it(cell: object) -> bool:
    """A cell the grid would write itself: a date, a decimal, or text written that way."""
    if isinstance(cell, date):
        return True
    if isinstance(cell, float):
        return not cell.is_integer()
    return isinstance(cell, str) and GRID_WRITING.match(cell) is not None


def foreign_formats(at: AppTest) -> list[str]:
    """Cells of a Spanish or Portuguese page written as the grid writes them in English."""
    return sorted(
        {
            f"{column}: {cell}"
            for frame in tables(at)
            for column in frame.columns
            for cell in frame[column].head(50)
            if grid_writes_it(cell)
        }
    )


@pytest.mark.parametrize("language", ["es", "pt"])
@pytest.mark.parametrize("who", list(ACCOUNTS))
def test_no_english_is_left_on_any_page(demo_db, app_as, who, language):
    role = Role(who)
    problems = {}
    for key, path in PAGE_FILES.items():
        if role not in PAGE_ROLES[key]:
            continue
        at = app_as(ACCOUNTS[who], language=language).run()
        at.switch_page(path).run()
        assert not at.exception, (key, at.exception)
        left = english_on(at, language) + streamlit_defaults(at) + empty_cells(at)
        left += foreign_formats(at)
        if left:
            problems[key] = left
    assert problems == {}, f"{who} in {language}: English on the page: {problems}"


def test_the_check_finds_english(demo_db, app_as):
    """The English page, checked as if it were Spanish, is full of English."""
    at = app_as(ACCOUNTS["coordinator"], language="en").run()
    at.switch_page(PAGE_FILES["board"]).run()
    assert "Referral board" in english_on(at, "es")
