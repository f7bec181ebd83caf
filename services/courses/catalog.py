"""Courses, modules, participants and enrollments: coordinators and admins manage them,
managers read the course list, and every signed-in person reads their own enrollments."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import Any, TypedDict, Unpack

import sqlalchemy as sa
from pydantic import ValidationError
from pydantic_core import InitErrorDetails
from sqlmodel import Session, and_, col, func, or_, select

import models
from models import Course, Enrollment, Module, ModuleProgress, Participant, UserAccount
from models.base import utcnow
from models.enums import COMPLETED_STATES, EnrollmentStatus, ProgressState, Role
from services.courses import enrollment_writes
from services.platform import audit
from services.platform.access import DASHBOARD_READERS, STAFF, require_role
from services.platform.errors import Conflict, PermissionDenied
from services.platform.i18n import N_
from services.platform.labels import translated
from services.platform.rows import existing_row, flush_or_conflict

# A module counts as done when completed or passed; a failed attempt does not.
MODULE_DONE_STATES: tuple[str, ...] = tuple(
    sorted(state.value for state in COMPLETED_STATES - {ProgressState.completed_fail})
)
MAX_PAGE_SIZE = 1000
NO_PARTICIPANT = N_("This participant does not exist (any more).")
MODULE_TWICE = N_("The module “{title}” is listed twice; module titles must differ.")


@dataclass(frozen=True)
class CourseSummary:
    id: int
    code: str
    title: str
    organiser: str
    starts_on: date | None
    ends_on: date | None
    modules: int
    enrolled: int
    completed: int
    archived: bool = False


@dataclass(frozen=True)
class EnrollmentRow:
    enrollment_id: int
    participant_id: int
    full_name: str
    email: str
    country: str | None
    consular_post: str
    status: str
    enrolled_on: date | None
    completed_modules: int
    total_modules: int
    final_grade: float | None
    completed_on: date | None = None
    withdrawn_on: date | None = None

    @property
    def status_since(self) -> date | None:
        """The day the enrollment reached its status."""
        if self.status == EnrollmentStatus.completed:
            return self.completed_on
        if self.status == EnrollmentStatus.withdrawn:
            return self.withdrawn_on
        return self.enrolled_on


@dataclass(frozen=True)
class MyModule:
    module_id: int
    position: int
    title: str
    state: str
    score: float | None
    due_on: date | None
    completed_on: date | None


@dataclass(frozen=True)
class MyEnrollment:
    enrollment_id: int
    course_id: int
    course_code: str
    course_title: str
    status: str
    final_grade: float | None
    modules: list[MyModule] = field(default_factory=list)

    @property
    def completed_modules(self) -> int:
        return sum(1 for module in self.modules if module.state in MODULE_DONE_STATES)

    @property
    def total_modules(self) -> int:
        return len(self.modules)


# ---------------------------------------------------------------- courses and modules


def list_courses(
    *, session: Session, actor: UserAccount, include_archived: bool = False
) -> list[CourseSummary]:
    """Every course with its number of modules, enrollments and completed enrollments."""
    require_role(actor, DASHBOARD_READERS)
    modules = (
        select(func.count(col(Module.id))).where(Module.course_id == Course.id).scalar_subquery()
    )
    enrolled = (
        select(func.count(col(Enrollment.id)))
        .where(Enrollment.course_id == Course.id)
        .scalar_subquery()
    )
    completed = (
        select(func.count(col(Enrollment.id)))
        .where(
            Enrollment.course_id == Course.id,
            Enrollment.status == EnrollmentStatus.completed,
        )
        .scalar_subquery()
    )
    # SQLAlchemy's select: SQLModel's typed overloads stop at four columns.
    query = sa.select(
        col(Course.id),
        col(Course.code),
        col(Course.title),
        col(Course.organiser),
        col(Course.starts_on),
        col(Course.ends_on),
        modules,
        enrolled,
        completed,
        col(Course.archived_at).is_not(None),
    )
    if not include_archived:
        query = query.where(col(Course.archived_at).is_(None))
    query = query.order_by(
        col(Course.starts_on).is_(None), col(Course.starts_on).desc(), col(Course.code)
    )
    rows = session.exec(query).all()  # type: ignore[call-overload]
    # The columns are the summary's fields, in order (the last one a SQL boolean).
    return [CourseSummary(*row) for row in rows]


def get_course(*, session: Session, actor: UserAccount, course_id: int) -> Course:
    """One course, for staff and dashboard readers."""
    require_role(actor, DASHBOARD_READERS)
    return existing_course(session, course_id)


def create_course(
    *,
    session: Session,
    actor: UserAccount,
    course_in: models.CourseCreate,
    modules: Iterable[str] = (),
) -> Course:
    """A new course and its modules (titles in order; blank lines are skipped)."""
    require_role(actor, STAFF)
    titles = [title.strip() for title in modules if title and title.strip()]
    modules_in = _validate_modules(titles)
    if row_exists(session, select(Course.id).where(Course.code == course_in.code)):
        raise Conflict(N_("A course with the code {code} already exists."), code=course_in.code)
    course = Course.model_validate(
        course_in, update={"languages": [str(language) for language in course_in.languages]}
    )
    code_taken = Conflict(N_("A course with the code {code} already exists."), code=course_in.code)
    session.add(course)
    flush_or_conflict(session, code_taken)
    for module_in in modules_in:
        session.add(Module.model_validate(module_in, update={"course_id": course.id}))
    created = {
        "code": course.code,
        "title": course.title,
        "organiser": course.organiser,
        "starts_on": course.starts_on,
        "ends_on": course.ends_on,
        "modules": titles,
    }
    audit.record_row(
        session, actor, audit.AuditAction.course_created, course, audit.diff({}, created)
    )
    flush_or_conflict(session, code_taken)
    session.refresh(course)
    return course


def _validate_modules(titles: Sequence[str]) -> list[models.ModuleCreate]:
    """ModuleCreate per title; errors are reported as ("modules", line index)."""
    seen: set[str] = set()
    for title in titles:
        if title.casefold() in seen:
            raise Conflict(MODULE_TWICE, title=title)
        seen.add(title.casefold())
    validated: list[models.ModuleCreate] = []
    errors: list[InitErrorDetails] = []
    for index, title in enumerate(titles):
        try:
            # course_id is set once the course exists; 0 only stands in for validation.
            validated.append(models.ModuleCreate(position=index + 1, title=title, course_id=0))
        except ValidationError as error:
            errors += module_line_errors(error, index)
    if errors:
        raise ValidationError.from_exception_data("CourseCreate", errors)
    return validated


def module_line_errors(error: ValidationError, index: int) -> list[InitErrorDetails]:
    """A module's validation errors, located at its line of the list ("modules", index)."""
    line_errors: list[InitErrorDetails] = []
    for detail in error.errors():
        line_error: InitErrorDetails = {
            "type": detail["type"],  # type: ignore[typeddict-item]
            "loc": ("modules", index),
            "input": detail["input"],
        }
        if "ctx" in detail:
            line_error["ctx"] = detail["ctx"]
        line_errors.append(line_error)
    return line_errors


