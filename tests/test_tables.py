"""Read-only tables show numbers and dates as the reader writes them, and keep the values."""

from datetime import date, datetime

import pandas as pd
import pytest
from streamlit import dataframe_util
from streamlit.elements.lib.pandas_styler_utils import marshall_styler
from streamlit.proto.ArrowData_pb2 import ArrowData as ArrowProto

from services.platform import formatting
from services.platform.i18n import set_language
from services.ui.tables import styled


@pytest.fixture(autouse=True)
def _english_after():
    yield
    set_language("en")
    formatting.set_time_zone(None)


def grid(frame: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """What Streamlit sends the grid: the values, and the texts it shows."""
    proto = ArrowProto()
    styler = styled(frame)
    marshall_styler(proto, styler, "table")
    values = dataframe_util.convert_pandas_df_to_arrow_bytes(styler.data)
    return (
        dataframe_util.convert_arrow_bytes_to_pandas_df(values),
        dataframe_util.convert_arrow_bytes_to_pandas_df(proto.styler.display_values),
    )


FRAME = pd.DataFrame(
    {
        "rate": [78.7, 1234.5, None],
        "cases": [3, 1200, 7],
        "since": [date(2026, 10, 2), date(2025, 1, 31), None],
        "archived": [False, True, False],
        "name": ["Ana", "Luis", "Sofía"],
    }
)


@pytest.mark.parametrize(
    ("language", "rate", "cases", "since"),
    [
        ("en", "78.7", "1,200", "Oct 2, 2026"),
        ("es", "78,7", "1.200", "2 oct 2026"),
        ("pt", "78,7", "1.200", "2 de out. de 2026"),
    ],
)
def test_cells_are_written_as_the_reader_writes_them(language, rate, cases, since):
    set_language(language)
    values, shown = grid(FRAME)
    assert (shown["rate"][0], shown["cases"][1], shown["since"][0]) == (rate, cases, since)
    assert shown["rate"][2] == shown["since"][2] == "—"  # not "None"
    assert shown["name"].tolist() == ["Ana", "Luis", "Sofía"]
    # The grid sorts by the values, which stay numbers and dates.
    assert values["rate"][1] == 1234.5 and values["cases"].dtype.kind == "i"
    assert values["archived"].dtype == bool


def test_a_time_is_shown_in_the_readers_zone():
    set_language("es")
    formatting.set_time_zone("America/Asuncion")
    _values, shown = grid(pd.DataFrame({"when": [datetime(2026, 12, 1, 13, 5)]}))
    assert shown["when"][0] == "1 dic 2026, 10:05 (UTC-03)"


def test_a_column_of_counts_and_suppressed_cells_is_shown_whole():
    """ "<5" among counts: one Arrow type per column, so the column is text, as shown."""
    set_language("pt")
    values, shown = grid(pd.DataFrame({"cases": [1200, "<5", 0]}))
    assert shown["cases"].tolist() == values["cases"].tolist() == ["1.200", "<5", "0"]
