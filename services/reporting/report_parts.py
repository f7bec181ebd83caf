"""What every report is made of: the filters a reader picks and the parts (a chart and its
table, as published) that the page, the downloads, the PDF pack and the CLI all use."""

from dataclasses import dataclass
from datetime import date

import altair as alt
import pandas as pd


@dataclass(frozen=True)
class ReportFilters:
    """Which cases a report counts: one reporting country (None: every country the reader
    may see) and the period in which the cases were identified (both ends inclusive)."""

    country: str | None = None
    date_from: date | None = None
    date_to: date | None = None


@dataclass(frozen=True)
class ReportPart:
    """One chart and its table as published (small counts already suppressed)."""

    name: str  # stable slug: file names, widget keys, `--report` part names
    title: str  # in the reader's language
    table: pd.DataFrame
    chart: alt.TopLevelMixin | None = None
    note: str = ""  # in the reader's language: shown under the chart and on its pack page