def list_modules(*, session: Session, actor: UserAccount, course_id: int) -> list[Module]:
    """A course's modules in order. Officers only for a course they are enrolled in."""
    require_role(actor, tuple(Role))
    existing_course(session, course_id)
    if actor.role not in DASHBOARD_READERS and not _is_enrolled(session, actor, course_id):
        raise PermissionDenied(N_("You are not enrolled in this course."))
    query = (
        select(Module)
        .where(Module.course_id == course_id)
        .order_by(col(Module.position), col(Module.id))
    )
    return list(session.exec(query).all())


def existing_course(session: Session, course_id: int) -> Course:
    return existing_row(session, Course, course_id, N_("This course does not exist (any more)."))


def row_exists(session: Session, query: Any) -> bool:
    """Whether a query finds a row (the friendly check; the unique constraints are the rule)."""
    return session.exec(query).first() is not None


def _is_enrolled(session: Session, actor: UserAccount, course_id: int) -> bool:
    if actor.participant_id is None:
        return False
    query = select(Enrollment.id).where(
        Enrollment.participant_id == actor.participant_id, Enrollment.course_id == course_id
    )
    return row_exists(session, query)


# ------------------------------------------------------------ participants and enrollment


def create_participant(
    *, session: Session, actor: UserAccount, participant_in: models.ParticipantCreate
) -> Participant:
    require_role(actor, STAFF)
    taken = Conflict(enrollment_writes.duplicate_email_message(participant_in.email))
    if row_exists(session, select(Participant.id).where(Participant.email == participant_in.email)):
        raise taken
    participant = enrollment_writes.add_participant(
        session, actor=actor, participant_in=participant_in, conflict=taken
    )
    flush_or_conflict(session, taken)
    session.refresh(participant)
    return participant


