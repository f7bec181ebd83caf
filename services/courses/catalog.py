"""Courses, modules, participants and enrollments: coordinators and admins manage them,
managers read the course list, and every signed-in person reads their own enrollments."""

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
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
    CourseUpdate,
    Enrollment,
    EnrollmentCreate,
    Module,
    ModuleCreate,
    ModuleProgress,
    Participant,
    ParticipantCreate,
    ParticipantUpdate,
    UserAccount,
)
from models.base import utcnow
from models.enums import COMPLETED_STATES, EnrollmentStatus, ProgressState, Role
from services.platform import audit
from services.platform.access import DASHBOARD_READERS, STAFF, require_role
from services.platform.errors import Conflict, NotFound, PermissionDenied, StaleVersion
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label

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
    return [
        CourseSummary(
            id=row[0],
            code=row[1],
            title=row[2],
            organiser=row[3],
            starts_on=row[4],
            ends_on=row[5],
            modules=row[6],
            enrolled=row[7],
            completed=row[8],
            archived=bool(row[9]),
        )
        for row in rows
    ]


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
        raise Conflict(N_("A course with the code {code} already exists."), code=course_in.code)
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
            action=audit.AuditAction.course_created,
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
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            N_("A course with the code {code} already exists."), code=course_in.code
        ) from None
    session.refresh(course)
    return course


def _validate_modules(titles: Sequence[str]) -> list[ModuleCreate]:
    """ModuleCreate per title; errors are reported as ("modules", line index)."""
    seen: set[str] = set()
    for title in titles:
        if title.casefold() in seen:
            raise Conflict(
                N_("The module “{title}” is listed twice; module titles must differ."), title=title
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
        raise PermissionDenied(N_("You are not enrolled in this course."))
    query = (
        select(Module)
        .where(Module.course_id == course_id)
        .order_by(col(Module.position), col(Module.id))
    )
    return list(session.exec(query).all())


def _course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(N_("This course does not exist (any more)."))
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
            action=audit.AuditAction.participant_created,
            entity="participant",
            entity_id=participant.id,
            changes=audit.diff({}, {"email": participant.email, "country": participant.country}),
        )
        session.flush()
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
        raise NotFound(N_("This participant does not exist (any more)."))
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
            action=audit.AuditAction.enrollment_created,
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
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(_already_enrolled(course.code)) from None
    session.refresh(enrollment)
    return enrollment


def _enrollment_page(query: Any, *, limit: int, offset: int) -> Any:
    """One page of an enrollment list, in name order (the same order on every page)."""
    return (
        query.order_by(col(Participant.full_name), col(Enrollment.id))
        .limit(max(1, min(limit, MAX_PAGE_SIZE)))
        .offset(max(0, offset))
    )


def _already_enrolled(course_code: str) -> str:
    return _("This participant is already enrolled in {code}.").format(code=course_code)


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
    text = PROGRESS_BAND_LABELS.get(band)
    return _(text) if text else band


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


def _filter_enrollments(
    query: Any,
    *,
    course_id: int,
    country: str | None,
    status: EnrollmentStatus | str | None,
    search: str | None,
    progress_band: ProgressBand | str | None,
) -> Any:
    """The enrollment list's filters, as SQL conditions on a query joined to Participant."""
    query = query.where(col(Enrollment.course_id) == course_id)
    if country == UNKNOWN_COUNTRY:
        query = query.where(col(Participant.country).is_(None))
    elif country:
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
    if progress_band:
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
    country: str | None = None,
    status: EnrollmentStatus | str | None = None,
    search: str | None = None,
    progress_band: ProgressBand | str | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[EnrollmentRow]:
    """A course's enrollments with each participant's completed / total modules.

    `country` UNKNOWN_COUNTRY lists the participants whose country is not known yet.
    """
    require_role(actor, STAFF)
    _course(session, course_id)
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
    ).join(Participant, col(Participant.id) == Enrollment.participant_id)
    query = _filter_enrollments(
        query,
        course_id=course_id,
        country=country,
        status=status,
        search=search,
        progress_band=progress_band,
    )
    query = _enrollment_page(query, limit=limit, offset=offset)
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
            completed_on=row[11],
            withdrawn_on=row[12],
        )
        for row in session.exec(query).all()  # type: ignore[call-overload]
    ]


