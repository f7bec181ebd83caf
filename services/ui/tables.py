"""Read-only tables of records."""

from collections.abc import Mapping
from typing import Any

import pandas as pd
import streamlit as st


def show_table(rows: list[Mapping[str, Any]]) -> None:
    """Records as a table as wide as the page, one column per key (translated titles)."""
    st.dataframe(pd.DataFrame(rows), hide_index=True, width="stretch")
