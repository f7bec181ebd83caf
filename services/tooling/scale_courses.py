"""Synthetic courses, participants, enrollments and Moodle progress for `enlace seed scale`:
courses spread from 2019 to a few months ahead, 8 to 12 modules each, enrollment statuses and
module states consistent with the course's dates. Rows are plain dicts with ids given by the
bulk writer (services/tooling/bulk_insert.py).
"""

import bisect
import math
import random
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, NamedTuple

from models import Course, Enrollment, Module, ModuleProgress, Participant
from models.enums import EnrollmentStatus, Gender, Language, ProgressState
from services.platform.i18n import _
from services.tooling.bulk_insert import BulkInsert
from services.tooling.demo_data import (
    FOREIGN_SERVICES,
    NEW_PARTICIPANTS_2026,
    OFFICERS_2018,
    POSITIONS,
)
from services.tooling.demo_plans import at_nine
from services.tooling.draws import Draw, values

SOURCE = "import:scale"
FIRST_DAY = date(2019, 1, 7)

# Participants: how many officers each foreign service sends to the courses.
PARTICIPANT_WEIGHTS = {
    "AR": 14,
    "BO": 10,
    "BR": 16,
    "CL": 12,
    "CO": 14,
    "PY": 9,
    "PE": 14,
    "UY": 11,
}
ENROLLMENTS_PER_PARTICIPANT = ((1, 2, 3), (1, 2, 1))  # (courses, weight): two on average
# The hot loop's draws (weights accumulated once) and members' values (services/tooling/draws.py).
COURSES_TAKEN = Draw(*ENROLLMENTS_PER_PARTICIPANT)
STATUS_AFTER = Draw(tuple(EnrollmentStatus), (3, 12, 72, 13))
STATUS_DURING = Draw(tuple(EnrollmentStatus), (12, 80, 0, 8))
_VALUE = values(EnrollmentStatus, ProgressState)
GRADED = (ProgressState.completed_pass, ProgressState.completed_fail)
COURSE_TOPICS = (
    "Human trafficking: detection and first assistance",
    "Victim-centred case management and referral",
    "Labour exploitation in the textile industry",
    "Domestic servitude: indicators and interviews",
    "Cross-border coordination and assisted return",
    "Trafficking of children and adolescents",
    "Consent, confidentiality and data protection",
    "Trafficking for sexual exploitation: protection networks",
)
MODULE_TOPICS = (
    "Concepts: trafficking, smuggling and labour-rights violations",
    "International and regional legal framework",
    "Early detection and indicators",
    "Interviewing with a victim-centred approach",
    "First assistance and safety planning",
    "Referral to services and protection networks",
    "Consent and data protection",
    "Children and adolescents",
    "Labour inspection and forced labour",
    "Cross-border coordination",
    "Assisted return and reintegration",
    "Case studies from the region",
    "Final assessment",
)


class _CourseRow(NamedTuple):
    """A course written, as its participants' enrollments need it."""

    id: int
    starts_on: date
    ends_on: date
    module_ids: tuple[int, ...]
    due: tuple[date, ...]
    required: tuple[bool, ...]


def weighted(rng: random.Random, weights: dict[str, int], count: int) -> list[str]:
    """`count` keys of `weights`, drawn in proportion to their weights."""
    return rng.choices(list(weights), weights=list(weights.values()), k=count)


def add_courses_and_participants(
    writer: BulkInsert,
    rng: random.Random,
    today: date,
    participants: int,
    report: Callable[[str, int, int], None],
    total: int,
) -> None:
    """`participants` participants, each in one to three courses (about 1,000 a course), and
    their module progress; `report` is told the participants done (of `total` units)."""
    if participants == 0:
        return
    courses = _courses(writer, rng, today, max(2, math.ceil(participants / 1000)))
    people = _names()
    countries = weighted(rng, PARTICIPANT_WEIGHTS, participants)
    chunk = 2000
    for start in range(0, participants, chunk):
        batch = countries[start : start + chunk]
        ids = writer.ids("participant", len(batch))
        rows = [
            _participant(rng, pid, country, people[country])
            for pid, country in zip(ids, batch, strict=True)
        ]
        writer.insert(Participant, rows)
        enrollments: list[dict[str, Any]] = []
        progress_rows: list[dict[str, Any]] = []
        for pid in ids:
            taken = COURSES_TAKEN(rng)
            for course in rng.sample(courses, min(taken, len(courses))):
                enrollment, progress = _enroll(writer, rng, today, pid, course)
                enrollments.append(enrollment)
                progress_rows += progress
        writer.insert(Enrollment, enrollments)
        writer.insert(ModuleProgress, progress_rows)
        report(_("Participants, enrollments and progress"), start + len(batch), total)


