"""Reports & export: referral statistics, aggregates only, small counts suppressed; every
chart downloads as PNG, SVG or PDF and its data as CSV or XLSX (each download audited)."""

import streamlit as st

from services.cases import exports, microdata
from services.platform.errors import PermissionDenied
from services.platform.i18n import _, get_language
from services.reporting import charts, reports
from services.reporting.export import ExportInfo
from services.ui import runtime
from services.ui.downloads import download_menu, pack_buttons
from services.ui.runtime import current_actor, db_session, run_service, settings

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


pack_buttons(
    "reports_pack",
    ExportInfo(title=_("Referral statistics")),
    lambda fmt: (
        run_service(
            reports.export_reports_pack,
            actor=actor,
            reports=every_report,
            fmt=fmt,
            threshold=threshold,
        ).data
    ),
)

specs = runtime.cached_report_specs(actor.id, actor.role, threshold, get_language())
left, right = st.columns(2)
places = {"stage": left, "situation": right, "country": st.container(), "month": st.container()}
for name, place in places.items():
    with place:
        st.vega_lite_chart(specs[name], width="stretch")
        download_menu(
            f"reports_export_{name}",
            ExportInfo(title=_(reports.REPORTS[name][0])),
            (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS),
            lambda fmt, name=name: (
                run_service(
                    reports.export_report,
                    actor=actor,
                    reports=every_report,
                    name=name,
                    fmt=fmt,
                    threshold=threshold,
                ).data
            ),
        )

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
