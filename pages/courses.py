"""Courses & enrollment: courses and modules, enrollments, the progress grid, bulk import."""

import math
from datetime import date

import streamlit as st
from pydantic import ValidationError

from models import CourseCreate, CourseUpdate, ParticipantCreate, ParticipantUpdate
from models.enums import EnrollmentStatus
from services.courses import catalog as courses
from services.courses import changes as course_changes
from services.courses import grid as course_grid
from services.courses import imports, moodle
from services.courses import tables as course_tables
from services.platform import validation
from services.platform.access import STAFF
from services.platform.errors import EnlaceError, ImportRejected, StaleVersion
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, label, literal, options
from services.ui import runtime
from services.ui.feedback import show_error
from services.ui.runtime import clear_caches, current_actor, db_session

ALL = ""
PAGE_SIZE = 100
GRID_PAGE_SIZE = 50
FLASH = "courses_flash"
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


def _done(message: str) -> None:
    clear_caches()
    st.session_state[FLASH] = message
    st.rerun()


def _show_form_errors(error: ValidationError, places: dict, fallback) -> None:  # type: ignore[type-arg]
    shown: dict[object, list[str]] = {}
    for field, message in validation.form_errors(error).items():
        shown.setdefault(places.get(field, fallback), []).append(message)
    for place, lines in shown.items():
        place.error(literal(" ".join(lines)))


def _country_label(code: str) -> str:
    if code == ALL:
        return _("All")
    if code == courses.UNKNOWN_COUNTRY:
        return _("Unknown country")
    return country_name(code)


# ------------------------------------------------------------------------- new course


