"""The forms of Courses & enrollment: a new course, a participant (enrolled or corrected), an
enrollment's status, and a course with its modules.

Errors appear under the field concerned and the input is kept; a save shows its message at
the top of the page (`done`).
"""

from collections.abc import Callable, Mapping
from datetime import date
from typing import Any, TypeVar

import streamlit as st
from pydantic import BaseModel, ValidationError
from streamlit.delta_generator import DeltaGenerator

from models import CourseCreate, CourseUpdate, ParticipantCreate, ParticipantUpdate, UserAccount
from models.enums import EnrollmentStatus
from services.courses import catalog as courses
from services.courses import changes as course_changes
from services.courses import tables as course_tables
from services.platform import validation
from services.platform.errors import EnlaceError, StaleVersion
from services.platform.i18n import _
from services.platform.labels import country_codes, country_name, label, literal
from services.ui import widget_text
from services.ui.feedback import show_error, show_form_errors
from services.ui.runtime import clear_caches, db_session, run_service

FLASH = "courses_flash"
R = TypeVar("R")
UNKNOWN = ""
NEW_PARTICIPANT = {
    "full_name": "",
    "email": "",
    "country": None,
    "consular_post": "",
    "institution": "",
}


def done(message: str) -> None:
    """After a save: fresh reads, the message at the top of the page."""
    clear_caches()
    st.session_state[FLASH] = message
    st.rerun()


def _saved(save: Callable[[], R], places: Mapping[str, Any], fallback: Any) -> R | None:
    """What `save` (check a new record's form, then write it) returns; None when refused, the
    refusal shown under the fields concerned (`places`) or in `fallback`."""
    try:
        return save()
    except ValidationError as error:
        show_form_errors(error, places, fallback)
    except EnlaceError as error:
        show_error(error, fallback)
    return None


def _submit_edit(
    schema: type[BaseModel],
    values: Mapping[str, Any],
    write: Callable[[Any], object],
    *,
    button: tuple[str, str],
    message: str,
) -> None:
    """The end of an edit form: the place for its refusal, its submit button (label, key) and,
    once pressed, the values checked by `schema` and written (then `message`)."""
    where = st.empty()
    if not st.form_submit_button(button[0], key=button[1]):
        return
    try:
        write(schema(**values))
    except ValidationError as error:
        where.error(literal(" ".join(validation.messages(error))))
    except EnlaceError as error:
        show_error(error, where)
    else:
        done(message)


def add_course_form(actor: UserAccount) -> None:
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
        starts_on = start_column.date_input(
            format=widget_text.date_format(), label=_("Starts on"), value=None, key="new_starts"
        )
        starts_error = start_column.empty()
        ends_on = end_column.date_input(
            format=widget_text.date_format(), label=_("Ends on"), value=None, key="new_ends"
        )
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
    course = _saved(
        lambda: run_service(
            courses.create_course,
            actor=actor,
            course_in=CourseCreate(
                code=code, title=title, organiser=organiser, starts_on=starts_on, ends_on=ends_on
            ),
            modules=(modules_text or "").splitlines(),
        ),
        places,
        form_error,
    )
    if course is None:
        return
    st.session_state["select_course"] = course.id
    done(_("Course {code} added.").format(code=course.code))


def _participant_fields(
    prefix: str, start: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, DeltaGenerator]]:
    """A participant's fields, and where each one's message goes (`<prefix>_<field>` keys)."""
    values: dict[str, Any] = {}
    places: dict[str, DeltaGenerator] = {}
    name_column, email_column = st.columns(2)
    values["full_name"] = name_column.text_input(
        _("Full name"), value=start["full_name"], key=f"{prefix}_name"
    )
    places["full_name"] = name_column.empty()
    values["email"] = email_column.text_input(
        _("Email"), value=start["email"], key=f"{prefix}_email"
    )
    places["email"] = email_column.empty()
    country_column, post_column = st.columns(2)
    choices = [UNKNOWN, *country_codes()]
    values["country"] = (
        country_column.selectbox(
            _("Country"),
            choices,
            index=choices.index(start["country"]) if start["country"] in choices else 0,
            format_func=lambda code: _("Unknown") if code == UNKNOWN else country_name(code),
            key=f"{prefix}_country",
        )
        or None
    )
    places["country"] = country_column.empty()
    values["consular_post"] = post_column.text_input(
        _("Consular post (city)"), value=start["consular_post"], key=f"{prefix}_post"
    )
    values["institution"] = st.text_input(
        _("Institution"), value=start["institution"], key=f"{prefix}_institution"
    )
    return values, places


