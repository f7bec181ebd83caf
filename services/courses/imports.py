"""Bulk import of participants and progress: Moodle's user upload, grade export and course
completion report, or a CSV / XLSX with the app's own column names.

Reading the file is pure and lives in `moodle` (`read_table`, `detect_format`, `parse_*`);
here `preview_import` compares the parsed file with the database and writes nothing;
`apply_import` computes the same plan again inside one transaction and writes it, all or
nothing. Importing the same file twice changes nothing
the second time: every row is then "unchanged".
"""

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

import pandas as pd
from sqlalchemy.exc import IntegrityError
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
from services.courses.import_records import ImportFormat, Parsed, ProgressRecord, format_label
from services.courses.import_table import HEADER_ROW, Rejection, header_key
from services.courses.import_values import parse_country
from services.courses.moodle import parse_file
from services.platform import audit
from services.platform.access import STAFF, require_role
from services.platform.errors import Conflict, ImportRejected, NotFound, StaleVersion
from services.platform.i18n import N_, _

CHUNK = 500  # values per SQL IN (...) list

# ----------------------------------------------------------------------------- results


@dataclass(frozen=True)
class Change:
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


# --------------------------------------------------------------------------- the plan


@dataclass
class _Write:
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


def _plan_participants(session: Session, course: Course, parsed: Parsed) -> list[_Write]:
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
    writes: list[_Write] = []
    for record in records:
        person = record.participant
        participant = existing.get(person.email)
        write = _Write(change=RowChange(record.row, UNCHANGED, person.email))
        changes: list[Change] = []
        if participant is None:
            write.new_participant = person
            changes.append(Change(_("Participant"), "—", _("new")))
        else:
            write.participant = participant
            wanted = {
                name: _plain(getattr(person, name)) for name in record.provided if name != "email"
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


def _plain(value: Any) -> Any:
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


def _plan_progress(session: Session, course: Course, parsed: Parsed) -> list[_Write]:
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
    kept = _unique_enrollments(matches, parsed.rejected)
    enrollment_ids = [enrollment.id for _record, _participant, enrollment in kept]
    existing: dict[tuple[int, int], ModuleProgress] = {}
    for chunk in _chunks(enrollment_ids):
        for found in session.exec(
            select(ModuleProgress).where(col(ModuleProgress.enrollment_id).in_(chunk))
        ):
            existing[(found.enrollment_id, found.module_id)] = found
    writes: list[_Write] = []
    for record, participant, enrollment in kept:
        write = _Write(
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


def _unique_enrollments(
    matches: list[tuple[ProgressRecord, Participant, Enrollment]], rejected: list[Rejection]
) -> list[tuple[ProgressRecord, Participant, Enrollment]]:
    first_row: dict[int | None, int] = {}
    kept = []
    for record, participant, enrollment in matches:
        if enrollment.id in first_row:
            rejected.append(
                Rejection(
                    record.row,
                    record.key_column,
                    _("Duplicate in the file: same person as row {row}.").format(
                        row=first_row[enrollment.id]
                    ),
                )
            )
            continue
        first_row[enrollment.id] = record.row
        kept.append((record, participant, enrollment))
    return kept


def _plan(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    data: bytes,
    filename: str,
    expected_format: ImportFormat | str | None,
    default_country: str | None,
) -> tuple[ImportPreview, list[_Write]]:
    require_role(actor, STAFF)
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(N_("This course does not exist (any more)."))
    if default_country:
        try:
            default_country = parse_country(default_country)
        except ValueError:
            raise ImportRejected(
                N_("Unknown default country “{value}”: use an ISO code such as AR."),
                value=default_country,
            ) from None
    parsed = parse_file(
        data,
        filename=filename,
        expected=expected_format,
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
        course_id=course_id,
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


def preview_import(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    data: bytes,
    filename: str = "",
    expected_format: ImportFormat | str | None = None,
    default_country: str | None = None,
) -> ImportPreview:
    """What importing the file would do, row by row. Writes nothing.

    ImportRejected when the file cannot be read at all; row problems are in `rejected`.
    """
    preview, _writes = _plan(
        session=session,
        actor=actor,
        course_id=course_id,
        data=data,
        filename=filename,
        expected_format=expected_format,
        default_country=default_country,
    )
    return preview


def apply_import(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    data: bytes,
    filename: str = "",
    expected_format: ImportFormat | str | None = None,
    default_country: str | None = None,
    skip_rejected: bool = False,
    confirmed: ImportPreview | None = None,
) -> ImportPreview:
    """Write what the preview showed, in one transaction, with an audit event per change.

    With rejected rows nothing is written (ImportRejected) unless `skip_rejected`. With
    `confirmed` (the preview the coordinator saw), StaleVersion when the data changed since.
    """
    preview, writes = _plan(
        session=session,
        actor=actor,
        course_id=course_id,
        data=data,
        filename=filename,
        expected_format=expected_format,
        default_country=default_country,
    )
    if preview.rejected and not skip_rejected:
        raise ImportRejected(
            N_("{count} rows are rejected: nothing was imported. Correct the file or skip them."),
            count=preview.counts["rejected"],
        )
    if confirmed is not None and confirmed.signature != preview.signature:
        raise StaleVersion(
            N_("The data changed since the preview; nothing was imported. Check the new preview.")
        )
    try:
        _write(session, actor, preview, writes)
        session.flush()
    except IntegrityError:
        session.rollback()
        raise Conflict(
            N_("Someone changed these participants meanwhile; nothing was imported. Try again.")
        ) from None
    except BaseException:
        session.rollback()
        raise
    preview.written = preview.has_changes
    return preview


def _write(
    session: Session, actor: UserAccount, preview: ImportPreview, writes: list[_Write]
) -> None:
    now = utcnow()
    source = f"import:{preview.filename or preview.format}"[:200]
    changed = [write for write in writes if write.change.action != UNCHANGED]
    # Phase 1: participants (new ones need their id before they can be enrolled).
    created: list[Participant] = []
    for write in changed:
        if write.new_participant is not None:
            participant = Participant.model_validate(write.new_participant)
            write.participant = participant
            created.append(participant)
        elif write.participant is not None and write.participant_values:
            previous = {name: getattr(write.participant, name) for name in write.participant_values}
            write.participant.sqlmodel_update(write.participant_values)
            session.add(write.participant)
            audit.record(
                session,
                actor=actor,
                action=audit.AuditAction.participant_updated,
                entity="participant",
                entity_id=write.participant.id,
                changes={
                    **audit.diff(previous, write.participant_values),
                    "source": [None, source],
                },
            )
    session.add_all(created)
    session.flush()
    for participant in created:
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.participant_created,
            entity="participant",
            entity_id=participant.id,
            changes={
                **audit.diff({}, {"email": participant.email, "country": participant.country}),
                "source": [None, source],
            },
        )
    # Phase 2: enrollments.
    new_enrollments: list[Enrollment] = []
    for write in changed:
        if write.new_enrollment is not None and write.participant is not None:
            enrollment = Enrollment(
                participant_id=write.participant.id,  # type: ignore[arg-type]
                course_id=preview.course_id,
                updated_at=now,
                **write.new_enrollment,
            )
            write.enrollment = enrollment
            new_enrollments.append(enrollment)
        elif write.enrollment is not None and write.enrollment_values:
            previous = {name: getattr(write.enrollment, name) for name in write.enrollment_values}
            write.enrollment.sqlmodel_update(write.enrollment_values)
            write.enrollment.updated_at = now
            session.add(write.enrollment)
            audit.record(
                session,
                actor=actor,
                action=audit.AuditAction.enrollment_updated,
                entity="enrollment",
                entity_id=write.enrollment.id,
                changes={**audit.diff(previous, write.enrollment_values), "source": [None, source]},
            )
    session.add_all(new_enrollments)
    session.flush()
    module_ids = list(session.exec(select(Module.id).where(Module.course_id == preview.course_id)))
    for new_enrollment in new_enrollments:
        session.add_all(
            ModuleProgress(enrollment_id=new_enrollment.id, module_id=module_id, updated_at=now)  # type: ignore[arg-type]
            for module_id in module_ids
        )
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.enrollment_created,
            entity="enrollment",
            entity_id=new_enrollment.id,
            changes={
                **audit.diff(
                    {},
                    {
                        "participant_id": new_enrollment.participant_id,
                        "course_id": new_enrollment.course_id,
                        "status": str(new_enrollment.status),
                    },
                ),
                "source": [None, source],
            },
        )
    # Phase 3: module progress.
    progress_changes: list[tuple[ModuleProgress, int, int, dict[str, Any], dict[str, Any]]] = []
    for write in changed:
        target = write.enrollment
        if target is None or target.id is None:
            continue
        for module_id, loaded, values in write.progress:
            before: dict[str, Any] = {}
            if loaded is None:
                progress = ModuleProgress(enrollment_id=target.id, module_id=module_id)
            else:
                progress = loaded
                before = {name: getattr(progress, name) for name in values}
            if not values and progress.id is not None:
                continue
            progress.sqlmodel_update(values)
            progress.source = source
            progress.updated_at = now
            session.add(progress)
            progress_changes.append((progress, target.id, module_id, before, values))
    # One flush gives the new progress rows their ids for the audit trail.
    session.flush()
    for progress, enrollment_id, module_id, before, values in progress_changes:
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.progress_updated,
            entity="module_progress",
            entity_id=progress.id,
            changes={
                "enrollment_id": [enrollment_id, enrollment_id],
                "module_id": [module_id, module_id],
                **audit.diff(before, {name: _plain(v) for name, v in values.items()}),
                "source": [None, source],
            },
        )
    if changed:
        audit.record(
            session,
            actor=actor,
            action=audit.AuditAction.import_applied,
            entity="course",
            entity_id=preview.course_id,
            changes={
                "file": [None, preview.filename],
                "format": [None, preview.format.value],
                "created": [None, len(preview.to_create)],
                "updated": [None, len(preview.to_update)],
                "rejected": [None, preview.counts["rejected"]],
            },
        )


