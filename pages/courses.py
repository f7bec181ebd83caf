"""Courses & enrollment: courses and modules, enrollments, the progress grid, bulk import."""

import math

import streamlit as st

from models.enums import EnrollmentStatus
from services.courses import catalog as courses
from services.courses import grid as course_grid
from services.courses import tables as course_tables
from services.platform.access import STAFF
from services.platform.errors import EnlaceError, StaleVersion
from services.platform.i18n import _
from services.platform.labels import country_name, label, literal, options
from services.ui import course_forms, course_import, runtime
from services.ui.feedback import show_error
from services.ui.runtime import current_actor, db_session
from services.ui.tables import show_frame

ALL = ""
PAGE_SIZE = 100
GRID_PAGE_SIZE = 50
SECTIONS = {
    "enrollments": _("Enrollments"),
    "progress": _("Module progress"),
    "import": _("Import"),
    "course": _("Course & modules"),
    "new": _("New course"),
}

actor = current_actor()
st.title(_("Courses & enrollment"))
if actor.role not in STAFF:
    st.error(_("Your role does not give access to course management."))
    st.stop()


def _country_label(code: str) -> str:
    if code == ALL:
        return _("All")
    if code == courses.UNKNOWN_COUNTRY:
        return _("Unknown country")
    return country_name(code)


# -------------------------------------------------------------------------- enrollments


def _enrollment_filters(prefix: str, course_id: int) -> dict:  # type: ignore[type-arg]
    countries = runtime.enrollment_countries(actor, course_id=course_id)
    country_column, status_column, band_column, search_column = st.columns(4)
    country = country_column.selectbox(
        _("Country"),
        [ALL, *countries, courses.UNKNOWN_COUNTRY],
        format_func=_country_label,
        key=f"{prefix}_country",
    )
    status = status_column.selectbox(
        _("Status"),
        [ALL, *options(EnrollmentStatus)],
        format_func=lambda code: _("All") if code == ALL else label(code),
        key=f"{prefix}_status",
    )
    band = band_column.selectbox(
        _("Progress"),
        [ALL, *options(courses.ProgressBand)],
        format_func=lambda code: _("All") if code == ALL else courses.band_label(code),
        key=f"{prefix}_band",
    )
    search = search_column.text_input(_("Search name, email or ID"), key=f"{prefix}_search")
    return {
        "country": country or None,
        "status": status or None,
        "progress_band": band or None,
        "search": search or None,
    }


def _page_number(total: int, size: int, key: str) -> int:
    pages = max(1, math.ceil(total / size))
    if pages == 1:
        return 0
    number = st.number_input(_("Page"), min_value=1, max_value=pages, value=1, key=key)
    st.caption(_("Page {page} of {pages}").format(page=number, pages=pages))
    return (int(number) - 1) * size


def _enrollments_section(course_id: int) -> None:
    filters = _enrollment_filters("enrollments", course_id)
    total = runtime.count_enrollments(actor, course_id=course_id, **filters)
    offset = _page_number(total, PAGE_SIZE, "enrollments_page")
    rows = runtime.list_enrollments(
        actor,
        course_id=course_id,
        limit=PAGE_SIZE,
        offset=offset,
        **filters,
    )
    st.caption(_("{count} enrollments match.").format(count=total))
    if rows:
        show_frame(course_tables.enrollments_table(rows), key="enrollments_table")
    elif any(filters.values()):
        st.info(_("No enrollment matches these filters: change or clear them."))
    else:
        st.info(_("Nobody is enrolled in this course yet: add a participant or import a file."))

    with st.expander(_("Add a participant"), icon=":material/person_add:"):
        course_forms.add_participant_form(actor, course_id)
    if rows:
        with st.expander(_("Change status or correct a participant"), icon=":material/edit:"):
            course_forms.edit_enrollment(actor, rows)


# ---------------------------------------------------------------------- progress grid


