"""Planning an import (reads only): the parsed file compared with the database, row by row:
what to create, update or leave, what each accepted row would write."""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, NamedTuple, NotRequired, TypedDict, Unpack

from sqlmodel import Session, col, func, select

from models import (
    Course,
    Enrollment,
    Module,
    ModuleProgress,
    Participant,
    ParticipantCreate,
    UserAccount,
)
from models.base import utcnow
from models.enums import EnrollmentStatus, ProgressState
from services.courses.catalog import existing_course
from services.courses.import_records import ImportFormat, Parsed, ProgressRecord
from services.courses.import_table import HEADER_ROW, Rejection, header_key, reject_duplicates
from services.courses.import_values import parse_country
from services.courses.moodle import parse_file
from services.platform.access import STAFF, require_role
from services.platform.errors import ImportRejected
from services.platform.i18n import N_, _

CHUNK = 500  # values per SQL IN (...) list


class Change(NamedTuple):
    """One field an imported row changes, as shown: its label, the old and the new value."""

    field: str
    old: str
    new: str


@dataclass(frozen=True)
class RowChange:
    """What importing one row does: create, update, or nothing (unchanged)."""

    row: int
    action: str
    who: str
    changes: tuple[Change, ...] = ()


CREATE, UPDATE, UNCHANGED = "create", "update", "unchanged"


@dataclass
class ImportPreview:
    format: ImportFormat
    filename: str
    course_id: int
    course_code: str
    rows_read: int
    encoding: str = ""
    delimiter: str = ""
    to_create: list[RowChange] = field(default_factory=list)
    to_update: list[RowChange] = field(default_factory=list)
    unchanged: list[RowChange] = field(default_factory=list)
    rejected: list[Rejection] = field(default_factory=list)
    written: bool = False

    @property
    def counts(self) -> dict[str, int]:
        return {
            CREATE: len(self.to_create),
            UPDATE: len(self.to_update),
            UNCHANGED: len(self.unchanged),
            "rejected": len({rejection.row for rejection in self.rejected}),
        }

    @property
    def has_changes(self) -> bool:
        return bool(self.to_create or self.to_update)

    @property
    def signature(self) -> tuple[RowChange, ...]:
        """What would be written: apply_import refuses when this differs from the preview."""
        return tuple(self.to_create) + tuple(self.to_update)


# ------------------------------------------------------------------------------ the plan


@dataclass
class PlannedWrite:
    """What one accepted row writes; the ORM objects are loaded, never changed, by planning."""

    change: RowChange
    participant: Participant | None = None
    new_participant: ParticipantCreate | None = None
    participant_values: dict[str, Any] = field(default_factory=dict)
    enrollment: Enrollment | None = None
    new_enrollment: dict[str, Any] | None = None
    enrollment_values: dict[str, Any] = field(default_factory=dict)
    progress: list[tuple[int, ModuleProgress | None, dict[str, Any]]] = field(default_factory=list)


def _chunks(values: Sequence[Any]) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def _shown(value: Any) -> str:
    if value is None or value == "":
        return "—"
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _diff(current: dict[str, Any], wanted: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in wanted.items() if current.get(name) != value}


FIELD_LABELS: dict[str, str] = {
    "full_name": N_("Full name"),
    "country": N_("Country"),
    "consular_post": N_("Consular post"),
    "institution": N_("Institution"),
    "position": N_("Position"),
    "gender": N_("Gender"),
    "language": N_("Language"),
    "external_id": N_("External ID"),
    "status": N_("Status"),
    "enrolled_on": N_("Enrolled on"),
    "completed_on": N_("Completed on"),
    "final_grade": N_("Final grade"),
    "state": N_("State"),
    "score": N_("Score"),
}


def _changes(prefix: str, current: dict[str, Any], changed: dict[str, Any]) -> list[Change]:
    return [
        Change(
            prefix + _(FIELD_LABELS.get(name, name)),
            _shown(current.get(name)),
            _shown(value),
        )
        for name, value in changed.items()
    ]


