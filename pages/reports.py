"""Reports & export: referral statistics, aggregates only, small counts suppressed; every
chart downloads as PNG, SVG or PDF and its data as CSV or XLSX (each download audited)."""

import streamlit as st

from services.cases import exports, microdata
from services.platform.errors import PermissionDenied
from services.platform.i18n import _, get_language
from services.reporting import charts, reports
from services.reporting.export import ExportInfo
from services.ui import runtime
from services.ui.runtime import current_actor, db_session, settings

actor = current_actor()
st.title(_("Reports"))
threshold = settings().small_count_threshold
st.caption(
    _(
        "Counts from 1 to {below} are shown as “<{threshold}”, and a count that would give "
        "one of them away (from the totals or the other charts) as “x”, to protect the people "
        "concerned."
    ).format(below=threshold - 1, threshold=threshold)
    if threshold > 1
    else _("Aggregate counts of referral cases.")
)

try:
    every_report = runtime.cached_referral_reports(actor.id, actor.role)
except PermissionDenied:
    st.error(_("Your role does not give access to reports."))
    st.stop()

if int(every_report["stage"][reports.COUNT].sum()) == 0:
    st.info(
        _(
            "No cases have been recorded yet: charts appear here once officers or "
            "coordinators open referral cases."
        )
    )
    st.stop()


def export_bytes(name: str, fmt: str) -> bytes:
    """Build one file and audit it (run when the person clicks the download button)."""
    with db_session() as session:
        return reports.export_report(
            session=session,
            actor=actor,
            reports=every_report,
            name=name,
            fmt=fmt,
            threshold=threshold,
        ).data


def pack_bytes(fmt: str) -> bytes:
    with db_session() as session:
        return reports.export_reports_pack(
            session=session, actor=actor, reports=every_report, fmt=fmt, threshold=threshold
        ).data


def downloads(name: str) -> None:
    """A "Download" popover with one button per format; files are built on click."""
    info = ExportInfo(title=_(reports.REPORTS[name][0]))
    with st.popover(_("Download"), icon=":material/download:", key=f"reports_export_{name}"):
        for fmt in (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS):
            st.download_button(
                fmt.upper(),
                data=charts.deferred(export_bytes, name, fmt),
                file_name=charts.file_name(info, fmt),
                mime=charts.MIME_TYPES[fmt],
                on_click="ignore",
                key=f"reports_export_{name}_{fmt}",
                width="stretch",
            )


pack_info = ExportInfo(title=_("Referral statistics"))
pack_pdf, pack_zip, _spacer = st.columns([1, 1, 3])
pack_pdf.download_button(
    _("Report pack (PDF)"),
    data=charts.deferred(pack_bytes, "pdf"),
    file_name=charts.file_name(pack_info, "pdf"),
    mime=charts.MIME_TYPES["pdf"],
    on_click="ignore",
    icon=":material/picture_as_pdf:",
    key="reports_pack_pdf",
)
pack_zip.download_button(
    _("All files (ZIP)"),
    data=charts.deferred(pack_bytes, "zip"),
    file_name=charts.file_name(pack_info, "zip"),
    mime=charts.MIME_TYPES["zip"],
    on_click="ignore",
    icon=":material/folder_zip:",
    key="reports_pack_zip",
)

specs = runtime.cached_report_specs(actor.id, actor.role, threshold, get_language())
left, right = st.columns(2)
places = {"stage": left, "situation": right, "country": st.container(), "month": st.container()}
for name, place in places.items():
    with place:
        st.vega_lite_chart(specs[name], width="stretch")
        downloads(name)

st.subheader(_("Case data (microdata)"))
st.caption(
    _(
        "One row per case, with the field names and codes of IOM's Human Trafficking Case Data "
        "Standard (HTCDS) or of the Counter Trafficking Data Collaborative (CTDC). Managers "
        "receive every case without codes, aliases, organisations, dates finer than the year or "
        "free text, and k-anonymous: each combination of year, gender, age, citizenship and "
        "countries is shared by at least {k} rows (details made coarser, then the rows still "
        "rare withheld). Coordinators receive full rows. Every export is recorded."
    ).format(k=settings().microdata_k)
)
LAYOUT_LABELS = {
    "htcds": _("HTCDS (IOM's case data standard)"),
    "ctdc": _("CTDC (the global data hub)"),
}
layout = st.radio(
    _("Layout"),
    list(LAYOUT_LABELS),
    format_func=LAYOUT_LABELS.__getitem__,
    horizontal=True,
    key="reports_microdata_layout",
)
if st.button(_("Prepare the files"), key="reports_microdata_prepare"):
    with st.status(_("Preparing the case data…")) as status:
        with db_session() as session:
            data = exports.case_microdata(
                session=session, actor=actor, layout=layout, file_format="csv, xlsx"
            )
        files = {fmt: microdata.microdata_file(data, fmt) for fmt in charts.DATA_FORMATS}
        status.update(label=_("The case data is ready."), state="complete")
    st.session_state["reports_microdata"] = (data, files)

prepared = st.session_state.get("reports_microdata")
if prepared:
    data, files = prepared
    if data.deidentified:
        st.success(
            _(
                "{rows} of {records} cases, k-anonymous (k = {k}): {generalised} rows "
                "generalised, {withheld} withheld."
            ).format(
                rows=len(data.frame),
                records=data.records,
                k=data.k,
                generalised=data.generalised,
                withheld=data.withheld,
            )
        )
    else:
        st.success(
            _("{rows} cases, full rows: handle them as case data.").format(rows=len(data.frame))
        )
    notes = data.notes()
    st.dataframe(
        {_("Note"): [name for name, _value in notes], _("Value"): [v for _n, v in notes]},
        hide_index=True,
    )
    csv_column, xlsx_column, _spacer = st.columns([1, 1, 3])
    for column, fmt in ((csv_column, "csv"), (xlsx_column, "xlsx")):
        column.download_button(
            fmt.upper(),
            data=files[fmt].data,
            file_name=files[fmt].name,
            mime=files[fmt].mime,
            on_click="ignore",
            icon=":material/table_view:",
            key=f"reports_microdata_{fmt}",
        )
