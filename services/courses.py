"""Courses, modules, participants and enrollments: coordinators and admins manage them,
managers read the course list, and every signed-in person reads their own enrollments."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from pydantic import ValidationError
from pydantic_core import InitErrorDetails
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, and_, col, func, or_, select

from models import (
    Course,
    CourseCreate,
    Enrollment,
    EnrollmentCreate,
    Module,
    ModuleCreate,
    ModuleProgress,
    Participant,
    ParticipantCreate,
    UserAccount,
)
from models.base import utcnow
from models.enums import COMPLETED_STATES, EnrollmentStatus, ProgressState, Role
from services import audit
from services.access import DASHBOARD_READERS, STAFF, require_role
from services.errors import Conflict, NotFound, PermissionDenied
from services.i18n import _
from services.labels import country_name, label

# A module counts as done when completed or passed; a failed attempt does not.
MODULE_DONE_STATES: tuple[str, ...] = tuple(
    sorted(state.value for state in COMPLETED_STATES - {ProgressState.completed_fail})
)
MAX_PAGE_SIZE = 1000


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
    )
    if not include_archived:
        query = query.where(col(Course.archived_at).is_(None))
    query = query.order_by(
        col(Course.starts_on).is_(None), col(Course.starts_on).desc(), col(Course.code)
    )
    rows = session.exec(query).all()  # type: ignore[call-overload]
    return [CourseSummary(*row) for row in rows]


def get_course(*, session: Session, actor: UserAccount, course_id: int) -> Course:
    """One course, for staff and dashboard readers."""
    require_role(actor, DASHBOARD_READERS)
    return _course(session, course_id)


def create_course(
    *,
    session: Session,
    actor: UserAccount,
    course_in: CourseCreate,
    modules: Iterable[str] = (),
) -> Course:
    """A new course and its modules (titles in order; blank lines are skipped)."""
    require_role(actor, STAFF)
    titles = [title.strip() for title in modules if title and title.strip()]
    modules_in = _validate_modules(titles)
    if _exists(session, select(Course.id).where(Course.code == course_in.code)):
        raise Conflict(
            _("A course with the code {code} already exists.").format(code=course_in.code)
        )
    course = Course.model_validate(
        course_in, update={"languages": [str(language) for language in course_in.languages]}
    )
    try:
        session.add(course)
        session.flush()
        for module_in in modules_in:
            session.add(Module.model_validate(module_in, update={"course_id": course.id}))
        audit.record(
            session,
            actor=actor,
            action="course_created",
            entity="course",
            entity_id=course.id,
            changes=audit.diff(
                {},
                {
                    "code": course.code,
                    "title": course.title,
                    "organiser": course.organiser,
                    "starts_on": course.starts_on,
                    "ends_on": course.ends_on,
                    "modules": titles,
                },
            ),
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            _("A course with the code {code} already exists.").format(code=course_in.code)
        ) from None
    session.refresh(course)
    return course


def _validate_modules(titles: Sequence[str]) -> list[ModuleCreate]:
    """ModuleCreate per title; errors are reported as ("modules", line index)."""
    seen: set[str] = set()
    for title in titles:
        if title.casefold() in seen:
            raise Conflict(
                _("The module “{title}” is listed twice; module titles must differ.").format(
                    title=title
                )
            )
        seen.add(title.casefold())
    validated: list[ModuleCreate] = []
    line_errors: list[InitErrorDetails] = []
    for index, title in enumerate(titles):
        try:
            # course_id is set once the course exists; 0 only stands in for validation.
            validated.append(ModuleCreate(position=index + 1, title=title, course_id=0))
        except ValidationError as error:
            for detail in error.errors():
                line_error: InitErrorDetails = {
                    "type": detail["type"],  # type: ignore[typeddict-item]
                    "loc": ("modules", index),
                    "input": detail["input"],
                }
                if "ctx" in detail:
                    line_error["ctx"] = detail["ctx"]
                line_errors.append(line_error)
    if line_errors:
        raise ValidationError.from_exception_data("CourseCreate", line_errors)
    return validated


def list_modules(*, session: Session, actor: UserAccount, course_id: int) -> list[Module]:
    """A course's modules in order. Officers only for a course they are enrolled in."""
    require_role(actor, tuple(Role))
    _course(session, course_id)
    if actor.role not in DASHBOARD_READERS and not _is_enrolled(session, actor, course_id):
        raise PermissionDenied(_("You are not enrolled in this course."))
    query = (
        select(Module)
        .where(Module.course_id == course_id)
        .order_by(col(Module.position), col(Module.id))
    )
    return list(session.exec(query).all())


def _course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(_("This course does not exist (any more)."))
    return course


def _exists(session: Session, query: Any) -> bool:
    """Whether a query finds a row (the friendly check; the unique constraints are the rule)."""
    return session.exec(query).first() is not None


def _is_enrolled(session: Session, actor: UserAccount, course_id: int) -> bool:
    if actor.participant_id is None:
        return False
    query = select(Enrollment.id).where(
        Enrollment.participant_id == actor.participant_id, Enrollment.course_id == course_id
    )
    return _exists(session, query)


# ------------------------------------------------------------ participants and enrollment


