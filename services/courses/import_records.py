"""What parsing an import file gives: its format, and per accepted row a participant or a
participant's progress; the rejected rows with their reasons."""

from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum

from models import ParticipantCreate
from models.enums import EnrollmentStatus, ProgressState
from services.courses.import_table import Rejection, Table
from services.platform.labels import label


class ImportFormat(StrEnum):
    """The files an import reads; the audit trail records the format of each import."""

    participants = "participants"
    moodle_users = "moodle_users"
    moodle_grades = "moodle_grades"
    moodle_completion = "moodle_completion"


def format_label(import_format: str) -> str:
    """The format in words (platform.labels.LABELS), in the reader's language."""
    return label(import_format)


@dataclass
class ParticipantRecord:
    """One row of a participants file, validated; `provided` lists the non-blank fields."""

    row: int
    participant: ParticipantCreate
    provided: set[str]
    status: EnrollmentStatus | None = None
    enrolled_on: date | None = None
    completed_on: date | None = None
    final_grade: float | None = None


@dataclass(frozen=True)
class ModuleValue:
    """One module's value in a row, and the column it was read from."""

    column: str
    state: ProgressState | None = None
    score: float | None = None
    completed_on: date | None = None


@dataclass
class ProgressRecord:
    """One row of a Moodle grade export or completion report."""

    row: int
    key_column: str
    email: str | None
    external_id: str | None
    full_name: str
    modules: dict[str, ModuleValue] = field(default_factory=dict)
    """Activity name as written in the file → value."""
    final_grade: float | None = None
    course_completed_on: date | None = None


@dataclass
class Parsed:
    """What parsing one file gives: its table, its accepted rows (participants or progress,
    by format) and its rejections."""

    format: ImportFormat
    table: Table
    participants: list[ParticipantRecord] = field(default_factory=list)
    progress: list[ProgressRecord] = field(default_factory=list)
    activities: dict[str, str] = field(default_factory=dict)
    """Activity name in the file → the column it was read from (for header rejections)."""
    rejected: list[Rejection] = field(default_factory=list)