def _plan_participants(session: Session, course: Course, parsed: Parsed) -> list[PlannedWrite]:
    records = parsed.participants
    emails = [record.participant.email for record in records]
    existing: dict[str, Participant] = {}
    for chunk in _chunks(emails):
        for found in session.exec(select(Participant).where(col(Participant.email).in_(chunk))):
            existing[found.email] = found
    ids = [found.id for found in existing.values()]
    enrollments: dict[int, Enrollment] = {}
    for chunk in _chunks(ids):
        for found_enrollment in session.exec(
            select(Enrollment).where(
                Enrollment.course_id == course.id, col(Enrollment.participant_id).in_(chunk)
            )
        ):
            enrollments[found_enrollment.participant_id] = found_enrollment
    writes: list[PlannedWrite] = []
    for record in records:
        person = record.participant
        participant = existing.get(person.email)
        write = PlannedWrite(change=RowChange(record.row, UNCHANGED, person.email))
        changes: list[Change] = []
        if participant is None:
            write.new_participant = person
            changes.append(Change(_("Participant"), "—", _("new")))
        else:
            write.participant = participant
            wanted = {
                name: plain(getattr(person, name)) for name in record.provided if name != "email"
            }
            current = {name: getattr(participant, name) for name in wanted}
            if person.country and participant.country is None and "country" not in wanted:
                # The file's default country completes an unknown one, never replaces it.
                wanted["country"] = person.country
                current["country"] = None
            write.participant_values = _diff(current, wanted)
            changes += _changes("", current, write.participant_values)
        enrollment = enrollments.get(participant.id) if participant and participant.id else None
        wanted_enrollment: dict[str, Any] = {}
        if record.status is not None:
            wanted_enrollment["status"] = record.status.value
            if record.status != EnrollmentStatus.completed:
                wanted_enrollment["completed_on"] = None
        for name in ("enrolled_on", "completed_on", "final_grade"):
            if getattr(record, name) is not None:
                wanted_enrollment[name] = getattr(record, name)
        if enrollment is None:
            write.new_enrollment = {
                "status": wanted_enrollment.get("status", EnrollmentStatus.invited.value),
                "enrolled_on": wanted_enrollment.get("enrolled_on") or utcnow().date(),
                "completed_on": wanted_enrollment.get("completed_on"),
                "final_grade": wanted_enrollment.get("final_grade"),
            }
            changes.append(
                Change(
                    _("enrollment in {code}").format(code=course.code),
                    "—",
                    _shown(write.new_enrollment["status"]),
                )
            )
        else:
            write.enrollment = enrollment
            current = {
                "status": str(enrollment.status),
                "enrolled_on": enrollment.enrolled_on,
                "completed_on": enrollment.completed_on,
                "final_grade": enrollment.final_grade,
            }
            write.enrollment_values = _diff(current, wanted_enrollment)
            changes += _changes("", current, write.enrollment_values)
        action = (
            CREATE
            if write.new_participant or write.new_enrollment
            else UPDATE
            if changes
            else UNCHANGED
        )
        write.change = RowChange(record.row, action, person.email, tuple(changes))
        writes.append(write)
    return writes


def plain(value: Any) -> Any:
    return value.value if isinstance(value, StrEnum) else value


def _match_modules(session: Session, course: Course, parsed: Parsed) -> dict[str, Module]:
    """Activity name in the file → module of the course (by title); unknown ones rejected."""
    modules = list(session.exec(select(Module).where(Module.course_id == course.id)))
    by_title = {header_key(module.title): module for module in modules}
    matched: dict[str, Module] = {}
    for name, column in parsed.activities.items():
        module = by_title.get(header_key(name))
        if module is None:
            parsed.rejected.append(
                Rejection(
                    HEADER_ROW,
                    column,
                    _("No module of {code} is called “{name}”.").format(
                        code=course.code, name=name
                    ),
                )
            )
        else:
            matched[name] = module
    return matched


