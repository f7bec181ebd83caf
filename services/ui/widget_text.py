"""The texts Streamlit's widgets show by themselves, in the reader's language.

Streamlit's frontend writes "Choose an option", "Choose options" and "No options to select"
in English unless the app passes `placeholder=`; dates default to YYYY/MM/DD. A short fixed
list (roles, stages, statuses) is shown with `filter_mode=None`: nobody types into it, so no
"No results" can appear. For what has no parameter, `frontend_style()` writes the reader's
words over Streamlit's English: the "No results" of a filtered selectbox or multiselect and
the file uploader's button and drop text, the keyboard's "Skip to main content" link; the
uploader's "200MB per file" line is hidden and
the page says the limit itself (`upload_limit()`). What stays English is listed in the
README, "Translations".
"""

from collections.abc import Sized

import streamlit as st

from services.platform import formatting
from services.platform.i18n import _, get_language

# Where Streamlit 1.67 writes those texts: data-testids, and the `target` classes its styled
# components keep from build to build. tests/e2e/test_frontend_texts.py fails when an upgrade
# moves them.
NO_RESULTS_SELECTBOX = '[role="listbox"] .equpb2c9'
# The multiselect writes "You can only select up to N options" there too: no page passes
# max_selections, so it only ever says "No results".
NO_RESULTS_MULTISELECT = '[role="listbox"] .eo2qvtu11'
DROPZONE = '[data-testid="stFileUploaderDropzone"]'
UPLOAD_BUTTON = (
    f'{DROPZONE} > span > button[kind="secondary"] [data-testid="stMarkdownContainer"] p'
)
DROP_HERE = f"{DROPZONE} .euud7oh2"
UPLOAD_INSTRUCTIONS = '[data-testid="stFileUploaderDropzoneInstructions"]'
# The link a keyboard user meets first (shown on focus): "Skip to main content".
SKIP_LINK = '[data-testid="stSkipToContent"]'


def placeholder(options: Sized, *, multiple: bool = False) -> str:
    """What an empty selectbox or multiselect shows: a prompt, or that there is nothing."""
    if len(options) == 0:
        return _("No options to select.")
    return _("Choose options") if multiple else _("Choose an option")


def date_format() -> str:
    """`st.date_input`'s format as the reader writes dates: day first in es and pt."""
    return "YYYY-MM-DD" if get_language() == "en" else "DD/MM/YYYY"


def upload_limit(kinds: str) -> str:
    """The uploader's limit and accepted files in words, where Streamlit writes "200MB per
    file" in English (hidden by `frontend_style()` in es and pt)."""
    megabytes = int(st.get_option("server.maxUploadSize"))
    return _("One {kinds} file, up to {size} MB.").format(
        kinds=kinds, size=formatting.number(megabytes)
    )


def css_string(text: str) -> str:
    """A CSS string literal holding `text`: every character but letters and digits escaped,
    so that no quote, backslash or `</style>` can end it."""
    return (
        '"' + "".join(c if c.isascii() and c.isalnum() else f"\\{ord(c):06x}" for c in text) + '"'
    )


def _replaced(selector: str, text: str, size: str) -> str:
    """The element's own text shrunk to nothing, `text` drawn in its place at `size`."""
    return (
        f"{selector}{{font-size:0 !important}}"
        f"{selector}::after{{content:{css_string(text)};font-size:{size}}}"
    )


def frontend_style() -> str:
    """A stylesheet writing the reader's words over Streamlit's English; empty in English."""
    if get_language() == "en":
        return ""
    rules = [
        _replaced(NO_RESULTS_SELECTBOX, _("No results"), "0.875rem"),
        _replaced(NO_RESULTS_MULTISELECT, _("No results"), "0.875rem"),
        _replaced(UPLOAD_BUTTON, _("Choose a file"), "0.875rem"),
        _replaced(DROP_HERE, _("Drop the file here"), "0.875rem"),
        _replaced(SKIP_LINK, _("Skip to main content"), "1rem"),
        f"{UPLOAD_INSTRUCTIONS}{{display:none}}",
    ]
    return "<style>" + "".join(rules) + "</style>"


def show_frontend_texts() -> None:
    """Once per run, from the page frame: the stylesheet of `frontend_style()`."""
    style = frontend_style()
    if style:
        st.html(style)
