"""Progress by country: KPIs, completion by country, module × country heat map, completions
over time, participants at risk and a country's participants, with exports.

The filters live in the URL's query string, so a view can be shared by link. A consular
officer sees their own country next to the regional figures, and no participant list.
"""

from datetime import date
from typing import Any

import streamlit as st

from models.enums import EnrollmentStatus, Role
from services.platform import formatting
from services.platform.errors import NotFound, PermissionDenied
from services.platform.i18n import _, get_language
from services.platform.labels import label, options
from services.reporting import charts, progress_view
from services.reporting import dashboard as progress
from services.ui import runtime, widget_text
from services.ui.downloads import download_menu, pack_buttons
from services.ui.runtime import current_actor, run_service
from services.ui.tables import show_frame

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
    format=widget_text.date_format(), label=_("Enrolled from"), value=None, key="progress_from"
)
enrolled_to = to_column.date_input(
    format=widget_text.date_format(), label=_("Enrolled until"), value=None, key="progress_to"
)

countries: list[str] = []


def country_choice(where: Any, title: str, none_label: str, key: str) -> str | None:
    """One of the course's countries, or None (shown as `none_label`)."""
    return where.selectbox(  # type: ignore[no-any-return]
        title,
        [None, *countries],
        format_func=lambda code: none_label if code is None else progress.country_label(code),
        # Shown when the kept choice is None (Streamlit reads it as no choice).
        placeholder=none_label,
        key=key,
    )


if not is_officer:
    countries = runtime.cached_course_countries(actor.id, actor.role, course_id)
    pending = st.session_state.pop("progress_wanted", None)
    if pending is not None:
        st.session_state["progress_country"] = pending[0] if pending[0] in countries else None
        st.session_state["progress_drill"] = pending[1] if pending[1] in countries else None
    if st.session_state.get("progress_country") not in [None, *countries]:
        st.session_state["progress_country"] = None
    country = country_choice(country_column, _("Country"), _("All countries"), "progress_country")
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
    placeholder=_("All statuses"),
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


def downloads(item: str, formats: tuple[str, ...]) -> None:
    """A "Download" menu for one chart or table; each file is built and audited on click."""
    download_menu(
        f"progress_export_{item}",
        progress_view.export_info(board, item),
        formats,
        lambda fmt: (
            run_service(
                progress_view.export_item, actor=actor, dashboard=board, item=item, fmt=fmt
            ).data
        ),
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
    "x" if rate_hidden else formatting.percent(shown.completion_rate),
    delta=(
        _("{points} points vs region").format(
            points=formatting.signed((shown.completion_rate - region.completion_rate) * 100)
        )
        if compare and not rate_hidden
        else None
    ),
    help=_("Completed ÷ (enrolled − withdrawn)."),
)
metrics[4].metric(
    _("Average grade"),
    formatting.decimal(shown.average_grade),
    help=_("Average final grade of those who have one."),
)
metrics[5].metric(
    _("Behind schedule"),
    figures["behind"],
    help=_("Invited or active participants with a required module past its due date."),
)

can_export = not board.is_officer_view
if can_export:
    pack_buttons(
        "progress_pack",
        progress_view.export_info(board, "countries"),
        lambda fmt: (
            run_service(progress_view.export_pack, actor=actor, dashboard=board, fmt=fmt).data
        ),
    )

every_format = (*charts.IMAGE_FORMATS, *charts.DATA_FORMATS)
st.vega_lite_chart(view.specs["completion"], width="stretch")
if can_export:
    downloads("completion", every_format)

show_frame(view.countries_table)


def chart_or_why_not(item: str, why_not: str) -> None:
    """A chart with its Download menu, or why there is none yet."""
    if item not in view.specs:
        st.info(why_not)
        return
    st.vega_lite_chart(view.specs[item], width="stretch")
    if can_export:
        downloads(item, every_format)


chart_or_why_not(
    "modules",
    _("This course has no modules yet: a coordinator can add them on Courses & enrollment."),
)
chart_or_why_not(
    "completions",
    _(
        "Nobody in this selection has completed the course yet: "
        "the lines start with the first completion."
    ),
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
        if course.ends_on and course.ends_on < date.today():
            st.caption(
                _("The course ended on {date}: days behind are counted up to that day.").format(
                    date=formatting.date_text(course.ends_on)
                )
            )
        show_frame(view.at_risk_table)
        downloads("at_risk", charts.DATA_FORMATS)

    st.subheader(_("A country's participants"))
    drill = country_choice(
        st, _("Show the participants of"), _("Choose a country"), "progress_drill"
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
            show_frame(progress_view.participants_table(participants))