def _courses(writer: BulkInsert, rng: random.Random, today: date, count: int) -> list[_CourseRow]:
    """Courses spread from 2019 to a few months ahead of today, 8 to 12 modules each."""
    span = (today + timedelta(days=120) - FIRST_DAY).days
    course_rows, module_rows, courses = [], [], []
    for index, course_id in enumerate(writer.ids("course", count)):
        starts_on = FIRST_DAY + timedelta(
            days=span * index // max(1, count - 1) - 60 * (index == count - 1)
        )
        ends_on = starts_on + timedelta(days=rng.choice((84, 98, 112)))
        topic = COURSE_TOPICS[index % len(COURSE_TOPICS)]
        course_rows.append(
            {
                "id": course_id,
                "code": f"SC-{starts_on.year}-{course_id:04d}",
                "title": f"{topic} ({starts_on.year})",
                "description": "Synthetic course for load tests (enlace seed scale).",
                "organiser": "IOM & IPPDH",
                "starts_on": starts_on,
                "ends_on": ends_on,
                "languages": [Language.es.value, Language.pt.value],
                "archived_at": None,
                "created_at": at_nine(starts_on - timedelta(days=30)),
            }
        )
        size = rng.randint(8, 12)
        topics = [*rng.sample(MODULE_TOPICS[:-1], size - 1), MODULE_TOPICS[-1]]
        module_ids = writer.ids("module", size)
        step = (ends_on - starts_on).days // size
        due = tuple(starts_on + timedelta(days=step * (p + 1)) for p in range(size))
        required = tuple(p < size - 1 or rng.random() < 0.5 for p in range(size))
        for position, (module_id, title) in enumerate(zip(module_ids, topics, strict=True)):
            module_rows.append(
                {
                    "id": module_id,
                    "course_id": course_id,
                    "position": position + 1,
                    "title": f"{position + 1}. {title}",
                    "is_required": required[position],
                    "due_on": due[position],
                }
            )
        courses.append(_CourseRow(course_id, starts_on, ends_on, tuple(module_ids), due, required))
    writer.insert(Course, course_rows)
    writer.insert(Module, module_rows)
    return courses


def _names() -> dict[str, tuple[list[tuple[str, Gender]], list[str]]]:
    """Per country: (given name, gender) and surnames of the demo's officers."""
    people: dict[str, tuple[list[tuple[str, Gender]], list[str]]] = {}
    for table in (OFFICERS_2018, NEW_PARTICIPANTS_2026):
        for country, rows in table.items():
            given, surnames = people.setdefault(country, ([], []))
            for first, last, gender in rows:
                given.append((first, gender))
                surnames.append(last)
    return people


def _participant(
    rng: random.Random,
    participant_id: int,
    country: str,
    names: tuple[list[tuple[str, Gender]], list[str]],
) -> dict[str, Any]:
    ministry, language, _, posts = FOREIGN_SERVICES[country]
    given, gender = rng.choice(names[0])
    return {
        "id": participant_id,
        "full_name": f"{given} {rng.choice(names[1])}",
        "email": f"scale.{participant_id}@enlace.test",
        "country": country,
        "consular_post": rng.choice(posts),
        "institution": ministry,
        "position": rng.choice(POSITIONS),
        "gender": gender.value,
        "language": language.value,
        "external_id": f"scale{participant_id}",
    }


def _enroll(
    writer: BulkInsert, rng: random.Random, today: date, participant_id: int, course: _CourseRow
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """One enrollment row and its module progress rows."""
    enrolled_on = course.starts_on - timedelta(days=rng.randint(0, 21))
    if today < course.starts_on:
        status = EnrollmentStatus.invited
    elif today > course.ends_on:
        status = STATUS_AFTER(rng)
    else:
        status = STATUS_DURING(rng)
    if today <= enrolled_on:
        enrolled_on = today - timedelta(days=1)
    (enrollment_id,) = writer.ids("enrollment", 1)
    states = _module_states(rng, status, course, today)
    scores = []
    progress_rows: list[dict[str, Any]] = []
    last = enrolled_on
    for module_id, (state, day) in zip(course.module_ids, states, strict=True):
        score = None
        if state in GRADED:
            score = float(
                rng.randint(62, 99)
                if state == ProgressState.completed_pass
                else rng.randint(20, 55)
            )
            scores.append(score)
        if day is not None and day > last:
            last = day
        progress_rows.append(
            {
                "enrollment_id": enrollment_id,
                "module_id": module_id,
                "state": _VALUE[state],
                "score": score,
                "completed_on": day,
                "source": SOURCE,
                "updated_at": at_nine(day or enrolled_on),
            }
        )
    completed = status == EnrollmentStatus.completed
    enrollment = {
        "id": enrollment_id,
        "participant_id": participant_id,
        "course_id": course.id,
        "status": _VALUE[status],
        "enrolled_on": enrolled_on,
        "completed_on": last if completed else None,
        "final_grade": round(sum(scores) / len(scores), 1) if completed and scores else None,
        "updated_at": at_nine(last),
    }
    return enrollment, progress_rows


def _module_states(
    rng: random.Random, status: EnrollmentStatus, course: _CourseRow, today: date
) -> list[tuple[ProgressState, date | None]]:
    """(state, completed on) per module, consistent with the enrollment's status."""
    count = len(course.module_ids)
    if status == EnrollmentStatus.invited:
        return [(ProgressState.not_started, None)] * count
    if status == EnrollmentStatus.completed:
        done = count
    elif status == EnrollmentStatus.withdrawn:
        done = rng.randint(0, 2)
    else:  # active: on schedule, or one to three modules behind it
        due_so_far = bisect.bisect_left(course.due, today)
        done = max(0, min(count - 1, due_so_far - rng.choice((0, 0, 0, 1, 2, 3))))
    yesterday = today - timedelta(days=1)
    states: list[tuple[ProgressState, date | None]] = []
    for position in range(count):
        due = course.due[position]
        if position < done:
            if not course.required[position] and rng.random() < 0.15:
                states.append((ProgressState.not_started, None))
                continue
            day = min(due - timedelta(days=rng.randint(-4, 9)), yesterday)
            graded = position >= 2
            states.append(
                (ProgressState.completed_pass if graded else ProgressState.completed, day)
            )
        elif position == done and status == EnrollmentStatus.active:
            if position >= 2 and rng.random() < 0.25:
                states.append((ProgressState.completed_fail, min(due, yesterday)))
            elif rng.random() < 0.6:
                states.append((ProgressState.in_progress, None))
            else:
                states.append((ProgressState.not_started, None))
        else:
            states.append((ProgressState.not_started, None))
    return states