def create_participant(
    *, session: Session, actor: UserAccount, participant_in: ParticipantCreate
) -> Participant:
    require_role(actor, STAFF)
    if _exists(session, select(Participant.id).where(Participant.email == participant_in.email)):
        raise Conflict(_duplicate_email(participant_in.email))
    participant = Participant.model_validate(participant_in)
    try:
        session.add(participant)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action="participant_created",
            entity="participant",
            entity_id=participant.id,
            changes=audit.diff({}, {"email": participant.email, "country": participant.country}),
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(_duplicate_email(participant_in.email)) from None
    session.refresh(participant)
    return participant


def _duplicate_email(email: str) -> str:
    return _("A participant with the email {email} already exists.").format(email=email)


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
    enrollment_in = EnrollmentCreate(
        participant_id=participant_id,
        course_id=course_id,
        status=status,
        enrolled_on=enrolled_on or utcnow().date(),
    )
    course = _course(session, course_id)
    if session.get(Participant, participant_id) is None:
        raise NotFound(_("This participant does not exist (any more)."))
    duplicate = select(Enrollment.id).where(
        Enrollment.participant_id == participant_id, Enrollment.course_id == course_id
    )
    if _exists(session, duplicate):
        raise Conflict(_already_enrolled(course.code))
    enrollment = Enrollment.model_validate(enrollment_in)
    try:
        session.add(enrollment)
        session.flush()
        module_ids = session.exec(select(Module.id).where(Module.course_id == course_id)).all()
        session.add_all(
            ModuleProgress(enrollment_id=enrollment.id, module_id=module_id)  # type: ignore[arg-type]
            for module_id in module_ids
        )
        audit.record(
            session,
            actor=actor,
            action="enrollment_created",
            entity="enrollment",
            entity_id=enrollment.id,
            changes=audit.diff(
                {},
                {
                    "participant_id": participant_id,
                    "course_id": course_id,
                    "status": str(enrollment.status),
                },
            ),
        )
        session.commit()
    except IntegrityError:
        session.rollback()
        raise Conflict(_already_enrolled(course.code)) from None
    session.refresh(enrollment)
    return enrollment


def _already_enrolled(course_code: str) -> str:
    return _("This participant is already enrolled in {code}.").format(code=course_code)


def list_enrollments(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    country: str | None = None,
    status: EnrollmentStatus | str | None = None,
    search: str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[EnrollmentRow]:
    """A course's enrollments with each participant's completed / total modules."""
    require_role(actor, STAFF)
    _course(session, course_id)
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
    query = (
        sa.select(
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
        )
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(col(Enrollment.course_id) == course_id)
    )
    if country:
        query = query.where(col(Participant.country) == country.strip().upper())
    if status:
        query = query.where(col(Enrollment.status) == EnrollmentStatus(status))
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
    limit = max(1, min(limit, MAX_PAGE_SIZE))
    query = (
        query.order_by(col(Participant.full_name), col(Enrollment.id))
        .limit(limit)
        .offset(max(0, offset))
    )
    return [
        EnrollmentRow(
            enrollment_id=row[0],
            participant_id=row[1],
            full_name=row[2],
            email=row[3],
            country=row[4],
            consular_post=row[5],
            status=str(row[6]),
            enrolled_on=row[7],
            completed_modules=row[8],
            total_modules=row[9],
            final_grade=row[10],
        )
        for row in session.exec(query).all()  # type: ignore[call-overload]
    ]


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
        mine = enrollments.get(_id(enrollment.id))
        if mine is None:
            mine = enrollments[_id(enrollment.id)] = MyEnrollment(
                enrollment_id=_id(enrollment.id),
                course_id=_id(course.id),
                course_code=course.code,
                course_title=course.title,
                status=str(enrollment.status),
                final_grade=enrollment.final_grade,
            )
        if module is not None:
            mine.modules.append(
                MyModule(
                    module_id=_id(module.id),
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


def _id(value: int | None) -> int:
    """The primary key of a row read from the database (never None there)."""
    assert value is not None
    return value


# ------------------------------------------------------------------ tables for the pages


def courses_table(courses: Sequence[CourseSummary]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Code"): [course.code for course in courses],
            _("Title"): [course.title for course in courses],
            _("Organiser"): [course.organiser for course in courses],
            _("Starts on"): [course.starts_on for course in courses],
            _("Ends on"): [course.ends_on for course in courses],
            _("Modules"): [course.modules for course in courses],
            _("Enrolled"): [course.enrolled for course in courses],
            _("Completed"): [course.completed for course in courses],
        }
    )


def modules_table(modules: Sequence[Module]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Position"): [module.position for module in modules],
            _("Module"): [module.title for module in modules],
            _("Required"): [module.is_required for module in modules],
            _("Due on"): [module.due_on for module in modules],
        }
    )


def enrollments_table(rows: Sequence[EnrollmentRow]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Participant"): [row.full_name for row in rows],
            _("Email"): [row.email for row in rows],
            _("Country"): [country_name(row.country) or label(None) for row in rows],
            _("Consular post"): [row.consular_post for row in rows],
            _("Status"): [label(row.status) for row in rows],
            _("Modules completed"): [
                f"{row.completed_modules} / {row.total_modules}" for row in rows
            ],
            _("Final grade"): [row.final_grade for row in rows],
        }
    )


def my_modules_table(enrollment: MyEnrollment) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Position"): [module.position for module in enrollment.modules],
            _("Module"): [module.title for module in enrollment.modules],
            _("State"): [label(module.state) for module in enrollment.modules],
            _("Score"): [module.score for module in enrollment.modules],
            _("Due on"): [module.due_on for module in enrollment.modules],
        }
    )
