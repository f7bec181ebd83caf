"""Read-only tables of records."""

from collections.abc import Mapping
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from services.platform import formatting


def show_table(rows: list[Mapping[str, Any]]) -> None:
    """Records as a table as wide as the page, one column per key (translated titles)."""
    st.dataframe(readable(pd.DataFrame(rows)), hide_index=True, width="stretch")


def readable(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells as "—": Streamlit's grid writes a missing value as "None", in English and
    whatever the language. A column with an empty cell becomes text (one Arrow type per
    column), its numbers and dates written as the reader writes them."""
    missing = [column for column in frame.columns if frame[column].isna().any()]
    if not missing:
        return frame
    shown = frame.copy()
    for column in missing:
        shown[column] = [_text(value) for value in frame[column]]
    return shown


def _text(value: Any) -> str:
    if value is None or formatting.value_is_missing(value) or value is pd.NaT:
        return "—"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return formatting.number(value)
    if isinstance(value, date):
        return formatting.date_text(value)
    return str(value)
