"""Progress by country: KPIs, the table of countries and the completion chart.

A consular officer sees their own country next to the regional figures.
"""

import streamlit as st

from models.enums import Role
from services import progress
from services.errors import NotFound, PermissionDenied
from services.i18n import _
from services.runtime import current_actor, db_session

actor = current_actor()
is_officer = actor.role == Role.officer
st.title(_("Progress by country"))

try:
    with db_session() as session:
        choices = progress.list_dashboard_courses(session=session, actor=actor)
except PermissionDenied:
    st.error(_("Your role does not give access to course progress."))
    st.stop()

if not choices:
    if is_officer:
        st.info(_("No course has participants from your country yet."))
    else:
        st.info(_("No course yet: a coordinator can add one on Courses & enrollment."))
    st.stop()

titles = {choice.id: f"{choice.code} — {choice.title}" for choice in choices}
course_id = st.selectbox(_("Course"), list(titles), format_func=titles.__getitem__)

try:
    with db_session() as session:
        rows = progress.progress_by_country(session=session, actor=actor, course_id=course_id)
        region = progress.regional_summary(session=session, actor=actor, course_id=course_id)
except NotFound:
    st.error(_("This course does not exist any more: choose another one."))
    st.stop()

if region.enrolled == 0:
    st.info(
        _(
            "Nobody is enrolled in this course yet: a coordinator can enroll participants "
            "on Courses & enrollment."
        )
    )
    st.stop()

own = rows[0] if is_officer and rows else None
shown = own or region
if own is not None:
    st.caption(
        _("Your country, {country}, compared with the whole region.").format(
            country=progress.country_label(own.country)
        )
    )
enrolled_column, active_column, completed_column, rate_column = st.columns(4)
enrolled_column.metric(_("Enrolled"), shown.enrolled)
active_column.metric(_("Active"), shown.active)
completed_column.metric(_("Completed"), shown.completed)
rate_column.metric(
    _("Completion rate"),
    f"{shown.completion_rate:.0%}",
    delta=(
        _("{points:+.0f} points vs region").format(
            points=(own.completion_rate - region.completion_rate) * 100
        )
        if own is not None
        else None
    ),
    help=_("Completed ÷ (enrolled − withdrawn)."),
)

compared = [*rows, region] if is_officer else rows
st.dataframe(progress.progress_table(compared), hide_index=True)
st.altair_chart(progress.completion_chart(compared))
