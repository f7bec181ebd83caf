"""Writing a new participant or enrollment with its audit row: what creating one by hand,
adding a person to a course and importing a file share."""

from sqlmodel import Session, select

import models
from models import Course, Enrollment, Module, ModuleProgress, Participant, UserAccount
from services.platform import audit
from services.platform.errors import Conflict
from services.platform.i18n import _
from services.platform.rows import flush_or_conflict


def add_participant(
    session: Session,
    *,
    actor: UserAccount,
    participant_in: models.ParticipantCreate,
    conflict: Conflict,
) -> Participant:
    """Write a new participant and its audit row; `conflict` when the email is taken."""
    participant = Participant.model_validate(participant_in)
    session.add(participant)
    flush_or_conflict(session, conflict)
    record_participant_created(session, actor=actor, participant=participant)
    return participant


def record_participant_created(
    session: Session, *, actor: UserAccount, participant: Participant, source: str | None = None
) -> None:
    """The audit row of a new participant (`source`: the file it was imported from)."""
    changes = audit.diff({}, {"email": participant.email, "country": participant.country})
    audit.record_row(
        session, actor, audit.AuditAction.participant_created, participant, changes, source
    )


def duplicate_email_message(email: str) -> str:
    return _("A participant with the email {email} already exists.").format(email=email)


def already_enrolled_message(course_code: str) -> str:
    return _("This participant is already enrolled in {code}.").format(code=course_code)


def add_enrollment(
    session: Session, *, actor: UserAccount, enrollment: Enrollment, course: Course
) -> Enrollment:
    """Write a new enrollment, every module of the course as not started, and its audit row;
    Conflict when the person is enrolled in the course already."""
    already = Conflict(already_enrolled_message(course.code))
    session.add(enrollment)
    flush_or_conflict(session, already)
    module_ids = session.exec(select(Module.id).where(Module.course_id == course.id)).all()
    session.add_all(
        ModuleProgress(enrollment_id=enrollment.id, module_id=module_id)  # type: ignore[arg-type]
        for module_id in module_ids
    )
    record_enrollment_created(session, actor=actor, enrollment=enrollment)
    flush_or_conflict(session, already)
    session.refresh(enrollment)
    return enrollment


def record_enrollment_created(
    session: Session, *, actor: UserAccount, enrollment: Enrollment, source: str | None = None
) -> None:
    """The audit row of a new enrollment (`source`: the file it was imported from)."""
    changes = audit.diff(
        {},
        {
            "participant_id": enrollment.participant_id,
            "course_id": enrollment.course_id,
            "status": str(enrollment.status),
        },
    )
    audit.record_row(
        session, actor, audit.AuditAction.enrollment_created, enrollment, changes, source
    )