def _progress_section(course_id: int) -> None:
    filters = _enrollment_filters("grid", course_id)
    total = runtime.count_enrollments(actor, course_id=course_id, **filters)
    offset = _page_number(total, GRID_PAGE_SIZE, "grid_page")
    wanted = (course_id, tuple(sorted(filters.items())), offset)
    reload = st.button(_("Reload grid"), icon=":material/refresh:", key="grid_reload")
    # The grid is kept as first loaded: its token refuses the save if someone saved since.
    if reload or st.session_state.get("grid_for") != wanted:
        with db_session() as session:
            st.session_state["grid"] = course_grid.progress_grid(
                session=session,
                actor=actor,
                course_id=course_id,
                limit=GRID_PAGE_SIZE,
                offset=offset,
                **filters,
            )
        st.session_state["grid_for"] = wanted
        st.session_state["grid_version"] = st.session_state.get("grid_version", 0) + 1
    grid: course_grid.ProgressGrid = st.session_state["grid"]
    if not grid.rows:
        st.info(_("Nobody to show: enroll participants or change the filters."))
        return
    if not grid.modules:
        st.info(_("This course has no modules yet: add them under Course & modules."))
    states = course_tables.progress_state_labels()
    column_config = {
        course_tables.GRID_PARTICIPANT: st.column_config.TextColumn(
            _("Participant"), disabled=True, pinned=True
        ),
        course_tables.GRID_COUNTRY: st.column_config.TextColumn(_("Country"), disabled=True),
        course_tables.GRID_STATUS: st.column_config.TextColumn(_("Status"), disabled=True),
        course_tables.GRID_FINAL_GRADE: st.column_config.NumberColumn(
            _("Final grade"), min_value=0, max_value=100, step=0.01
        ),
    }
    for module in grid.modules:
        column_config[course_tables.module_column(module.id)] = st.column_config.SelectboxColumn(
            f"{module.position}. {module.title}", options=states, required=True
        )
    edited = st.data_editor(
        course_tables.progress_grid_frame(grid),
        column_config=column_config,
        hide_index=True,
        num_rows="fixed",
        key=f"grid_editor_{st.session_state['grid_version']}",
    )
    if st.button(_("Save progress"), type="primary", key="grid_save"):
        state_changes, grades = course_tables.grid_edits(grid, edited)
        if not state_changes and not grades:
            st.info(_("Nothing changed."))
            return
        try:
            saved = runtime.run_service(
                course_grid.save_progress,
                actor=actor,
                course_id=course_id,
                token=grid.token,
                enrollment_ids=grid.enrollment_ids,
                states=state_changes,
                final_grades=grades,
            )
        except StaleVersion as error:
            # The edits stay in the editor; "Reload grid" discards them.
            show_error(error, icon=":material/sync_problem:")
            return
        except EnlaceError as error:
            show_error(error)
            return
        st.session_state.pop("grid_for", None)
        course_forms.done(_("Progress saved: {count} values changed.").format(count=saved))


# -------------------------------------------------------------------------------- page

if flash := st.session_state.pop(course_forms.FLASH, None):
    st.success(literal(flash))

show_archived = st.toggle(_("Show archived courses"), key="show_archived")
course_rows = runtime.list_courses(actor, include_archived=show_archived)

if not course_rows:
    st.info(_("No course yet: add the first one with the form below."))
    course_forms.add_course_form(actor)
    st.stop()

show_frame(course_tables.courses_table(course_rows), key="courses_table")
titles = {row.id: f"{row.code} — {row.title}" for row in course_rows}
if "select_course" in st.session_state:
    st.session_state["course_id"] = st.session_state.pop("select_course")
if st.session_state.get("course_id") not in titles:
    st.session_state.pop("course_id", None)
course_id = st.selectbox(_("Course"), list(titles), format_func=titles.__getitem__, key="course_id")
course_code = next(row.code for row in course_rows if row.id == course_id)

section = st.segmented_control(
    _("Section"),
    list(SECTIONS),
    format_func=SECTIONS.__getitem__,
    default="enrollments",
    required=True,
    key="courses_section",
    label_visibility="collapsed",
)
try:
    if section == "progress":
        _progress_section(course_id)
    elif section == "import":
        course_import.import_section(actor, course_id, course_code)
    elif section == "course":
        course_forms.course_section(actor, course_id)
    elif section == "new":
        course_forms.add_course_form(actor)
    else:
        _enrollments_section(course_id)
except EnlaceError as error:
    show_error(error)