def enroll(
    *,
    session: Session,
    actor: UserAccount,
    participant_id: int,
    course_id: int,
    status: EnrollmentStatus = EnrollmentStatus.invited,
    enrolled_on: date | None = None,
) -> Enrollment:
    """Enroll a participant; every module of the course starts as not started."""
    require_role(actor, STAFF)
    enrollment_in = models.EnrollmentCreate(
        participant_id=participant_id,
        course_id=course_id,
        status=status,
        enrolled_on=enrolled_on or utcnow().date(),
    )
    course = existing_course(session, course_id)
    existing_row(session, Participant, participant_id, NO_PARTICIPANT)
    duplicate = select(Enrollment.id).where(
        Enrollment.participant_id == participant_id, Enrollment.course_id == course_id
    )
    if row_exists(session, duplicate):
        raise Conflict(enrollment_writes.already_enrolled_message(course.code))
    return enrollment_writes.add_enrollment(
        session, actor=actor, enrollment=Enrollment.model_validate(enrollment_in), course=course
    )


def enrollment_page(query: Any, *, limit: int, offset: int) -> Any:
    """One page of an enrollment list, in name order (the same order on every page)."""
    return (
        query.order_by(col(Participant.full_name), col(Enrollment.id))
        .limit(max(1, min(limit, MAX_PAGE_SIZE)))
        .offset(max(0, offset))
    )


class ProgressBand(StrEnum):
    """How far a participant is through a course's modules (completed / total)."""

    none = "none"
    under_half = "under_half"
    over_half = "over_half"
    all_done = "all_done"


PROGRESS_BAND_LABELS: dict[str, str] = {
    ProgressBand.none: N_("No module completed"),
    ProgressBand.under_half: N_("Less than half completed"),
    ProgressBand.over_half: N_("Half or more completed"),
    ProgressBand.all_done: N_("Every module completed"),
}
UNKNOWN_COUNTRY = "--"
"""Country filter value for participants whose country is not known yet."""


def band_label(band: str) -> str:
    return translated(PROGRESS_BAND_LABELS, band)


def _module_counts(course_id: int) -> tuple[Any, Any]:
    """(completed modules of the enrollment row, modules of the course) as scalar subqueries."""
    total_modules = (
        select(func.count(col(Module.id))).where(Module.course_id == course_id).scalar_subquery()
    )
    completed_modules = (
        select(func.count(col(ModuleProgress.id)))
        .join(Module, col(Module.id) == ModuleProgress.module_id)
        .where(
            ModuleProgress.enrollment_id == Enrollment.id,
            Module.course_id == course_id,
            col(ModuleProgress.state).in_(MODULE_DONE_STATES),
        )
        .scalar_subquery()
    )
    return completed_modules, total_modules


class EnrollmentFilters(TypedDict, total=False):
    """The enrollment list's filters, every one optional.

    `country` UNKNOWN_COUNTRY keeps the participants whose country is not known yet.
    """

    country: str | None
    status: EnrollmentStatus | str | None
    search: str | None
    progress_band: ProgressBand | str | None


def filtered_enrollments(
    query: Any, *, course_id: int, **filters: Unpack[EnrollmentFilters]
) -> Any:
    """A course's enrollments: `query` (columns of Enrollment and Participant) joined to
    Participant, with the enrollment list's filters as SQL conditions."""
    query = query.join(Participant, col(Participant.id) == Enrollment.participant_id).where(
        col(Enrollment.course_id) == course_id
    )
    country = filters.get("country")
    if country == UNKNOWN_COUNTRY:
        query = query.where(col(Participant.country).is_(None))
    elif country:
        query = query.where(col(Participant.country) == country.strip().upper())
    if status := filters.get("status"):
        query = query.where(col(Enrollment.status) == EnrollmentStatus(status))
    search = filters.get("search")
    if search and search.strip():
        term = search.strip().lower()
        query = query.where(
            or_(
                func.lower(Participant.full_name).contains(term, autoescape=True),
                func.lower(Participant.email).contains(term, autoescape=True),
                func.lower(func.coalesce(Participant.external_id, "")).contains(
                    term, autoescape=True
                ),
            )
        )
    if progress_band := filters.get("progress_band"):
        completed, total = _module_counts(course_id)
        band = ProgressBand(progress_band)
        if band == ProgressBand.none:
            query = query.where(completed == 0)
        elif band == ProgressBand.under_half:
            query = query.where(completed > 0, completed * 2 < total)
        elif band == ProgressBand.over_half:
            query = query.where(completed * 2 >= total, completed < total, completed > 0)
        else:
            query = query.where(total > 0, completed >= total)
    return query


