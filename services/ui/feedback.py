"""How pages tell a person that something was refused: one way, in their language."""

from typing import Any

import streamlit as st

from services.platform.errors import EnlaceError
from services.platform.labels import literal


def show_error(error: EnlaceError, where: Any = None, *, icon: str | None = None) -> None:
    """The error's message in the reader's language, shown as typed (never as Markdown), in
    `where` (a container or placeholder; the page by default)."""
    (where or st).error(literal(error.translated()), icon=icon)
