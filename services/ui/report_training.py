"""The training-impact report, for the Reports page: what the officers who completed a course
do differently, and how the screening guide's suggestion compares with the officers'
classifications (services/reporting/training_impact.py). Each part shows its chart, its
table as published (small groups withheld) and a Download menu (PNG/SVG/PDF, CSV/XLSX; each
download audited).
"""

import streamlit as st

from models import UserAccount
from services.platform.errors import PermissionDenied
from services.platform.i18n import _
from services.reporting import charts
from services.reporting import training_impact as impact
from services.reporting.export import ExportInfo
from services.reporting.report_parts import ReportFilters, ReportPart
from services.ui.downloads import download_menu
from services.ui.runtime import run_service, settings

KEY = "training_impact"


def _download(actor: UserAccount, part: ReportPart, filters: ReportFilters) -> None:
    formats = (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS) if part.chart else charts.DATA_FORMATS
    download_menu(
        f"{KEY}_export_{part.name}",
        ExportInfo(title=part.title),
        formats,
        lambda fmt: (
            run_service(
                impact.export_training_part, actor=actor, part=part, fmt=fmt, filters=filters
            ).data
        ),
    )


def training_report(actor: UserAccount, filters: ReportFilters) -> None:
    """Draw the report for `filters` (country and period chosen on the page)."""
    st.subheader(_("Training impact"))
    st.caption(_(impact.NOT_CAUSAL) + " " + _(impact.HOW_LINKED))
    threshold = settings().small_count_threshold
    st.caption(
        _(
            "A group with fewer than {threshold} officers or cases is withheld (“<{threshold}”, "
            "and “x” for a group that would give it away); a share or a median over fewer than "
            "{threshold} cases is left empty (—)."
        ).format(threshold=threshold)
    )
    try:
        parts = run_service(impact.training_impact, actor=actor, filters=filters)
    except PermissionDenied:
        st.error(_("Your role does not give access to reports."))
        return
    for part in parts:
        with st.container(border=True, key=f"{KEY}_{part.name}"):
            st.markdown(f"**{part.title}**")
            if part.chart is not None:
                st.vega_lite_chart(part.chart.to_dict())
            # Counts and their "<5" / "x" marks in one column: shown as text, as published.
            st.dataframe(part.table.astype(str), hide_index=True)
            if part.note:
                st.caption(part.note)
            _download(actor, part, filters)