def add_participant_form(actor: UserAccount, course_id: int) -> None:
    with st.form("add_participant", clear_on_submit=False):
        fields, places = _participant_fields("participant", NEW_PARTICIPANT)
        status_column, date_column = st.columns(2)
        status = status_column.selectbox(
            _("Status"),
            [EnrollmentStatus.invited.value, EnrollmentStatus.active.value],
            format_func=label,
            key="participant_status",
        )
        enrolled_on = date_column.date_input(
            format=widget_text.date_format(), label=_("Enrolled on"), key="participant_enrolled_on"
        )
        form_error = st.empty()
        submitted = st.form_submit_button(_("Enroll"), type="primary", key="participant_submit")
    if not submitted:
        return

    def enroll() -> ParticipantCreate:
        participant_in = ParticipantCreate(**fields)
        run_service(
            course_changes.add_participant_to_course,
            actor=actor,
            course_id=course_id,
            participant_in=participant_in,
            status=EnrollmentStatus(status),
            enrolled_on=enrolled_on,
        )
        return participant_in

    participant_in = _saved(enroll, places, form_error)
    if participant_in is None:
        return
    done(_("{name} enrolled.").format(name=participant_in.full_name))


def edit_enrollment(actor: UserAccount, rows: list[courses.EnrollmentRow]) -> None:
    """Change a participant's status in the course, or correct their details."""
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
        on = date_column.date_input(
            format=widget_text.date_format(), label=_("On"), value=date.today(), key="new_status_on"
        )
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
            done(_("{name} is now {status}.").format(name=row.full_name, status=label(target)))

    with st.form("correct_participant"):
        fields, _places = _participant_fields(
            "fix", {name: getattr(participant, name) for name in NEW_PARTICIPANT}
        )
        _submit_edit(
            ParticipantUpdate,
            fields,
            lambda update: run_service(
                course_changes.update_participant,
                actor=actor,
                participant_id=row.participant_id,
                participant_in=update,
            ),
            button=(_("Save participant"), "fix_submit"),
            message=_("{name} saved.").format(name=fields["full_name"]),
        )


def course_section(actor: UserAccount, course_id: int) -> None:
    """The course's details, its modules, and archiving."""
    with db_session() as session:
        course = courses.get_course(session=session, actor=actor, course_id=course_id)
        modules = courses.list_modules(session=session, actor=actor, course_id=course_id)
    with st.form("edit_course"):
        st.subheader(_("Course"))
        values: dict[str, Any] = {
            "title": st.text_input(_("Title"), value=course.title, key="edit_title"),
            "organiser": st.text_input(
                _("Organiser"), value=course.organiser, key="edit_organiser"
            ),
            "description": st.text_area(
                _("Description"), value=course.description, key="edit_description"
            ),
        }
        start_column, end_column = st.columns(2)
        values["starts_on"] = start_column.date_input(
            format=widget_text.date_format(),
            label=_("Starts on"),
            value=course.starts_on,
            key="edit_starts",
        )
        values["ends_on"] = end_column.date_input(
            format=widget_text.date_format(),
            label=_("Ends on"),
            value=course.ends_on,
            key="edit_ends",
        )
        _submit_edit(
            CourseUpdate,
            values,
            lambda update: run_service(
                course_changes.update_course, actor=actor, course_id=course_id, course_in=update
            ),
            button=(_("Save course"), "edit_course_submit"),
            message=_("Course {code} saved.").format(code=course.code),
        )
    _modules(actor, course_id, modules)

    st.divider()
    if course.archived_at is None:
        if st.button(_("Archive this course"), icon=":material/archive:", key="archive_course"):
            with db_session() as session:
                course_changes.archive_course(session=session, actor=actor, course_id=course_id)
            done(_("Course {code} archived.").format(code=course.code))
    elif st.button(_("Restore this course"), icon=":material/unarchive:", key="restore_course"):
        with db_session() as session:
            course_changes.archive_course(
                session=session, actor=actor, course_id=course_id, archived=False
            )
        done(_("Course {code} restored.").format(code=course.code))


def _modules(actor: UserAccount, course_id: int, modules: list[Any]) -> None:
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
            "due_on": st.column_config.DateColumn(_("Due on"), format=widget_text.date_format()),
        },
        hide_index=True,
        num_rows="add",
        key=f"modules_editor_{course_id}",
    )
    if st.button(_("Save modules"), key="modules_save"):
        try:
            saved_modules = run_service(
                course_changes.save_modules,
                actor=actor,
                course_id=course_id,
                rows=course_tables.module_rows(edited),
            )
        except ValidationError as error:
            st.error(literal(" ".join(validation.messages(error, {"modules": _("Modules")}))))
        except EnlaceError as error:
            show_error(error)
        else:
            done(_("{count} modules saved.").format(count=len(saved_modules)))