def _plan_progress(session: Session, course: Course, parsed: Parsed) -> list[PlannedWrite]:
    modules = _match_modules(session, course, parsed)
    records = parsed.progress
    # Find each row's enrollment in this course: by email, else ID number, else full name.
    enrolled: dict[str, dict[str, tuple[Participant, Enrollment]]] = {
        "email": {},
        "external_id": {},
        "name": {},
    }
    ambiguous: set[tuple[str, str]] = set()
    lookups = (
        ("email", col(Participant.email), [r.email for r in records if r.email]),
        (
            "external_id",
            col(Participant.external_id),
            [r.external_id for r in records if r.external_id],
        ),
        (
            "name",
            func.lower(Participant.full_name),
            [r.full_name.lower() for r in records if r.full_name],
        ),
    )
    for kind, column, values in lookups:
        for chunk in _chunks(sorted(set(values))):
            query = (
                select(Participant, Enrollment)
                .join(Enrollment, col(Enrollment.participant_id) == Participant.id)
                .where(Enrollment.course_id == course.id, column.in_(chunk))
            )
            for person, enrolled_as in session.exec(query):
                key = {
                    "email": person.email,
                    "external_id": person.external_id or "",
                    "name": person.full_name.lower(),
                }[kind]
                if key in enrolled[kind]:
                    # Two people with the same name or ID number: no match is safe.
                    ambiguous.add((kind, key))
                enrolled[kind][key] = (person, enrolled_as)
    for kind, key in ambiguous:
        enrolled[kind].pop(key, None)
    matches: list[tuple[ProgressRecord, Participant, Enrollment]] = []
    for record in records:
        match = (
            (record.email and enrolled["email"].get(record.email))
            or (record.external_id and enrolled["external_id"].get(record.external_id))
            or (
                not record.email
                and not record.external_id
                and enrolled["name"].get(record.full_name.lower())
            )
        )
        if not match:
            parsed.rejected.append(
                Rejection(
                    record.row,
                    record.key_column,
                    _("{who} is not enrolled in {code}: import the participants first.").format(
                        who=record.email or record.external_id or record.full_name,
                        code=course.code,
                    ),
                )
            )
            continue
        matches.append((record, *match))
    # One row per person: a second row that finds the same enrollment is rejected.
    match_of = {record.row: (person, enrollment) for record, person, enrollment in matches}
    kept_records = reject_duplicates(
        [record for record, _participant, _enrollment in matches],
        parsed.rejected,
        key=lambda record: match_of[record.row][1].id,
        column=lambda record: record.key_column,
    )
    kept = [(record, *match_of[record.row]) for record in kept_records]
    enrollment_ids = [enrollment.id for _record, _participant, enrollment in kept]
    existing: dict[tuple[int, int], ModuleProgress] = {}
    for chunk in _chunks(enrollment_ids):
        for found in session.exec(
            select(ModuleProgress).where(col(ModuleProgress.enrollment_id).in_(chunk))
        ):
            existing[(found.enrollment_id, found.module_id)] = found
    writes: list[PlannedWrite] = []
    for record, participant, enrollment in kept:
        write = PlannedWrite(
            change=RowChange(record.row, UNCHANGED, participant.email), enrollment=enrollment
        )
        changes: list[Change] = []
        for name, value in record.modules.items():
            module = modules.get(name)
            if module is None or module.id is None or enrollment.id is None:
                continue
            progress = existing.get((enrollment.id, module.id))
            current = {
                "state": str(progress.state) if progress else ProgressState.not_started.value,
                "score": progress.score if progress else None,
                "completed_on": progress.completed_on if progress else None,
            }
            wanted: dict[str, Any] = {}
            if value.score is not None:
                wanted["score"] = value.score
            if value.state is not None:
                # Moodle's "not completed" does not undo a state of "in progress" set here.
                keep = (
                    value.state == ProgressState.not_started
                    and current["state"] == ProgressState.in_progress
                )
                if not keep:
                    wanted["state"] = value.state.value
                    wanted["completed_on"] = value.completed_on
            changed = _diff(current, wanted)
            if changed or progress is None:
                write.progress.append((module.id, progress, changed))
            changes += _changes(f"{module.title}: ", current, changed)
        current_enrollment = {
            "status": str(enrollment.status),
            "completed_on": enrollment.completed_on,
            "final_grade": enrollment.final_grade,
        }
        wanted_enrollment: dict[str, Any] = {}
        if record.final_grade is not None:
            wanted_enrollment["final_grade"] = record.final_grade
        if record.course_completed_on is not None:
            wanted_enrollment["status"] = EnrollmentStatus.completed.value
            wanted_enrollment["completed_on"] = record.course_completed_on
        write.enrollment_values = _diff(current_enrollment, wanted_enrollment)
        changes += _changes("", current_enrollment, write.enrollment_values)
        action = UPDATE if changes else UNCHANGED
        write.change = RowChange(record.row, action, participant.email, tuple(changes))
        writes.append(write)
    return writes


class ImportRequest(TypedDict):
    """What to import: the file (its bytes and name) into a course; the format the file must
    have (else the one detected) and the country of rows without one."""

    course_id: int
    data: bytes
    filename: NotRequired[str]
    expected_format: NotRequired[ImportFormat | str | None]
    default_country: NotRequired[str | None]


def plan_import(
    *, session: Session, actor: UserAccount, **request: Unpack[ImportRequest]
) -> tuple[ImportPreview, list[PlannedWrite]]:
    """What importing the file does, row by row, and what each accepted row writes."""
    require_role(actor, STAFF)
    course = existing_course(session, request["course_id"])
    filename = request.get("filename", "")
    default_country = request.get("default_country")
    if default_country:
        try:
            default_country = parse_country(default_country)
        except ValueError:
            raise ImportRejected(
                N_("Unknown default country “{value}”: use an ISO code such as AR."),
                value=default_country,
            ) from None
    parsed = parse_file(
        request["data"],
        filename=filename,
        expected=request.get("expected_format"),
        default_country=default_country,
        course_code=course.code,
    )
    if parsed.format in (ImportFormat.participants, ImportFormat.moodle_users):
        writes = _plan_participants(session, course, parsed)
    else:
        writes = _plan_progress(session, course, parsed)
    preview = ImportPreview(
        format=parsed.format,
        filename=filename,
        course_id=request["course_id"],
        course_code=course.code,
        rows_read=len(parsed.table.rows),
        encoding=parsed.table.encoding,
        delimiter=parsed.table.delimiter,
        rejected=sorted(parsed.rejected, key=lambda rejection: rejection.row),
    )
    for write in writes:
        {
            CREATE: preview.to_create,
            UPDATE: preview.to_update,
            UNCHANGED: preview.unchanged,
        }[write.change.action].append(write.change)
    return preview, writes
