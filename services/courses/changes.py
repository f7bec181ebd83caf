"""Changing courses and people: course details, archiving, the module list, adding a
participant to a course, correcting a participant, an enrollment's status (audited).
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from pydantic import ValidationError
from pydantic_core import InitErrorDetails
from sqlmodel import Session, select

import models
from models import Course, Enrollment, Module, Participant, UserAccount
from models.base import utcnow
from models.enums import EnrollmentStatus
from services.courses import catalog, enrollment_writes
from services.courses.catalog import existing_course, known_id, row_exists
from services.platform import audit
from services.platform.access import STAFF, require_role
from services.platform.errors import Conflict, NotFound, StaleVersion
from services.platform.i18n import N_
from services.platform.labels import label
from services.platform.rows import existing_row, flush_or_conflict, update_audited

# ------------------------------------------------------------- editing courses and modules


def update_course(
    *, session: Session, actor: UserAccount, course_id: int, course_in: models.CourseUpdate
) -> Course:
    """Change a course's title, description, organiser, dates or languages."""
    require_role(actor, STAFF)
    course = existing_course(session, course_id)
    changes = course_in.model_dump(exclude_unset=True)
    if "languages" in changes and changes["languages"] is not None:
        changes["languages"] = [str(language) for language in changes["languages"]]
    starts_on = changes.get("starts_on", course.starts_on)
    ends_on = changes.get("ends_on", course.ends_on)
    if starts_on and ends_on and ends_on < starts_on:
        raise Conflict(N_("The end date is before the start date."))
    if update_audited(
        session,
        course,
        changes,
        actor=actor,
        action=audit.AuditAction.course_updated,
    ):
        session.flush()
        session.refresh(course)
    return course


def archive_course(
    *, session: Session, actor: UserAccount, course_id: int, archived: bool = True
) -> Course:
    """Archive a course (it leaves the lists and dashboards) or bring it back."""
    require_role(actor, STAFF)
    course = existing_course(session, course_id)
    if (course.archived_at is not None) == archived:
        return course
    update_audited(
        session,
        course,
        {"archived_at": utcnow() if archived else None},
        actor=actor,
        action=audit.AuditAction.course_archived if archived else audit.AuditAction.course_restored,
    )
    session.flush()
    session.refresh(course)
    return course


@dataclass(frozen=True)
class ModuleRow:
    """One line of the modules editor: an existing module (id) or a new one (id None)."""

    id: int | None
    position: int
    title: str
    is_required: bool = True
    due_on: date | None = None


def save_modules(
    *, session: Session, actor: UserAccount, course_id: int, rows: Sequence[ModuleRow]
) -> list[Module]:
    """Save the modules editor in one transaction: changed modules updated, new ones added.

    Modules missing from `rows` are kept (progress may refer to them). Titles must differ.
    """
    require_role(actor, STAFF)
    existing_course(session, course_id)
    existing = {
        known_id(module.id): module
        for module in session.exec(select(Module).where(Module.course_id == course_id)).all()
    }
    line_errors: list[InitErrorDetails] = []
    validated: list[tuple[ModuleRow, models.ModuleCreate]] = []
    for index, row in enumerate(rows):
        if row.id is not None and row.id not in existing:
            raise NotFound(N_("This module does not exist (any more)."))
        try:
            module_in = models.ModuleCreate(
                position=row.position,
                title=row.title,
                is_required=row.is_required,
                due_on=row.due_on,
                course_id=course_id,
            )
        except ValidationError as error:
            line_errors += catalog.module_line_errors(error, index)
            continue
        validated.append((row, module_in))
    if line_errors:
        raise ValidationError.from_exception_data("ModuleCreate", line_errors)
    # Titles of the modules not in the editor stay taken; the editor's own must differ.
    edited = {row.id for row, _module_in in validated if row.id is not None}
    titles: dict[str, int | None] = {
        module.title.casefold(): module_id
        for module_id, module in existing.items()
        if module_id not in edited
    }
    for row, module_in in validated:
        key = module_in.title.casefold()
        if key in titles and titles[key] != row.id:
            raise Conflict(catalog.MODULE_TWICE, title=module_in.title)
        titles[key] = row.id
    saved: list[Module] = []
    for row, module_in in validated:
        values = module_in.model_dump(exclude={"course_id"})
        if row.id is None:
            module = Module.model_validate(module_in)
            session.add(module)
            session.flush()
            created = audit.diff({}, {**values, "course_id": course_id})
            audit.record_row(session, actor, audit.AuditAction.module_created, module, created)
        else:
            module = existing[row.id]
            if not update_audited(
                session,
                module,
                values,
                actor=actor,
                action=audit.AuditAction.module_updated,
            ):
                continue
        saved.append(module)
    flush_or_conflict(
        session, Conflict(N_("Someone changed these modules meanwhile: reload and try again."))
    )
    return saved


# ------------------------------------------------------- participants: add, correct, status


