"""Courses, their modules, the participants and their progress."""

from datetime import date, datetime

import sqlalchemy as sa
from pydantic import model_validator
from sqlmodel import Field, SQLModel

from models.base import CODE, utcnow
from models.enums import EnrollmentStatus, Gender, Language, ProgressState
from models.types import N_, CountryCode, Email, Text


class CourseBase(SQLModel):
    code: Text = Field(
        min_length=2, max_length=40, schema_extra={"pattern": r"^[A-Za-z0-9][A-Za-z0-9_.-]*$"}
    )
    title: Text = Field(min_length=3, max_length=300)
    description: Text = Field(default="", max_length=4000)
    organiser: Text = Field(default="", max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None
    languages: list[Language] = Field(default_factory=list, sa_type=sa.JSON)


def _check_dates(start: date | None, end: date | None) -> None:
    if start and end and end < start:
        raise ValueError(N_("the end date is before the start date"))


class CourseCreate(CourseBase):
    @model_validator(mode="after")
    def _dates(self) -> "CourseCreate":
        _check_dates(self.starts_on, self.ends_on)
        return self


class CourseUpdate(SQLModel):
    title: Text | None = Field(default=None, min_length=3, max_length=300)
    description: Text | None = Field(default=None, max_length=4000)
    organiser: Text | None = Field(default=None, max_length=200)
    starts_on: date | None = None
    ends_on: date | None = None
    languages: list[Language] | None = None

    @model_validator(mode="after")
    def _dates(self) -> "CourseUpdate":
        _check_dates(self.starts_on, self.ends_on)
        return self


class Course(CourseBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=40, sa_column_kwargs={"unique": True})
    archived_at: datetime | None = None
    created_at: datetime = Field(default_factory=utcnow)


class ModuleBase(SQLModel):
    position: int = Field(ge=1, le=999)
    title: Text = Field(min_length=2, max_length=300)
    is_required: bool = True
    due_on: date | None = None


class ModuleCreate(ModuleBase):
    course_id: int


class Module(ModuleBase, table=True):
    __table_args__ = (
        sa.UniqueConstraint("course_id", "title"),
        sa.Index("ix_module_course_position", "course_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    course_id: int = Field(foreign_key="course.id", ondelete="CASCADE")


class ParticipantBase(SQLModel):
    full_name: Text = Field(min_length=2, max_length=200)
    email: Email = Field(max_length=254)
    country: CountryCode | None = Field(default=None, max_length=2)
    consular_post: Text = Field(default="", max_length=120)
    institution: Text = Field(default="", max_length=200)
    position: Text = Field(default="", max_length=200)
    gender: Gender | None = Field(default=None, sa_type=CODE)
    language: Language | None = Field(default=None, sa_type=CODE)
    external_id: Text | None = Field(default=None, max_length=100)


class ParticipantCreate(ParticipantBase):
    pass


class ParticipantUpdate(SQLModel):
    full_name: Text | None = Field(default=None, min_length=2, max_length=200)
    email: Email | None = None
    country: CountryCode | None = None
    consular_post: Text | None = Field(default=None, max_length=120)
    institution: Text | None = Field(default=None, max_length=200)
    position: Text | None = Field(default=None, max_length=200)
    gender: Gender | None = None
    language: Language | None = None
    external_id: Text | None = Field(default=None, max_length=100)


class Participant(ParticipantBase, table=True):
    id: int | None = Field(default=None, primary_key=True)
    email: str = Field(max_length=254, sa_column_kwargs={"unique": True})
    # Unknown country (a Moodle file without one) is NULL until someone completes it.
    country: str | None = Field(default=None, max_length=2, index=True)
    external_id: str | None = Field(default=None, max_length=100, index=True)


class EnrollmentBase(SQLModel):
    status: EnrollmentStatus = Field(default=EnrollmentStatus.invited, sa_type=CODE)
    enrolled_on: date | None = None
    completed_on: date | None = None
    withdrawn_on: date | None = None
    final_grade: float | None = Field(default=None, ge=0, le=100)


class EnrollmentCreate(EnrollmentBase):
    participant_id: int
    course_id: int

    @model_validator(mode="after")
    def _completed_has_date(self) -> "EnrollmentCreate":
        if self.completed_on and self.status != EnrollmentStatus.completed:
            raise ValueError(N_("only a completed enrollment has a completion date"))
        if self.withdrawn_on and self.status != EnrollmentStatus.withdrawn:
            raise ValueError(N_("only a withdrawn enrollment has a withdrawal date"))
        return self


class Enrollment(EnrollmentBase, table=True):
    __table_args__ = (
        sa.UniqueConstraint("participant_id", "course_id"),
        sa.Index("ix_enrollment_course_status", "course_id", "status"),
    )

    id: int | None = Field(default=None, primary_key=True)
    participant_id: int = Field(foreign_key="participant.id", ondelete="CASCADE")
    course_id: int = Field(foreign_key="course.id", ondelete="CASCADE", index=True)
    updated_at: datetime = Field(default_factory=utcnow)


class ModuleProgressBase(SQLModel):
    state: ProgressState = Field(default=ProgressState.not_started, sa_type=CODE)
    score: float | None = Field(default=None, ge=0, le=100)
    completed_on: date | None = None
    source: str = Field(default="manual", max_length=200)


class ModuleProgressCreate(ModuleProgressBase):
    enrollment_id: int
    module_id: int


class ModuleProgress(ModuleProgressBase, table=True):
    __tablename__ = "module_progress"
    __table_args__ = (
        sa.UniqueConstraint("enrollment_id", "module_id"),
        sa.Index("ix_module_progress_module_state", "module_id", "state"),
    )

    id: int | None = Field(default=None, primary_key=True)
    enrollment_id: int = Field(foreign_key="enrollment.id", ondelete="CASCADE")
    module_id: int = Field(foreign_key="module.id", ondelete="CASCADE")
    updated_at: datetime = Field(default_factory=utcnow)
