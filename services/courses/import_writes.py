"""Writing a planned import, in the caller's transaction: participants, then enrollments,
then module progress, each change with its audit row (its source: the file)."""

from typing import Any

from sqlmodel import Session, select

from models import Enrollment, Module, ModuleProgress, Participant, UserAccount
from models.base import utcnow
from services.courses.enrollment_writes import (
    record_enrollment_created,
    record_participant_created,
)
from services.courses.grid import record_progress_change
from services.courses.import_plan import UNCHANGED, ImportPreview, PlannedWrite, plain
from services.platform import audit
from services.platform.rows import update_audited


def write_import(
    session: Session, actor: UserAccount, preview: ImportPreview, writes: list[PlannedWrite]
) -> None:
    """Write the rows that change (the preview's counts go to the import's own audit row)."""
    now = utcnow()
    source = f"import:{preview.filename or preview.format}"[:200]
    changed = [write for write in writes if write.change.action != UNCHANGED]

    def update(row: Any, values: dict[str, Any], action: audit.AuditAction) -> None:
        update_audited(
            session, row, values, actor=actor, action=action, also_unchanged=True, source=source
        )

    # Phase 1: participants (new ones need their id before they can be enrolled).
    created: list[Participant] = []
    for write in changed:
        if write.new_participant is not None:
            participant = Participant.model_validate(write.new_participant)
            write.participant = participant
            created.append(participant)
        elif write.participant is not None and write.participant_values:
            update(
                write.participant, write.participant_values, audit.AuditAction.participant_updated
            )
    session.add_all(created)
    session.flush()
    for participant in created:
        record_participant_created(session, actor=actor, participant=participant, source=source)
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
            update(write.enrollment, write.enrollment_values, audit.AuditAction.enrollment_updated)
            write.enrollment.updated_at = now
    session.add_all(new_enrollments)
    session.flush()
    module_ids = list(session.exec(select(Module.id).where(Module.course_id == preview.course_id)))
    for new_enrollment in new_enrollments:
        session.add_all(
            ModuleProgress(enrollment_id=new_enrollment.id, module_id=module_id, updated_at=now)  # type: ignore[arg-type]
            for module_id in module_ids
        )
        record_enrollment_created(session, actor=actor, enrollment=new_enrollment, source=source)
    # Phase 3: module progress.
    progress_changes: list[tuple[ModuleProgress, dict[str, Any], dict[str, Any]]] = []
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
            progress_changes.append((progress, before, values))
    # One flush gives the new progress rows their ids for the audit trail.
    session.flush()
    for progress, before, values in progress_changes:
        after = {name: plain(value) for name, value in values.items()}
        record_progress_change(
            session, actor=actor, progress=progress, before=before, after=after, source=source
        )
    if changed:
        counts = {
            "file": [None, preview.filename],
            "format": [None, preview.format.value],
            "created": [None, len(preview.to_create)],
            "updated": [None, len(preview.to_update)],
            "rejected": [None, preview.counts["rejected"]],
        }
        course_id, applied = preview.course_id, audit.AuditAction.import_applied
        audit.record(
            session,
            actor=actor,
            action=applied,
            entity="course",
            entity_id=course_id,
            changes=counts,
        )
