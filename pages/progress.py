"""Progress by country: KPIs, completion by country, module × country heat map, completions
over time, participants at risk and a country's participants, with exports.

The filters live in the URL's query string, so a view can be shared by link. A consular
officer sees their own country next to the regional figures, and no participant list.
"""

from datetime import date

import streamlit as st

from models.enums import EnrollmentStatus, Role
from services.platform.errors import NotFound, PermissionDenied
from services.platform.i18n import _, get_language
from services.platform.labels import label, options
from services.reporting import charts, progress_view
from services.reporting import dashboard as progress
from services.ui import runtime
from services.ui.runtime import current_actor, db_session

actor = current_actor()
is_officer = actor.role == Role.officer
st.title(_("Progress by country"))

try:
    choices = runtime.cached_dashboard_courses(actor.id, actor.role, actor.country)
except PermissionDenied:
    st.error(_("Your role does not give access to course progress."))
    st.stop()

if not choices:
    if is_officer:
        st.info(_("No course has participants from your country yet."))
    else:
        st.info(_("No course yet: a coordinator can add one on Courses & enrollment."))
    st.stop()

# A link (or a reload) sets the widgets; afterwards the widgets set the link.
url = st.query_params.to_dict()
if url != st.session_state.get("progress_url"):
    code, wanted = progress.from_query(url)
    course_ids = {choice.code: choice.id for choice in choices}
    st.session_state["progress_course"] = course_ids.get(code or "", choices[0].id)
    st.session_state["progress_from"] = wanted.enrolled_from
    st.session_state["progress_to"] = wanted.enrolled_to
    st.session_state["progress_status"] = wanted.status and str(wanted.status)
    st.session_state["progress_wanted"] = (wanted.country, (url.get("drill") or "").upper())

titles = {choice.id: f"{choice.code} — {choice.title}" for choice in choices}
course_column, from_column, to_column, country_column, status_column = st.columns([3, 1, 1, 2, 2])
course_id = course_column.selectbox(
    _("Course"), list(titles), format_func=titles.__getitem__, key="progress_course"
)
course = next(choice for choice in choices if choice.id == course_id)
enrolled_from = from_column.date_input(
    _("Enrolled from"), value=None, format="YYYY-MM-DD", key="progress_from"
)
enrolled_to = to_column.date_input(
    _("Enrolled until"), value=None, format="YYYY-MM-DD", key="progress_to"
)

countries: list[str] = []
if not is_officer:
    countries = runtime.cached_course_countries(actor.id, actor.role, course_id)
    pending = st.session_state.pop("progress_wanted", None)
    if pending is not None:
        st.session_state["progress_country"] = pending[0] if pending[0] in countries else None
        st.session_state["progress_drill"] = pending[1] if pending[1] in countries else None
    if st.session_state.get("progress_country") not in [None, *countries]:
        st.session_state["progress_country"] = None
    country = country_column.selectbox(
        _("Country"),
        [None, *countries],
        format_func=lambda code: (
            _("All countries") if code is None else progress.country_label(code)
        ),
        key="progress_country",
    )
else:
    st.session_state.pop("progress_wanted", None)
    country = None
    country_column.text_input(
        _("Country"), value=progress.country_label(actor.country), disabled=True
    )
status = status_column.selectbox(
    _("Status"),
    [None, *options(EnrollmentStatus)],
    format_func=lambda code: _("All statuses") if code is None else label(code),
    key="progress_status",
)

filters = progress.ProgressFilters(
    enrolled_from=enrolled_from,
    enrolled_to=enrolled_to,
    country=country,
    status=EnrollmentStatus(status) if status else None,
)
drill = st.session_state.get("progress_drill")
query = progress.to_query(course.code, filters, drill=drill)
if query != url:
    st.query_params.from_dict(query)
st.session_state["progress_url"] = query

# The cache key of this selection: the dashboard and its drawn view share it.
filter_items = tuple(sorted(progress.to_query(None, filters).items()))
dashboard_key = (
    actor.id,
    actor.role,
    actor.country,
    get_language(),
    course_id,
    filter_items,
    date.today(),
)
try:
    board = runtime.cached_progress_dashboard(*dashboard_key)
except NotFound:
    st.error(_("This course does not exist any more: choose another one."))
    st.stop()
except PermissionDenied:
    st.error(_("Your role does not give access to course progress."))
    st.stop()

if board.course_enrolled == 0:
    st.info(
        _(
            "Nobody is enrolled in this course yet: a coordinator can enroll participants "
            "on Courses & enrollment."
        )
    )
    st.stop()
if board.selection.enrolled == 0:
    st.warning(
        _(
            "No participant matches these filters: widen the enrollment dates, or choose "
            "all countries and all statuses."
        )
    )
    st.stop()


def export_bytes(item: str, fmt: str) -> bytes:
    """Build one file and audit it (run when the person clicks the download button)."""
    with db_session() as session:
        return progress_view.export_item(
            session=session, actor=actor, dashboard=board, item=item, fmt=fmt
        ).data


def pack_bytes(fmt: str) -> bytes:
    with db_session() as session:
        return progress_view.export_pack(
            session=session, actor=actor, dashboard=board, fmt=fmt
        ).data


