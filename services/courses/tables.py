"""Tables for the course pages: translated headers and labels over the catalog's rows."""

from collections.abc import Sequence
from datetime import datetime
from typing import Any

import pandas as pd

from models import (
    Module,
)
from models.enums import ProgressState
from services.courses.catalog import CourseSummary, EnrollmentRow, MyEnrollment, known_id
from services.courses.changes import ModuleRow
from services.courses.grid import ProgressGrid
from services.platform.i18n import _
from services.platform.labels import country_name, label

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
        data[module_column(known_id(module.id))] = [
            label(row.states[known_id(module.id)]) for row in grid.rows
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
            module_id = known_id(module.id)
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