def _add_course_form() -> None:
    """The "Add course" form; errors appear under the field concerned, input is kept."""
    with st.form("add_course", clear_on_submit=False):
        st.subheader(_("Add course"))
        code = st.text_input(
            _("Code"), help=_("A short unique code, for example CTR-2018."), key="new_code"
        )
        code_error = st.empty()
        title = st.text_input(_("Title"), key="new_title")
        title_error = st.empty()
        organiser = st.text_input(_("Organiser"), placeholder=_("IOM / IPPDH"), key="new_org")
        organiser_error = st.empty()
        start_column, end_column = st.columns(2)
        starts_on = start_column.date_input(_("Starts on"), value=None, key="new_starts")
        starts_error = start_column.empty()
        ends_on = end_column.date_input(_("Ends on"), value=None, key="new_ends")
        ends_error = end_column.empty()
        modules_text = st.text_area(
            _("Modules, one per line"),
            help=_("In the order participants follow them."),
            key="new_modules",
        )
        modules_error = st.empty()
        form_error = st.empty()
        submitted = st.form_submit_button(_("Add course"), type="primary", key="add_course_submit")
    if not submitted:
        return
    places = {
        "code": code_error,
        "title": title_error,
        "organiser": organiser_error,
        "starts_on": starts_error,
        "ends_on": ends_error,
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
        _show_form_errors(error, places, form_error)
        return
    except EnlaceError as error:
        show_error(error, form_error)
        return
    st.session_state["select_course"] = course.id
    _done(_("Course {code} added.").format(code=course.code))


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
        st.dataframe(
            course_tables.enrollments_table(rows), hide_index=True, key="enrollments_table"
        )
    elif any(filters.values()):
        st.info(_("No enrollment matches these filters: change or clear them."))
    else:
        st.info(_("Nobody is enrolled in this course yet: add a participant or import a file."))

    with st.expander(_("Add a participant"), icon=":material/person_add:"):
        _add_participant_form(course_id)
    if rows:
        with st.expander(_("Change status or correct a participant"), icon=":material/edit:"):
            _edit_enrollment(rows)


def _add_participant_form(course_id: int) -> None:
    with st.form("add_participant", clear_on_submit=False):
        name_column, email_column = st.columns(2)
        full_name = name_column.text_input(_("Full name"), key="participant_name")
        name_error = name_column.empty()
        email = email_column.text_input(_("Email"), key="participant_email")
        email_error = email_column.empty()
        country_column, post_column = st.columns(2)
        country = country_column.selectbox(
            _("Country"),
            [ALL, *country_codes()],
            format_func=lambda code: _("Unknown") if code == ALL else country_name(code),
            key="participant_country",
        )
        country_error = country_column.empty()
        consular_post = post_column.text_input(_("Consular post (city)"), key="participant_post")
        institution = st.text_input(_("Institution"), key="participant_institution")
        status_column, date_column = st.columns(2)
        status = status_column.selectbox(
            _("Status"),
            [EnrollmentStatus.invited.value, EnrollmentStatus.active.value],
            format_func=label,
            key="participant_status",
        )
        enrolled_on = date_column.date_input(_("Enrolled on"), key="participant_enrolled_on")
        form_error = st.empty()
        submitted = st.form_submit_button(_("Enroll"), type="primary", key="participant_submit")
    if not submitted:
        return
    try:
        participant_in = ParticipantCreate(
            full_name=full_name,
            email=email,
            country=country or None,
            consular_post=consular_post,
            institution=institution,
        )
        with db_session() as session:
            course_changes.add_participant_to_course(
                session=session,
                actor=actor,
                course_id=course_id,
                participant_in=participant_in,
                status=EnrollmentStatus(status),
                enrolled_on=enrolled_on,
            )
    except ValidationError as error:
        places = {"full_name": name_error, "email": email_error, "country": country_error}
        _show_form_errors(error, places, form_error)
        return
    except EnlaceError as error:
        show_error(error, form_error)
        return
    _done(_("{name} enrolled.").format(name=participant_in.full_name))


def _edit_enrollment(rows: list[courses.EnrollmentRow]) -> None:
    by_id = {row.enrollment_id: row for row in rows}
    enrollment_id = st.selectbox(
        _("Participant"),
        list(by_id),
        format_func=lambda key: f"{by_id[key].full_name} <{by_id[key].email}>",
        key="edit_enrollment",
    )
    row = by_id[enrollment_id]
    with db_session() as session:
        enrollment = course_changes.get_enrollment(
            session=session, actor=actor, enrollment_id=enrollment_id
        )
        participant = course_changes.get_participant(
            session=session, actor=actor, participant_id=row.participant_id
        )
    # The version seen when the form first appeared: a save by someone else since is refused.
    version_key = f"enrollment_version_{enrollment_id}"
    st.session_state.setdefault(version_key, enrollment.updated_at)
    current = EnrollmentStatus(enrollment.status)
    st.caption(
        _("Status: {status} · enrolled on {enrolled} · completed on {completed}").format(
            status=label(current),
            enrolled=enrollment.enrolled_on or "—",
            completed=enrollment.completed_on or "—",
        )
    )
    targets = course_changes.STATUS_TRANSITIONS[current]
    with st.form("change_status"):
        status_column, date_column = st.columns(2)
        target = status_column.selectbox(
            _("New status"), [t.value for t in targets], format_func=label, key="new_status"
        )
        on = date_column.date_input(_("On"), value=date.today(), key="new_status_on")
        status_error = st.empty()
        changed = st.form_submit_button(_("Change status"), key="change_status_submit")
    if changed:
        try:
            with db_session() as session:
                course_changes.change_enrollment_status(
                    session=session,
                    actor=actor,
                    enrollment_id=enrollment_id,
                    status=target,
                    on=on,
                    expected_updated_at=st.session_state[version_key],
                )
        except StaleVersion as error:
            st.session_state.pop(version_key, None)
            show_error(error, status_error)
        except EnlaceError as error:
            show_error(error, status_error)
        else:
            st.session_state.pop(version_key, None)
            _done(_("{name} is now {status}.").format(name=row.full_name, status=label(target)))

    with st.form("correct_participant"):
        name_column, email_column = st.columns(2)
        full_name = name_column.text_input(
            _("Full name"), value=participant.full_name, key="fix_name"
        )
        email = email_column.text_input(_("Email"), value=participant.email, key="fix_email")
        choices = [ALL, *country_codes()]
        country = st.selectbox(
            _("Country"),
            choices,
            index=choices.index(participant.country) if participant.country in choices else 0,
            format_func=lambda code: _("Unknown") if code == ALL else country_name(code),
            key="fix_country",
        )
        post_column, institution_column = st.columns(2)
        consular_post = post_column.text_input(
            _("Consular post (city)"), value=participant.consular_post, key="fix_post"
        )
        institution = institution_column.text_input(
            _("Institution"), value=participant.institution, key="fix_institution"
        )
        fix_error = st.empty()
        saved = st.form_submit_button(_("Save participant"), key="fix_submit")
    if saved:
        try:
            update = ParticipantUpdate(
                full_name=full_name,
                email=email,
                country=country or None,
                consular_post=consular_post,
                institution=institution,
            )
            with db_session() as session:
                course_changes.update_participant(
                    session=session,
                    actor=actor,
                    participant_id=participant.id,
                    participant_in=update,
                )
        except ValidationError as error:
            fix_error.error(literal(" ".join(validation.messages(error))))
        except EnlaceError as error:
            show_error(error, fix_error)
        else:
            _done(_("{name} saved.").format(name=full_name))


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
            with db_session() as session:
                saved = course_grid.save_progress(
                    session=session,
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
        _done(_("Progress saved: {count} values changed.").format(count=saved))


# ------------------------------------------------------------------------------ import

IMPORT = "courses_import"
AUTO = ""


def _import_section(course_id: int, course_code: str) -> None:
    st.caption(
        _(
            "Moodle user upload, grade export or course completion report, or a CSV/XLSX with "
            "the columns full_name, email, country, consular_post, institution, status, "
            "enrolled_on. Nothing is written before you confirm the preview."
        )
    )
    upload = st.file_uploader(_("File"), type=["csv", "txt", "xlsx"], key="import_file")
    format_column, country_column = st.columns(2)
    import_format = format_column.selectbox(
        _("Format"),
        [AUTO, *options(moodle.ImportFormat)],
        format_func=lambda code: (
            _("Detect from the header") if code == AUTO else (moodle.format_label(code))
        ),
        key="import_format",
    )
    default_country = country_column.selectbox(
        _("Country for rows without one"),
        [ALL, *country_codes()],
        format_func=lambda code: _("Leave unknown") if code == ALL else country_name(code),
        key="import_country",
    )
    if upload is None:
        st.session_state.pop(IMPORT, None)
        return
    request = {
        "course_id": course_id,
        "data": upload.getvalue(),
        "filename": upload.name,
        "expected_format": import_format or None,
        "default_country": default_country or None,
    }
    if st.button(_("Preview"), icon=":material/preview:", key="import_preview"):
        try:
            with db_session() as session:
                preview = imports.preview_import(session=session, actor=actor, **request)
        except ImportRejected as error:
            st.session_state.pop(IMPORT, None)
            show_error(error)
            return
        st.session_state[IMPORT] = (request, preview)
    stored = st.session_state.get(IMPORT)
    if stored is None or stored[0] != request:
        return
    preview: imports.ImportPreview = stored[1]
    _show_report(preview)
    if preview.written:
        return
    if not preview.has_changes:
        st.info(_("Nothing to import: every accepted row is already up to date."))
        return
    skip = False
    if preview.rejected:
        skip = st.checkbox(_("Import the valid rows and skip the rejected ones"), key="import_skip")
    if st.button(
        _("Import into {code}").format(code=course_code),
        type="primary",
        disabled=bool(preview.rejected) and not skip,
        key="import_apply",
    ):
        try:
            with db_session() as session:
                result = imports.apply_import(
                    session=session,
                    actor=actor,
                    skip_rejected=skip,
                    confirmed=preview,
                    **request,
                )
        except EnlaceError as error:
            show_error(error)
            return
        clear_caches()
        st.session_state[IMPORT] = (request, result)
        st.rerun()


def _show_report(preview: imports.ImportPreview) -> None:
    with st.container(border=True, key="import_report"):
        st.caption(
            _("{format} · {rows} rows read · {encoding}").format(
                format=moodle.format_label(preview.format),
                rows=preview.rows_read,
                encoding=preview.encoding,
            )
        )
        message = imports.summary(preview)
        if preview.written:
            st.success(literal(message), icon=":material/task_alt:")
        else:
            st.info(literal(message))
        counts = preview.counts
        columns = st.columns(4)
        created_label = _("Created") if preview.written else _("To create")
        updated_label = _("Updated") if preview.written else _("To update")
        columns[0].metric(created_label, counts["create"])
        columns[1].metric(updated_label, counts["update"])
        columns[2].metric(_("Unchanged"), counts["unchanged"])
        columns[3].metric(_("Rejected"), counts["rejected"])
        if preview.rejected:
            st.subheader(_("Rejected rows"))
            st.dataframe(imports.rejections_table(preview), hide_index=True, key="import_rejected")
        changes = imports.changes_table(preview)
        if not changes.empty:
            st.subheader(_("Changes"))
            st.dataframe(changes, hide_index=True, key="import_changes")


# ------------------------------------------------------------------- course & modules


def _course_section(course_id: int) -> None:
    with db_session() as session:
        course = courses.get_course(session=session, actor=actor, course_id=course_id)
        modules = courses.list_modules(session=session, actor=actor, course_id=course_id)
    with st.form("edit_course"):
        st.subheader(_("Course"))
        title = st.text_input(_("Title"), value=course.title, key="edit_title")
        organiser = st.text_input(_("Organiser"), value=course.organiser, key="edit_organiser")
        description = st.text_area(
            _("Description"), value=course.description, key="edit_description"
        )
        start_column, end_column = st.columns(2)
        starts_on = start_column.date_input(
            _("Starts on"), value=course.starts_on, key="edit_starts"
        )
        ends_on = end_column.date_input(_("Ends on"), value=course.ends_on, key="edit_ends")
        course_error = st.empty()
        saved = st.form_submit_button(_("Save course"), key="edit_course_submit")
    if saved:
        try:
            update = CourseUpdate(
                title=title,
                organiser=organiser,
                description=description,
                starts_on=starts_on,
                ends_on=ends_on,
            )
            with db_session() as session:
                course_changes.update_course(
                    session=session, actor=actor, course_id=course_id, course_in=update
                )
        except ValidationError as error:
            course_error.error(literal(" ".join(validation.messages(error))))
        except EnlaceError as error:
            show_error(error, course_error)
        else:
            _done(_("Course {code} saved.").format(code=course.code))

    st.subheader(_("Modules"))
    st.caption(
        _(
            "Edit titles, order, required flag and due dates; add a line for a new module. "
            "Modules are never deleted here, because progress refers to them."
        )
    )
    frame = course_tables.modules_editor_frame(modules)
    edited = st.data_editor(
        frame,
        column_config={
            "id": None,
            "position": st.column_config.NumberColumn(
                _("Position"), min_value=1, max_value=999, step=1, required=True
            ),
            "title": st.column_config.TextColumn(_("Module"), required=True, max_chars=300),
            "is_required": st.column_config.CheckboxColumn(_("Required"), default=True),
            "due_on": st.column_config.DateColumn(_("Due on")),
        },
        hide_index=True,
        num_rows="add",
        key=f"modules_editor_{course_id}",
    )
    if st.button(_("Save modules"), key="modules_save"):
        try:
            with db_session() as session:
                saved_modules = course_changes.save_modules(
                    session=session,
                    actor=actor,
                    course_id=course_id,
                    rows=course_tables.module_rows(edited),
                )
        except ValidationError as error:
            st.error(literal(" ".join(validation.messages(error, {"modules": _("Modules")}))))
        except EnlaceError as error:
            show_error(error)
        else:
            _done(_("{count} modules saved.").format(count=len(saved_modules)))

    st.divider()
    if course.archived_at is None:
        if st.button(_("Archive this course"), icon=":material/archive:", key="archive_course"):
            with db_session() as session:
                course_changes.archive_course(session=session, actor=actor, course_id=course_id)
            _done(_("Course {code} archived.").format(code=course.code))
    elif st.button(_("Restore this course"), icon=":material/unarchive:", key="restore_course"):
        with db_session() as session:
            course_changes.archive_course(
                session=session, actor=actor, course_id=course_id, archived=False
            )
        _done(_("Course {code} restored.").format(code=course.code))


# -------------------------------------------------------------------------------- page

if flash := st.session_state.pop(FLASH, None):
    st.success(literal(flash))

show_archived = st.toggle(_("Show archived courses"), key="show_archived")
course_rows = runtime.list_courses(actor, include_archived=show_archived)

if not course_rows:
    st.info(_("No course yet: add the first one with the form below."))
    _add_course_form()
    st.stop()

st.dataframe(course_tables.courses_table(course_rows), hide_index=True, key="courses_table")
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
        _import_section(course_id, course_code)
    elif section == "course":
        _course_section(course_id)
    elif section == "new":
        _add_course_form()
    else:
        _enrollments_section(course_id)
except EnlaceError as error:
    show_error(error)