def count_enrollments(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    country: str | None = None,
    status: EnrollmentStatus | str | None = None,
    search: str | None = None,
    progress_band: ProgressBand | str | None = None,
) -> int:
    """How many enrollments the same filters match (SQL COUNT, for paging)."""
    require_role(actor, STAFF)
    _course(session, course_id)
    query = sa.select(func.count(col(Enrollment.id))).join(
        Participant, col(Participant.id) == Enrollment.participant_id
    )
    query = _filter_enrollments(
        query,
        course_id=course_id,
        country=country,
        status=status,
        search=search,
        progress_band=progress_band,
    )
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


# ------------------------------------------------------------- editing courses and modules


def update_course(
    *, session: Session, actor: UserAccount, course_id: int, course_in: CourseUpdate
) -> Course:
    """Change a course's title, description, organiser, dates or languages."""
    require_role(actor, STAFF)
    course = _course(session, course_id)
    changes = course_in.model_dump(exclude_unset=True)
    if "languages" in changes and changes["languages"] is not None:
        changes["languages"] = [str(language) for language in changes["languages"]]
    starts_on = changes.get("starts_on", course.starts_on)
    ends_on = changes.get("ends_on", course.ends_on)
    if starts_on and ends_on and ends_on < starts_on:
        raise Conflict(N_("The end date is before the start date."))
    before = {name: getattr(course, name) for name in changes}
    course.sqlmodel_update(changes)
    after = {name: getattr(course, name) for name in changes}
    recorded = audit.diff(before, after)
    if recorded:
        session.add(course)
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.course_updated,
            entity="course",
            entity_id=course.id,
            changes=recorded,
        )
        session.flush()
        session.refresh(course)
    return course


def archive_course(
    *, session: Session, actor: UserAccount, course_id: int, archived: bool = True
) -> Course:
    """Archive a course (it leaves the lists and dashboards) or bring it back."""
    require_role(actor, STAFF)
    course = _course(session, course_id)
    if (course.archived_at is not None) == archived:
        return course
    before = course.archived_at
    course.archived_at = utcnow() if archived else None
    session.add(course)
    audit.record(
        session,
        actor=actor,
        action=(
            audit.AuditAction.course_archived if archived else audit.AuditAction.course_restored
        ),
        entity="course",
        entity_id=course.id,
        changes=audit.diff({"archived_at": before}, {"archived_at": course.archived_at}),
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
    _course(session, course_id)
    existing = {
        _id(module.id): module
        for module in session.exec(select(Module).where(Module.course_id == course_id)).all()
    }
    line_errors: list[InitErrorDetails] = []
    validated: list[tuple[ModuleRow, ModuleCreate]] = []
    for index, row in enumerate(rows):
        if row.id is not None and row.id not in existing:
            raise NotFound(N_("This module does not exist (any more)."))
        try:
            module_in = ModuleCreate(
                position=row.position,
                title=row.title,
                is_required=row.is_required,
                due_on=row.due_on,
                course_id=course_id,
            )
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
            raise Conflict(
                N_("The module “{title}” is listed twice; module titles must differ."),
                title=module_in.title,
            )
        titles[key] = row.id
    saved: list[Module] = []
    for row, module_in in validated:
        values = module_in.model_dump(exclude={"course_id"})
        if row.id is None:
            module = Module.model_validate(module_in)
            session.add(module)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action=audit.AuditAction.module_created,
                entity="module",
                entity_id=module.id,
                changes=audit.diff({}, {**values, "course_id": course_id}),
            )
        else:
            module = existing[row.id]
            before = {name: getattr(module, name) for name in values}
            recorded = audit.diff(before, values)
            if not recorded:
                continue
            module.sqlmodel_update(values)
            session.add(module)
            audit.record(
                session,
                actor=actor,
                action=audit.AuditAction.module_updated,
                entity="module",
                entity_id=module.id,
                changes=recorded,
            )
        saved.append(module)
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            N_("Someone changed these modules meanwhile: reload and try again.")
        ) from None
    return saved


# ------------------------------------------------------- participants: add, correct, status


