"""The module progress grid: one row per enrollment, one column per module, saved as a whole
with a token that refuses a stale grid.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Unpack

import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from models import Enrollment, Module, ModuleProgress, Participant, UserAccount
from models.base import utcnow
from models.enums import COMPLETED_STATES, ProgressState
from services.courses.catalog import (
    EnrollmentFilters,
    enrollment_page,
    existing_course,
    filtered_enrollments,
    known_id,
)
from services.platform import audit
from services.platform.access import STAFF, require_role
from services.platform.errors import Conflict, NotFound, StaleVersion
from services.platform.i18n import N_
from services.platform.rows import update_audited

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
    limit: int = 50,
    offset: int = 0,
    **filters: Unpack[EnrollmentFilters],
) -> ProgressGrid:
    """One page of a course's enrollments × modules, with the token that guards saving."""
    require_role(actor, STAFF)
    existing_course(session, course_id)
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
    )
    query = filtered_enrollments(query, course_id=course_id, **filters)
    query = enrollment_page(query, limit=limit, offset=offset)
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
                known_id(module.id): states[row[0]].get(
                    known_id(module.id), ProgressState.not_started.value
                )
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
    existing_course(session, course_id)
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
        known_id(enrollment.id): enrollment
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
        after = {"state": state.value, "completed_on": progress.completed_on}
        record_progress_change(session, actor=actor, progress=progress, before=before, after=after)
        changed += 1
    for enrollment_id, grade in final_grades.items():
        enrollment = enrollments[enrollment_id]
        if not update_audited(
            session,
            enrollment,
            {"final_grade": grade},
            actor=actor,
            action=audit.AuditAction.enrollment_updated,
        ):
            continue
        enrollment.updated_at = now
        changed += 1
    session.flush()
    return changed


def record_progress_change(
    session: Session,
    *,
    actor: UserAccount,
    progress: ModuleProgress,
    before: dict[str, Any],
    after: dict[str, Any],
    source: str | None = None,
) -> None:
    """The audit row of a module's progress (`source`: the file it was imported from)."""
    changes = {
        "enrollment_id": [progress.enrollment_id, progress.enrollment_id],
        "module_id": [progress.module_id, progress.module_id],
        **audit.diff(before, after),
    }
    audit.record_row(session, actor, audit.AuditAction.progress_updated, progress, changes, source)