# ------------------------------------------------------------------------------ reports


ACTION_LABELS = {
    CREATE: N_("Create"),
    UPDATE: N_("Update"),
    UNCHANGED: N_("Unchanged"),
}


def summary(preview: ImportPreview) -> str:
    """One line: what the import does (or did)."""
    counts = preview.counts
    template = (
        _("{file}: {create} created, {update} updated, {unchanged} unchanged, {rejected} rejected.")
        if preview.written
        else _(
            "{file}: {create} to create, {update} to update, {unchanged} unchanged, "
            "{rejected} rejected."
        )
    )
    return template.format(
        file=preview.filename or format_label(preview.format),
        create=counts[CREATE],
        update=counts[UPDATE],
        unchanged=counts[UNCHANGED],
        rejected=counts["rejected"],
    )


def changes_table(preview: ImportPreview, *, include_unchanged: bool = False) -> pd.DataFrame:
    """One line per row to create or update: row, action, who, what changes (old → new)."""
    rows = [*preview.to_create, *preview.to_update]
    if include_unchanged:
        rows += preview.unchanged
    rows.sort(key=lambda change: change.row)
    return pd.DataFrame(
        {
            _("Row"): [change.row for change in rows],
            _("Action"): [_(ACTION_LABELS[change.action]) for change in rows],
            _("Participant"): [change.who for change in rows],
            _("Changes"): [
                "; ".join(f"{item.field}: {item.old} → {item.new}" for item in change.changes)
                for change in rows
            ],
        }
    )


def rejections_table(preview: ImportPreview) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Row"): [rejection.row for rejection in preview.rejected],
            _("Column"): [rejection.column for rejection in preview.rejected],
            _("Reason"): [rejection.reason for rejection in preview.rejected],
        }
    )
