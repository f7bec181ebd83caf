"""Reports & export: referral statistics for a reporting country and period (remembered in
the link), aggregates only, small counts suppressed; every chart downloads as PNG, SVG or PDF
and its data as CSV or XLSX, the whole as a PDF pack (each download audited). Officers read
their own country's statistics; the case microdata is for coordinators, managers and admins."""

import pandas as pd
import streamlit as st

from models.enums import Role
from services.cases import exports, microdata
from services.platform.access import DASHBOARD_READERS
from services.platform.errors import EnlaceError, PermissionDenied
from services.platform.i18n import _, get_language
from services.platform.labels import country_name
from services.reporting import charts, report_catalog
from services.reporting.report_parts import ReportFilters, ReportPart
from services.ui import runtime, widget_text
from services.ui.downloads import download_menu, pack_buttons
from services.ui.feedback import show_error
from services.ui.runtime import current_actor, db_session, run_service, settings
from services.ui.tables import show_frame

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
    countries = runtime.report_countries(actor)
except PermissionDenied:
    st.error(_("Your role does not give access to reports."))
    st.stop()

readable = report_catalog.readable_reports(actor)

# A link (or a reload) sets the widgets; afterwards the widgets set the link.
url = st.query_params.to_dict()
if url != st.session_state.get("reports_url"):
    wanted = report_catalog.from_query(url)
    st.session_state["reports_country"] = wanted.country if wanted.country in countries else None
    st.session_state["reports_from"] = wanted.date_from
    st.session_state["reports_to"] = wanted.date_to
    report = url.get("report")
    st.session_state["reports_report"] = report if report in readable else readable[0]

is_officer = actor.role == Role.officer
country_column, from_column, to_column = st.columns([2, 1, 1])
if is_officer:
    country = actor.country
    country_column.text_input(
        _("Reporting country"), value=country_name(actor.country), disabled=True
    )
else:
    country = country_column.selectbox(
        _("Reporting country"),
        [None, *countries],
        format_func=lambda code: _("All countries") if code is None else country_name(code),
        placeholder=widget_text.placeholder(countries),
        key="reports_country",
    )
date_from = from_column.date_input(
    _("Identified from"), value=None, format=widget_text.date_format(), key="reports_from"
)
date_to = to_column.date_input(
    _("Identified until"), value=None, format=widget_text.date_format(), key="reports_to"
)
filters = ReportFilters(country=country, date_from=date_from, date_to=date_to)

# One report at a time: each is a few charts, and the slow ones (time in each stage at 100,000
# cases) are built only when asked for. The pack builds them all, when it is downloaded.
chosen = (
    st.segmented_control(
        _("Report"),
        readable,
        format_func=report_catalog.report_title,
        key="reports_report",
    )
    or readable[0]
)

query = report_catalog.to_query(filters)
if chosen != readable[0]:
    query["report"] = chosen
if query != url:
    st.query_params.from_dict(query)
st.session_state["reports_url"] = query

base_key = (
    actor.id,
    actor.role,
    actor.country,
    get_language(),
    threshold,
    tuple(sorted(report_catalog.to_query(filters).items())),
)
try:
    counts = runtime.cached_reports(*base_key, (readable[0],))
    every_report = runtime.cached_reports(*base_key, (chosen,))
except EnlaceError as error:
    show_error(error)
    st.stop()

counted = report_catalog.find_part(counts, "stage").table[_("Cases")]
if all(value == 0 for value in counted):
    st.info(
        _(
            "No cases match: charts appear here once officers or coordinators open referral "
            "cases in this country and period."
        )
    )
    st.stop()

specs = runtime.cached_report_specs(*base_key, (chosen,))
pack_buttons(
    "reports_pack",
    report_catalog.export_info(_("Referral statistics"), filters),
    lambda fmt: (
        run_service(
            report_catalog.export_pack,
            actor=actor,
            reports=runtime.cached_reports(*base_key, tuple(readable)),
            filters=filters,
            fmt=fmt,
        ).data
    ),
)


def show_part(part: ReportPart) -> None:
    """A part's chart, its note, its table (folded) and its Download menu."""
    if part.name in specs:
        st.vega_lite_chart(specs[part.name], width="stretch")
    else:
        st.markdown(f"**{part.title}**")
    if part.note:
        st.caption(part.note)
    with st.expander(_("Data: {title}").format(title=part.title)):
        show_frame(part.table)
    formats = charts.DATA_FORMATS
    if part.chart is not None:
        formats = (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS)
    download_menu(
        f"reports_export_{part.name}",
        report_catalog.export_info(part.title, filters),
        formats,
        lambda fmt, part=part: (
            run_service(
                report_catalog.export_part, actor=actor, part=part, filters=filters, fmt=fmt
            ).data
        ),
    )


for name, parts in every_report.items():
    st.header(report_catalog.report_title(name), divider="gray")
    for part in parts:
        show_part(part)

if actor.role not in DASHBOARD_READERS:
    st.stop()
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
    show_frame(
        pd.DataFrame(
            {_("Note"): [name for name, _value in notes], _("Value"): [v for _n, v in notes]}
        )
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
