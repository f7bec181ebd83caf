"""Read-only tables, written as the reader writes numbers and dates.

Streamlit's grid writes a date as 2026-10-02, a decimal with a point ("78.7") and a missing
value as "None", whatever the language. `show_frame` hands the grid a pandas Styler instead:
each cell is shown as Babel writes it for the reader ("78,7", "2 oct 2026", "—"), while the
cell keeps its number or date, so sorting a column still sorts numbers and dates.
"""

from collections.abc import Mapping
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

import pandas as pd
import streamlit as st

from services.platform import formatting

if TYPE_CHECKING:
    from pandas.io.formats.style import Styler

MISSING = "—"


def show_table(rows: list[Mapping[str, Any]]) -> None:
    """Records as a table as wide as the page, one column per key (translated titles)."""
    show_frame(pd.DataFrame(rows), width="stretch")


def show_frame(frame: pd.DataFrame, **options: Any) -> None:
    """`st.dataframe` without the index, each cell in the reader's writing."""
    st.dataframe(styled(frame), hide_index=True, placeholder=MISSING, **options)


def styled(frame: pd.DataFrame) -> "Styler":
    """The frame with display texts for its numbers, dates and missing values; true/false
    columns keep their check boxes and text stays as it is."""
    mixed = [column for column in frame.columns if _mixes_text(frame[column])]
    if mixed:  # one Arrow type per column: "<5" among counts makes the column text
        frame = frame.copy()
        for column in mixed:  # by label: a heading need not be a string
            frame[column] = frame[column].map(cell_text)
    shown = [column for column in frame.columns if not pd.api.types.is_bool_dtype(frame[column])]
    return frame.style.format(cell_text, subset=shown, na_rep=MISSING)


def _mixes_text(column: pd.Series) -> bool:
    if column.dtype != object:
        return False
    kinds = {type(value) for value in column if not formatting.value_is_missing(value)}
    return str in kinds and len(kinds) > 1


def cell_text(value: Any) -> str:
    """One cell as the reader writes it: '1.234', '78,7', '2 oct 2026', '—'."""
    if value is None or value is pd.NaT or formatting.value_is_missing(value):
        return MISSING
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int | float):
        return formatting.number(value)
    if isinstance(value, datetime):
        return formatting.datetime_text(value)
    if isinstance(value, date):
        return formatting.date_text(value)
    return str(value)