def add_participant_to_course(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    participant_in: models.ParticipantCreate,
    status: EnrollmentStatus = EnrollmentStatus.invited,
    enrolled_on: date | None = None,
) -> Enrollment:
    """Enroll a person by email: the participant is created when new. One transaction."""
    require_role(actor, STAFF)
    course = existing_course(session, course_id)
    participant = session.exec(
        select(Participant).where(Participant.email == participant_in.email)
    ).first()
    if participant is not None:
        duplicate = select(Enrollment.id).where(
            Enrollment.participant_id == participant.id, Enrollment.course_id == course_id
        )
        if row_exists(session, duplicate):
            raise Conflict(enrollment_writes.already_enrolled_message(course.code))
    enrollment_in = models.EnrollmentCreate(
        participant_id=participant.id if participant and participant.id else 0,
        course_id=course_id,
        status=status,
        enrolled_on=enrolled_on or utcnow().date(),
    )
    if participant is None:
        participant = enrollment_writes.add_participant(
            session,
            actor=actor,
            participant_in=participant_in,
            conflict=Conflict(enrollment_writes.already_enrolled_message(course.code)),
        )
    enrollment = Enrollment.model_validate(enrollment_in, update={"participant_id": participant.id})
    return enrollment_writes.add_enrollment(
        session, actor=actor, enrollment=enrollment, course=course
    )


def get_participant(*, session: Session, actor: UserAccount, participant_id: int) -> Participant:
    require_role(actor, STAFF)
    return existing_row(session, Participant, participant_id, catalog.NO_PARTICIPANT)


def update_participant(
    *,
    session: Session,
    actor: UserAccount,
    participant_id: int,
    participant_in: models.ParticipantUpdate,
) -> Participant:
    """Correct a participant by hand (for example, complete an unknown country)."""
    participant = get_participant(session=session, actor=actor, participant_id=participant_id)
    changes = participant_in.model_dump(exclude_unset=True)
    changes = {
        name: (str(value) if isinstance(value, StrEnum) else value)
        for name, value in changes.items()
        if not (name in {"full_name", "email"} and value is None)
    }
    if "email" in changes and changes["email"] != participant.email:
        taken = select(Participant.id).where(
            Participant.email == changes["email"], Participant.id != participant_id
        )
        if row_exists(session, taken):
            raise Conflict(enrollment_writes.duplicate_email_message(changes["email"]))
    if not update_audited(
        session,
        participant,
        changes,
        actor=actor,
        action=audit.AuditAction.participant_updated,
    ):
        return participant
    flush_or_conflict(
        session, Conflict(enrollment_writes.duplicate_email_message(str(changes.get("email", ""))))
    )
    session.refresh(participant)
    return participant


# Which status an enrollment may move to. Back to active corrects a mistaken end.
STATUS_TRANSITIONS: dict[EnrollmentStatus, tuple[EnrollmentStatus, ...]] = {
    EnrollmentStatus.invited: (EnrollmentStatus.active, EnrollmentStatus.withdrawn),
    EnrollmentStatus.active: (EnrollmentStatus.completed, EnrollmentStatus.withdrawn),
    EnrollmentStatus.completed: (EnrollmentStatus.active,),
    EnrollmentStatus.withdrawn: (EnrollmentStatus.active,),
}


def get_enrollment(*, session: Session, actor: UserAccount, enrollment_id: int) -> Enrollment:
    require_role(actor, STAFF)
    return existing_row(
        session, Enrollment, enrollment_id, N_("This enrollment does not exist (any more).")
    )


def change_enrollment_status(
    *,
    session: Session,
    actor: UserAccount,
    enrollment_id: int,
    status: EnrollmentStatus | str,
    on: date | None = None,
    expected_updated_at: datetime | None = None,
) -> Enrollment:
    """Move an enrollment along invited → active → completed / withdrawn, with its date.

    Active sets the enrollment date, completed the completion date (default: today);
    leaving completed clears the completion date. The date of a withdrawal is kept in the
    audit trail. `expected_updated_at` refuses the change when someone saved meanwhile.
    """
    enrollment = get_enrollment(session=session, actor=actor, enrollment_id=enrollment_id)
    target = EnrollmentStatus(status)
    current = EnrollmentStatus(enrollment.status)
    if expected_updated_at is not None and enrollment.updated_at != expected_updated_at:
        raise StaleVersion(
            N_("Someone changed this enrollment meanwhile; nothing was overwritten. Reload it.")
        )
    if target not in STATUS_TRANSITIONS[current]:
        raise Conflict(
            N_("An enrollment that is {current} cannot become {target}."),
            current=label(current),
            target=label(target),
        )
    day = on or utcnow().date()
    dated = ("status", "enrolled_on", "completed_on", "withdrawn_on")
    before = {name: getattr(enrollment, name) for name in dated}
    if target == EnrollmentStatus.active:
        if current == EnrollmentStatus.invited or on is not None:
            enrollment.enrolled_on = day
        enrollment.completed_on = None
        enrollment.withdrawn_on = None
    elif target == EnrollmentStatus.completed:
        if enrollment.enrolled_on and day < enrollment.enrolled_on:
            raise Conflict(N_("The completion date is before the enrollment date."))
        enrollment.completed_on = day
    elif target == EnrollmentStatus.withdrawn:
        enrollment.withdrawn_on = day
    enrollment.status = target
    enrollment.updated_at = utcnow()
    after = {name: getattr(enrollment, name) for name in dated}
    session.add(enrollment)
    audit.record_row(
        session,
        actor,
        audit.AuditAction.enrollment_status_changed,
        enrollment,
        audit.diff(before, after),
    )
    session.flush()
    session.refresh(enrollment)
    return enrollment