def add_participant_to_course(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    participant_in: ParticipantCreate,
    status: EnrollmentStatus = EnrollmentStatus.invited,
    enrolled_on: date | None = None,
) -> Enrollment:
    """Enroll a person by email: the participant is created when new. One transaction."""
    require_role(actor, STAFF)
    course = _course(session, course_id)
    participant = session.exec(
        select(Participant).where(Participant.email == participant_in.email)
    ).first()
    if participant is not None:
        duplicate = select(Enrollment.id).where(
            Enrollment.participant_id == participant.id, Enrollment.course_id == course_id
        )
        if _exists(session, duplicate):
            raise Conflict(_already_enrolled(course.code))
    enrollment_in = EnrollmentCreate(
        participant_id=participant.id if participant and participant.id else 0,
        course_id=course_id,
        status=status,
        enrolled_on=enrolled_on or utcnow().date(),
    )
    try:
        if participant is None:
            participant = Participant.model_validate(participant_in)
            session.add(participant)
            session.flush()
            audit.record(
                session,
                actor=actor,
                action=audit.AuditAction.participant_created,
                entity="participant",
                entity_id=participant.id,
                changes=audit.diff(
                    {}, {"email": participant.email, "country": participant.country}
                ),
            )
        enrollment = Enrollment.model_validate(
            enrollment_in, update={"participant_id": participant.id}
        )
        session.add(enrollment)
        session.flush()
        _start_modules(session, _id(enrollment.id), course_id)
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.enrollment_created,
            entity="enrollment",
            entity_id=enrollment.id,
            changes=audit.diff(
                {},
                {
                    "participant_id": participant.id,
                    "course_id": course_id,
                    "status": str(enrollment.status),
                },
            ),
        )
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(_already_enrolled(course.code)) from None
    session.refresh(enrollment)
    return enrollment


def _start_modules(session: Session, enrollment_id: int, course_id: int) -> None:
    module_ids = session.exec(select(Module.id).where(Module.course_id == course_id)).all()
    session.add_all(
        ModuleProgress(enrollment_id=enrollment_id, module_id=module_id)  # type: ignore[arg-type]
        for module_id in module_ids
    )


def get_participant(*, session: Session, actor: UserAccount, participant_id: int) -> Participant:
    require_role(actor, STAFF)
    participant = session.get(Participant, participant_id)
    if participant is None:
        raise NotFound(N_("This participant does not exist (any more)."))
    return participant


def update_participant(
    *,
    session: Session,
    actor: UserAccount,
    participant_id: int,
    participant_in: ParticipantUpdate,
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
        if _exists(session, taken):
            raise Conflict(_duplicate_email(changes["email"]))
    before = {name: getattr(participant, name) for name in changes}
    recorded = audit.diff(before, changes)
    if not recorded:
        return participant
    participant.sqlmodel_update(changes)
    session.add(participant)
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.participant_updated,
        entity="participant",
        entity_id=participant.id,
        changes=recorded,
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(_duplicate_email(str(changes.get("email", "")))) from None
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
    enrollment = session.get(Enrollment, enrollment_id)
    if enrollment is None:
        raise NotFound(N_("This enrollment does not exist (any more)."))
    return enrollment


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
    changes = audit.diff(before, after)
    session.add(enrollment)
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.enrollment_status_changed,
        entity="enrollment",
        entity_id=enrollment.id,
        changes=changes,
    )
    session.flush()
    session.refresh(enrollment)
    return enrollment


# ------------------------------------------------------------------- module progress grid


@dataclass(frozen=True)
class GridRow:
    enrollment_id: int
    full_name: str
    email: str
    country: str | None
    status: str
    final_grade: float | None
    states: dict[int, str]
    """Module id → progress state (not_started for a module added after enrolling)."""


@dataclass(frozen=True)
class ProgressGrid:
    modules: list[Module]
    rows: list[GridRow]
    token: str
    """Opaque version of the rows shown: saving with an older token is refused."""

    @property
    def enrollment_ids(self) -> list[int]:
        return [row.enrollment_id for row in self.rows]


def _grid_token(session: Session, enrollment_ids: Sequence[int]) -> str:
    """Latest update and row counts of these enrollments and their progress, in SQL."""
    if not enrollment_ids:
        return "empty"
    enrollments = session.exec(
        sa.select(func.max(Enrollment.updated_at), func.count(col(Enrollment.id))).where(  # type: ignore[call-overload]
            col(Enrollment.id).in_(enrollment_ids)
        )
    ).one()
    progress = session.exec(
        sa.select(  # type: ignore[call-overload]
            func.max(ModuleProgress.updated_at), func.count(col(ModuleProgress.id))
        ).where(col(ModuleProgress.enrollment_id).in_(enrollment_ids))
    ).one()
    return "|".join(str(value) for value in (*enrollments, *progress))


