"""How pages tell a person that something was refused: one way, in their language."""

from collections.abc import Callable, Mapping
from typing import Any

import streamlit as st
from pydantic import ValidationError

from services.platform import validation
from services.platform.errors import EnlaceError
from services.platform.labels import literal
from services.ui import runtime


def show_error(error: EnlaceError, where: Any = None, *, icon: str | None = None) -> None:
    """The error's message in the reader's language, shown as typed (never as Markdown), in
    `where` (a container or placeholder; the page by default)."""
    (where or st).error(literal(error.translated()), icon=icon)


def show_form_errors(error: ValidationError, places: Mapping[str, Any], fallback: Any) -> None:
    """A form's refused input: each field's messages in its place (`places[field]`), the
    others in `fallback`."""
    shown: dict[object, list[str]] = {}
    for field, message in validation.form_errors(error).items():
        shown.setdefault(places.get(field, fallback), []).append(message)
    for place, lines in shown.items():
        place.error(literal(" ".join(lines)))  # type: ignore[attr-defined]


def save_and_report(write: Callable[[], Any], message: Callable[[Any], str]) -> bool:
    """Run a form's write, then say what it did (`message` of its result), or why it was
    refused; True when it was saved (the app's cached reads are then emptied)."""
    try:
        result = write()
    except ValidationError as error:
        st.error(validation.describe(error))  # bullets: Markdown by design
        return False
    except EnlaceError as error:
        show_error(error)
        return False
    st.success(message(result))
    runtime.clear_caches()
    return True