def list_enrollments(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    limit: int = 200,
    offset: int = 0,
    **filters: Unpack[EnrollmentFilters],
) -> list[EnrollmentRow]:
    """A course's enrollments with each participant's completed / total modules."""
    require_role(actor, STAFF)
    existing_course(session, course_id)
    completed_modules, total_modules = _module_counts(course_id)
    query = sa.select(
        col(Enrollment.id),
        col(Participant.id),
        col(Participant.full_name),
        col(Participant.email),
        col(Participant.country),
        col(Participant.consular_post),
        col(Enrollment.status),
        col(Enrollment.enrolled_on),
        completed_modules,
        total_modules,
        col(Enrollment.final_grade),
        col(Enrollment.completed_on),
        col(Enrollment.withdrawn_on),
    )
    query = filtered_enrollments(query, course_id=course_id, **filters)
    query = enrollment_page(query, limit=limit, offset=offset)
    # The columns are the row's fields, in order (the status is stored as text).
    return [EnrollmentRow(*row) for row in session.exec(query).all()]  # type: ignore[call-overload]


def count_enrollments(
    *, session: Session, actor: UserAccount, course_id: int, **filters: Unpack[EnrollmentFilters]
) -> int:
    """How many enrollments the same filters match (SQL COUNT, for paging)."""
    require_role(actor, STAFF)
    existing_course(session, course_id)
    query = sa.select(func.count(col(Enrollment.id)))
    query = filtered_enrollments(query, course_id=course_id, **filters)
    return int(session.exec(query).one()[0])  # type: ignore[call-overload]


def enrollment_countries(*, session: Session, actor: UserAccount, course_id: int) -> list[str]:
    """The participants' countries in a course, for a filter (unknown country left out)."""
    require_role(actor, STAFF)
    query = (
        select(Participant.country)
        .join(Enrollment, col(Enrollment.participant_id) == Participant.id)
        .where(Enrollment.course_id == course_id, col(Participant.country).is_not(None))
        .distinct()
        .order_by(Participant.country)
    )
    return [country for country in session.exec(query).all() if country]


def my_enrollments(*, session: Session, actor: UserAccount) -> list[MyEnrollment]:
    """The signed-in person's own enrollments (through their linked participant)."""
    require_role(actor, tuple(Role))
    if actor.participant_id is None:
        return []
    query = (
        select(Enrollment, Course, Module, ModuleProgress)
        .join(Course, col(Course.id) == Enrollment.course_id)
        .outerjoin(Module, col(Module.course_id) == Course.id)
        .outerjoin(
            ModuleProgress,
            and_(
                col(ModuleProgress.enrollment_id) == Enrollment.id,
                col(ModuleProgress.module_id) == Module.id,
            ),
        )
        .where(Enrollment.participant_id == actor.participant_id)
        .order_by(
            col(Course.starts_on).is_(None),
            col(Course.starts_on).desc(),
            Course.code,
            col(Module.position),
            col(Module.id),
        )
    )
    enrollments: dict[int, MyEnrollment] = {}
    for enrollment, course, module, module_progress in session.exec(query).all():
        mine = enrollments.get(known_id(enrollment.id))
        if mine is None:
            mine = enrollments[known_id(enrollment.id)] = MyEnrollment(
                enrollment_id=known_id(enrollment.id),
                course_id=known_id(course.id),
                course_code=course.code,
                course_title=course.title,
                status=str(enrollment.status),
                final_grade=enrollment.final_grade,
            )
        if module is not None:
            mine.modules.append(
                MyModule(
                    module_id=known_id(module.id),
                    position=module.position,
                    title=module.title,
                    # A module added after enrolling has no progress row yet.
                    state=str(module_progress.state)
                    if module_progress
                    else ProgressState.not_started.value,
                    score=module_progress.score if module_progress else None,
                    due_on=module.due_on,
                    completed_on=module_progress.completed_on if module_progress else None,
                )
            )
    return list(enrollments.values())


def known_id(value: int | None) -> int:
    """The primary key of a row read from the database (never None there)."""
    assert value is not None
    return value