def progress_grid(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    country: str | None = None,
    status: EnrollmentStatus | str | None = None,
    search: str | None = None,
    progress_band: ProgressBand | str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> ProgressGrid:
    """One page of a course's enrollments × modules, with the token that guards saving."""
    require_role(actor, STAFF)
    _course(session, course_id)
    modules = list(
        session.exec(
            select(Module)
            .where(Module.course_id == course_id)
            .order_by(col(Module.position), col(Module.id))
        ).all()
    )
    query = sa.select(
        col(Enrollment.id),
        col(Participant.full_name),
        col(Participant.email),
        col(Participant.country),
        col(Enrollment.status),
        col(Enrollment.final_grade),
    ).join(Participant, col(Participant.id) == Enrollment.participant_id)
    query = _filter_enrollments(
        query,
        course_id=course_id,
        country=country,
        status=status,
        search=search,
        progress_band=progress_band,
    )
    query = _enrollment_page(query, limit=limit, offset=offset)
    page = session.exec(query).all()  # type: ignore[call-overload]
    enrollment_ids = [row[0] for row in page]
    states: dict[int, dict[int, str]] = {enrollment_id: {} for enrollment_id in enrollment_ids}
    if enrollment_ids:
        progress_rows = session.exec(
            select(
                ModuleProgress.enrollment_id, ModuleProgress.module_id, ModuleProgress.state
            ).where(col(ModuleProgress.enrollment_id).in_(enrollment_ids))
        ).all()
        for enrollment_id, module_id, state in progress_rows:
            states[enrollment_id][module_id] = str(state)
    rows = [
        GridRow(
            enrollment_id=row[0],
            full_name=row[1],
            email=row[2],
            country=row[3],
            status=str(row[4]),
            final_grade=row[5],
            states={
                _id(module.id): states[row[0]].get(_id(module.id), ProgressState.not_started.value)
                for module in modules
            },
        )
        for row in page
    ]
    return ProgressGrid(modules=modules, rows=rows, token=_grid_token(session, enrollment_ids))


def save_progress(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    token: str,
    enrollment_ids: Sequence[int],
    states: dict[tuple[int, int], ProgressState | str] | None = None,
    final_grades: dict[int, float | None] | None = None,
) -> int:
    """Save edited grid cells in one transaction; returns how many values changed.

    `states` maps (enrollment id, module id) to the new state, `final_grades` an
    enrollment id to its final grade. When the rows shown (`enrollment_ids`, `token` from
    `progress_grid`) changed since, StaleVersion: nothing is written.
    """
    require_role(actor, STAFF)
    _course(session, course_id)
    states = states or {}
    final_grades = final_grades or {}
    shown = set(enrollment_ids)
    if any(key[0] not in shown for key in states) or any(key not in shown for key in final_grades):
        raise Conflict(N_("Only the rows shown in the grid can be saved."))
    if _grid_token(session, list(enrollment_ids)) != token:
        raise StaleVersion(
            N_(
                "Someone saved progress for these participants after you opened the grid; "
                "nothing was overwritten. Reload the grid and enter your changes again."
            )
        )
    for grade in final_grades.values():
        if grade is not None and not 0 <= grade <= 100:
            raise Conflict(N_("A final grade must be between 0 and 100."))
    enrollments = {
        _id(enrollment.id): enrollment
        for enrollment in session.exec(
            select(Enrollment).where(
                col(Enrollment.id).in_(list(shown)), Enrollment.course_id == course_id
            )
        ).all()
    }
    if set(enrollments) != shown:
        raise NotFound(N_("An enrollment of this grid does not exist (any more)."))
    module_ids = set(session.exec(select(Module.id).where(Module.course_id == course_id)).all())
    if any(module_id not in module_ids for _enrollment, module_id in states):
        raise NotFound(N_("A module of this grid does not exist (any more)."))
    existing = {
        (progress.enrollment_id, progress.module_id): progress
        for progress in session.exec(
            select(ModuleProgress).where(col(ModuleProgress.enrollment_id).in_(list(shown)))
        ).all()
    }
    now = utcnow()
    changed = 0
    for (enrollment_id, module_id), new_state in states.items():
        state = ProgressState(new_state)
        progress = existing.get((enrollment_id, module_id))
        before: dict[str, Any]
        if progress is None:
            progress = ModuleProgress(enrollment_id=enrollment_id, module_id=module_id)
            before = {"state": None, "completed_on": None}
        else:
            before = {"state": str(progress.state), "completed_on": progress.completed_on}
            if str(progress.state) == state.value:
                continue
        progress.state = state
        if state in COMPLETED_STATES:
            progress.completed_on = progress.completed_on or now.date()
        else:
            progress.completed_on = None
        progress.source = "manual"
        progress.updated_at = now
        session.add(progress)
        session.flush()
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.progress_updated,
            entity="module_progress",
            entity_id=progress.id,
            changes={
                "enrollment_id": [enrollment_id, enrollment_id],
                "module_id": [module_id, module_id],
                **audit.diff(before, {"state": state.value, "completed_on": progress.completed_on}),
            },
        )
        changed += 1
    for enrollment_id, grade in final_grades.items():
        enrollment = enrollments[enrollment_id]
        if enrollment.final_grade == grade:
            continue
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.enrollment_updated,
            entity="enrollment",
            entity_id=enrollment_id,
            changes=audit.diff({"final_grade": enrollment.final_grade}, {"final_grade": grade}),
        )
        enrollment.final_grade = grade
        enrollment.updated_at = now
        session.add(enrollment)
        changed += 1
    session.flush()
    return changed


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
            _("Archived"): [course.archived for course in courses],
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
            _("Since"): [row.status_since for row in rows],
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
            _("Completed on"): [module.completed_on for module in enrollment.modules],
        }
    )


