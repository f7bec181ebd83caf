"""Courses & enrollment: the courses, one course's modules and enrollments, adding a course."""

import re

import streamlit as st
from pydantic import ValidationError

from models import CourseCreate
from models.enums import EnrollmentStatus
from services import courses, validation
from services.access import STAFF
from services.errors import EnlaceError, NotFound, PermissionDenied
from services.i18n import _
from services.labels import country_name, label, options
from services.runtime import clear_caches, current_actor, db_session

ALL = ""
PAGE_SIZE = 200
FLASH = "courses_flash"

actor = current_actor()
can_manage = actor.role in STAFF
st.title(_("Courses & enrollment"))


def _literal(text: str) -> str:
    """Messages can quote what someone typed: escape it so markdown shows it as typed."""
    return re.sub(r"([\\`*_\[\]<>#|~$])", r"\\\1", text)


def _add_course_form() -> None:
    """The "Add course" form; errors appear under the field concerned, input is kept."""
    with st.form("add_course", clear_on_submit=False):
        st.subheader(_("Add course"))
        code = st.text_input(_("Code"), help=_("A short unique code, for example CTR-2018."))
        code_error = st.empty()
        title = st.text_input(_("Title"))
        title_error = st.empty()
        organiser = st.text_input(_("Organiser"), placeholder=_("IOM / IPPDH"))
        organiser_error = st.empty()
        start_column, end_column = st.columns(2)
        starts_on = start_column.date_input(_("Starts on"), value=None)
        starts_error = start_column.empty()
        ends_on = end_column.date_input(_("Ends on"), value=None)
        ends_error = end_column.empty()
        modules_text = st.text_area(
            _("Modules, one per line"), help=_("In the order participants follow them.")
        )
        modules_error = st.empty()
        form_error = st.empty()
        submitted = st.form_submit_button(_("Add course"), type="primary")
    if not submitted:
        return

    places = {
        "code": code_error,
        "title": title_error,
        "organiser": organiser_error,
        "starts_on": starts_error,
        "ends_on": ends_error,
        # The only check on the whole course is "the end date is before the start date".
        validation.FORM_LEVEL: ends_error,
        "modules": modules_error,
    }
    try:
        course_in = CourseCreate(
            code=code, title=title, organiser=organiser, starts_on=starts_on, ends_on=ends_on
        )
        with db_session() as session:
            course = courses.create_course(
                session=session,
                actor=actor,
                course_in=course_in,
                modules=(modules_text or "").splitlines(),
            )
    except ValidationError as error:
        messages: dict[object, list[str]] = {}
        for field, message in validation.form_errors(error).items():
            messages.setdefault(places.get(field, form_error), []).append(message)
        for place, lines in messages.items():
            place.error(_literal(" ".join(lines)))  # type: ignore[attr-defined]
        return
    except EnlaceError as error:
        form_error.error(_literal(str(error)))
        return
    clear_caches()
    st.session_state[FLASH] = _("Course {code} added.").format(code=course.code)
    st.rerun()


try:
    with db_session() as session:
        course_rows = courses.list_courses(session=session, actor=actor)
except PermissionDenied:
    st.error(_("Your role does not give access to course management."))
    st.stop()

if flash := st.session_state.pop(FLASH, None):
    st.success(_literal(flash))

if not course_rows:
    if can_manage:
        st.info(_("No course yet: add the first one with the form below."))
        _add_course_form()
    else:
        st.info(_("No course yet: a coordinator can add one on Courses & enrollment."))
    st.stop()

st.dataframe(courses.courses_table(course_rows), hide_index=True)

titles = {row.id: f"{row.code} — {row.title}" for row in course_rows}
course_id = st.selectbox(_("Course"), list(titles), format_func=titles.__getitem__)

try:
    with db_session() as session:
        modules = courses.list_modules(session=session, actor=actor, course_id=course_id)
except NotFound:
    st.error(_("This course does not exist any more: choose another one."))
    st.stop()

st.subheader(_("Modules"))
if modules:
    st.dataframe(courses.modules_table(modules), hide_index=True)
else:
    st.info(_("This course has no modules yet."))

st.subheader(_("Enrollments"))
if can_manage:
    with db_session() as session:
        countries = courses.enrollment_countries(session=session, actor=actor, course_id=course_id)
    country_column, status_column, search_column = st.columns(3)
    country = country_column.selectbox(
        _("Country"),
        [ALL, *countries],
        format_func=lambda code: _("All") if code == ALL else country_name(code),
    )
    status = status_column.selectbox(
        _("Status"),
        [ALL, *options(EnrollmentStatus)],
        format_func=lambda code: _("All") if code == ALL else label(code),
    )
    search = search_column.text_input(_("Search name, email or ID"))
    with db_session() as session:
        enrollment_rows = courses.list_enrollments(
            session=session,
            actor=actor,
            course_id=course_id,
            country=country or None,
            status=status or None,
            search=search or None,
            limit=PAGE_SIZE,
        )
    if enrollment_rows:
        st.dataframe(courses.enrollments_table(enrollment_rows), hide_index=True)
        if len(enrollment_rows) == PAGE_SIZE:
            st.caption(
                _("Showing the first {count}: narrow the filters to find someone.").format(
                    count=PAGE_SIZE
                )
            )
    elif country or status or search:
        st.info(_("No enrollment matches these filters: change or clear them."))
    else:
        st.info(_("Nobody is enrolled in this course yet."))

    st.divider()
    _add_course_form()
else:
    st.info(_("The list of participants is for coordinators; see Progress by country."))