def downloads(item: str, formats: tuple[str, ...]) -> None:
    """A "Download" popover with one button per format; files are built on click."""
    info = progress_view.export_info(board, item)
    with st.popover(_("Download"), icon=":material/download:", key=f"progress_export_{item}"):
        for fmt in formats:
            st.download_button(
                fmt.upper(),
                data=charts.deferred(export_bytes, item, fmt),
                file_name=charts.file_name(info, fmt),
                mime=charts.MIME_TYPES[fmt],
                on_click="ignore",
                key=f"progress_export_{item}_{fmt}",
                width="stretch",
            )


if board.is_officer_view:
    st.caption(
        _("Your country, {country}, compared with the whole region.").format(
            country=progress.country_label(board.officer_country)
        )
    )
view = runtime.cached_progress_view(*dashboard_key)
if board.small_count_threshold:
    st.caption(
        _(
            "Counts from 1 to {below} are shown as “<{threshold}”, and a count that would give "
            "one of them away (from the totals or the other charts) as “x”, to protect the "
            "people concerned."
        ).format(below=board.small_count_threshold - 1, threshold=board.small_count_threshold)
    )
figures = view.key_figures  # counts as this reader may see them ("<5" for a manager)
shown, region = board.selection, board.region
compare = board.is_officer_view or bool(board.filters.country)
rate_hidden = isinstance(figures["completed"], str)
metrics = st.columns(6)
metrics[0].metric(_("Enrolled"), figures["enrolled"])
metrics[1].metric(_("Active"), figures["active"])
metrics[2].metric(_("Completed"), figures["completed"])
metrics[3].metric(
    _("Completion rate"),
    "x" if rate_hidden else f"{shown.completion_rate:.0%}",
    delta=(
        _("{points:+.0f} points vs region").format(
            points=(shown.completion_rate - region.completion_rate) * 100
        )
        if compare and not rate_hidden
        else None
    ),
    help=_("Completed ÷ (enrolled − withdrawn)."),
)
metrics[4].metric(
    _("Average grade"),
    f"{shown.average_grade:.1f}" if shown.average_grade is not None else "—",
    help=_("Average final grade of those who have one."),
)
metrics[5].metric(
    _("Behind schedule"),
    figures["behind"],
    help=_("Invited or active participants with a required module past its due date."),
)

can_export = not board.is_officer_view
if can_export:
    pack_pdf, pack_zip, _spacer = st.columns([1, 1, 3])
    pack_pdf.download_button(
        _("Report pack (PDF)"),
        data=charts.deferred(pack_bytes, "pdf"),
        file_name=charts.file_name(progress_view.export_info(board, "countries"), "pdf"),
        mime=charts.MIME_TYPES["pdf"],
        on_click="ignore",
        icon=":material/picture_as_pdf:",
        key="progress_pack_pdf",
    )
    pack_zip.download_button(
        _("All files (ZIP)"),
        data=charts.deferred(pack_bytes, "zip"),
        file_name=charts.file_name(progress_view.export_info(board, "countries"), "zip"),
        mime=charts.MIME_TYPES["zip"],
        on_click="ignore",
        icon=":material/folder_zip:",
        key="progress_pack_zip",
    )

every_format = (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS)
st.vega_lite_chart(view.specs["completion"], width="stretch")
if can_export:
    downloads("completion", every_format)

st.dataframe(view.countries_table, hide_index=True)

if "modules" in view.specs:
    st.vega_lite_chart(view.specs["modules"], width="stretch")
    if can_export:
        downloads("modules", every_format)
else:
    st.info(
        _("This course has no modules yet: a coordinator can add them on Courses & enrollment.")
    )

if "completions" in view.specs:
    st.vega_lite_chart(view.specs["completions"], width="stretch")
    if can_export:
        downloads("completions", every_format)
else:
    st.info(
        _(
            "Nobody in this selection has completed the course yet: "
            "the lines start with the first completion."
        )
    )

if board.at_risk is None and not is_officer:
    st.caption(
        _(
            "Participants' names, who is behind schedule and each country's list, are for "
            "coordinators: small counts are hidden here, and a list of names would give them "
            "back."
        )
    )
if board.at_risk is not None:
    st.subheader(_("Participants at risk"))
    if view.at_risk_table is None:
        st.success(_("Nobody is behind schedule."))
    else:
        if shown.behind > len(board.at_risk):
            st.caption(
                _("The {shown} furthest behind of {total}.").format(
                    shown=len(board.at_risk), total=shown.behind
                )
            )
        st.dataframe(view.at_risk_table, hide_index=True)
        downloads("at_risk", charts.DATA_FORMATS)

    st.subheader(_("A country's participants"))
    drill = st.selectbox(
        _("Show the participants of"),
        [None, *countries],
        format_func=lambda code: (
            _("Choose a country") if code is None else progress.country_label(code)
        ),
        key="progress_drill",
    )
    if drill:
        participants = runtime.cached_country_participants(
            actor.id,
            actor.role,
            course_id,
            filter_items,
            drill,
        )
        if participants.empty:
            st.info(_("Nobody from this country matches the filters."))
        else:
            st.dataframe(progress_view.participants_table(participants), hide_index=True)