GRID_PARTICIPANT = "participant"
GRID_COUNTRY = "country"
GRID_STATUS = "status"
GRID_FINAL_GRADE = "final_grade"


def module_column(module_id: int) -> str:
    """The progress grid's column of one module (titles are shown as column labels)."""
    return f"module_{module_id}"


def progress_grid_frame(grid: ProgressGrid) -> pd.DataFrame:
    """The grid for an editor: one row per enrollment (index), a state label per module."""
    data: dict[str, list[Any]] = {
        GRID_PARTICIPANT: [row.full_name for row in grid.rows],
        GRID_COUNTRY: [country_name(row.country) or _("Unknown") for row in grid.rows],
        GRID_STATUS: [label(row.status) for row in grid.rows],
    }
    for module in grid.modules:
        data[module_column(_id(module.id))] = [
            label(row.states[_id(module.id)]) for row in grid.rows
        ]
    data[GRID_FINAL_GRADE] = [row.final_grade for row in grid.rows]
    return pd.DataFrame(data, index=pd.Index(grid.enrollment_ids, name="enrollment_id"))


def progress_state_labels() -> list[str]:
    return [label(state) for state in ProgressState]


def grid_edits(
    grid: ProgressGrid, frame: pd.DataFrame
) -> tuple[dict[tuple[int, int], ProgressState], dict[int, float | None]]:
    """The cells of an edited grid frame that differ from the grid: (states, final grades)."""
    by_label = {label(state): state for state in ProgressState}
    states: dict[tuple[int, int], ProgressState] = {}
    grades: dict[int, float | None] = {}
    for row in grid.rows:
        if row.enrollment_id not in frame.index:
            continue
        edited = frame.loc[row.enrollment_id]
        for module in grid.modules:
            module_id = _id(module.id)
            new = by_label.get(str(edited[module_column(module_id)]))
            if new is not None and new.value != row.states[module_id]:
                states[(row.enrollment_id, module_id)] = new
        grade = edited[GRID_FINAL_GRADE]
        grade = None if grade is None or pd.isna(grade) else float(grade)
        if grade != row.final_grade:
            grades[row.enrollment_id] = grade
    return states, grades


def modules_editor_frame(modules: Sequence[Module]) -> pd.DataFrame:
    """A course's modules for the modules editor (the id column stays hidden)."""
    return pd.DataFrame(
        {
            "id": pd.array([module.id for module in modules], dtype="Int64"),
            "position": pd.array([module.position for module in modules], dtype="Int64"),
            "title": [module.title for module in modules],
            "is_required": [module.is_required for module in modules],
            "due_on": pd.Series([module.due_on for module in modules], dtype="object"),
        }
    )


def module_rows(frame: pd.DataFrame) -> list[ModuleRow]:
    """The modules editor's lines; a line without an id is a new module."""
    rows: list[ModuleRow] = []
    for index, record in enumerate(frame.to_dict("records")):
        module_id = record.get("id")
        position = record.get("position")
        due_on = record.get("due_on")
        if isinstance(due_on, datetime):
            due_on = due_on.date()
        rows.append(
            ModuleRow(
                id=None if module_id is None or pd.isna(module_id) else int(module_id),
                position=index + 1 if position is None or pd.isna(position) else int(position),
                title=str(record.get("title") or "").strip(),
                is_required=bool(record.get("is_required", True))
                if record.get("is_required") is not None
                else True,
                due_on=None if due_on is None or pd.isna(due_on) else due_on,
            )
        )
    return rows
