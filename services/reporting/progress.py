"""Course progress by country: the dashboard's queries, all aggregates computed by SQL
GROUP BY, and their filters. The whole page, its query string and labels are in `dashboard`;
its tables, charts and files in `progress_view`.

Coordinators, managers and admins read every country; coordinators and admins also the
participants at risk and a country's participant list; a consular officer reads their own
country's aggregates next to the regional ones, and nothing about individual participants.
"""

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any

import pandas as pd
import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, and_, case, col, exists, func, select

from models import Course, Enrollment, Module, ModuleProgress, Participant, UserAccount
from models.enums import EnrollmentStatus, ProgressState, Role
from services.courses.catalog import MODULE_DONE_STATES
from services.platform import rows
from services.platform.access import DASHBOARD_READERS, STAFF, require_role
from services.platform.errors import PermissionDenied
from services.platform.i18n import N_

ALL_COUNTRIES = "ALL"
# Completions of the countries whose counts are suppressed, drawn as one line.
OTHER_COUNTRIES = "OTHER"
UNKNOWN_COUNTRY = "??"  # the drill-down's code for participants without a country
DASHBOARD_ROLES = (Role.officer, *DASHBOARD_READERS)
# Who is still expected to finish: only they can be behind schedule.
IN_COURSE = (EnrollmentStatus.invited, EnrollmentStatus.active)
AT_RISK_LIMIT = 200


@dataclass(frozen=True)
class CountryProgress:
    """Enrollment counts of one country (None: country unknown; "ALL": the region)."""

    country: str | None
    enrolled: int
    invited: int
    active: int
    completed: int
    withdrawn: int
    completion_rate: float
    average_grade: float | None
    behind: int = 0


@dataclass(frozen=True)
class CourseChoice:
    id: int
    code: str
    title: str
    ends_on: date | None = None


@dataclass(frozen=True)
class ProgressFilters:
    """The dashboard's filters besides the course: cohort period (enrolled on, inclusive),
    participants' country and enrollment status. None means "all"."""

    enrolled_from: date | None = None
    enrolled_to: date | None = None
    country: str | None = None
    status: EnrollmentStatus | None = None


NO_FILTERS = ProgressFilters()


# ------------------------------------------------------------------------ scoping


def officer_country_of(actor: UserAccount) -> str | None:
    """The country an officer is limited to; None for readers of every country."""
    require_role(actor, DASHBOARD_ROLES)
    if actor.role != Role.officer:
        return None
    if not actor.country:
        raise PermissionDenied(N_("Your account has no country; ask an administrator to set it."))
    return actor.country


def existing_course(session: Session, course_id: int) -> Course:
    return rows.existing_row(
        session, Course, course_id, N_("This course does not exist (any more).")
    )


def _country_condition(country: str | None) -> ColumnElement[bool]:
    if country == UNKNOWN_COUNTRY:
        return col(Participant.country).is_(None)
    return col(Participant.country) == country


def _conditions(
    course_id: int,
    filters: ProgressFilters,
    *,
    officer_country: str | None = None,
    by_country: bool = True,
) -> list[ColumnElement[bool]]:
    """WHERE conditions on Enrollment (joined to Participant) for a course and filters.

    by_country=False leaves the country filter out: the regional figures to compare with.
    """
    conditions: list[ColumnElement[bool]] = [col(Enrollment.course_id) == course_id]
    if filters.enrolled_from is not None:
        conditions.append(col(Enrollment.enrolled_on) >= filters.enrolled_from)
    if filters.enrolled_to is not None:
        conditions.append(col(Enrollment.enrolled_on) <= filters.enrolled_to)
    if filters.status is not None:
        conditions.append(col(Enrollment.status) == filters.status)
    if by_country and officer_country is not None:
        conditions.append(col(Participant.country) == officer_country)
    elif by_country and filters.country:
        conditions.append(_country_condition(filters.country))
    return conditions


def _missed_module(today: date) -> ColumnElement[bool]:
    """The enrollment (of the enclosing query) has a required module past its due date and
    not done: no progress row, or one in a state that is not done."""
    done_here = (
        select(col(ModuleProgress.id))
        .where(
            col(ModuleProgress.enrollment_id) == col(Enrollment.id),
            col(ModuleProgress.module_id) == col(Module.id),
            col(ModuleProgress.state).in_(MODULE_DONE_STATES),
        )
        .correlate(Enrollment, Module)
    )
    missed = (
        select(col(Module.id))
        .where(
            col(Module.course_id) == col(Enrollment.course_id),
            col(Module.is_required).is_(True),
            col(Module.due_on) < today,
            ~exists(done_here),
        )
        .correlate(Enrollment)
    )
    return and_(col(Enrollment.status).in_(IN_COURSE), exists(missed))


# ------------------------------------------------------------------------ course choices


def list_dashboard_courses(*, session: Session, actor: UserAccount) -> list[CourseChoice]:
    """Courses to pick on the dashboard: every current one, or, for an officer, those with
    participants from their country."""
    country = officer_country_of(actor)
    query = sa.select(
        col(Course.id), col(Course.code), col(Course.title), col(Course.ends_on)
    ).where(col(Course.archived_at).is_(None))
    if country is not None:
        from_country = (
            select(Enrollment.id)
            .join(Participant, col(Participant.id) == Enrollment.participant_id)
            .where(Enrollment.course_id == Course.id, Participant.country == country)
        )
        query = query.where(exists(from_country))
    query = query.order_by(
        col(Course.starts_on).is_(None), col(Course.starts_on).desc(), Course.code
    )
    rows = session.exec(query).all()  # type: ignore[call-overload]
    return [CourseChoice(*row) for row in rows]


def course_countries(*, session: Session, actor: UserAccount, course_id: int) -> list[str]:
    """The participants' countries in a course, for the country filter (readers only);
    UNKNOWN_COUNTRY last when some participants have none."""
    require_role(actor, DASHBOARD_READERS)
    query = (
        select(Participant.country)
        .join(Enrollment, col(Enrollment.participant_id) == Participant.id)
        .where(Enrollment.course_id == course_id)
        .distinct()
    )
    found = set(session.exec(query).all())
    return sorted(code for code in found if code) + ([UNKNOWN_COUNTRY] if None in found else [])


# ------------------------------------------------------------------------ aggregates


def _status_count(status: EnrollmentStatus) -> Any:
    return func.coalesce(func.sum(case((Enrollment.status == status, 1), else_=0)), 0)


def _progress_columns(today: date | None) -> tuple[Any, ...]:
    behind = (
        func.coalesce(func.sum(case((_missed_module(today), 1), else_=0)), 0)
        if today is not None
        else sa.literal(0)
    )
    return (
        func.count(col(Enrollment.id)),
        _status_count(EnrollmentStatus.invited),
        _status_count(EnrollmentStatus.active),
        _status_count(EnrollmentStatus.completed),
        _status_count(EnrollmentStatus.withdrawn),
        func.avg(Enrollment.final_grade),
        behind,
    )


def country_progress(country: str | None, counts: Sequence[Any]) -> CountryProgress:
    """One row of the counts `_progress_columns` selects, as a CountryProgress."""
    enrolled, invited, active, completed, withdrawn, average_grade, behind = counts
    enrolled, invited, active = int(enrolled or 0), int(invited or 0), int(active or 0)
    completed, withdrawn = int(completed or 0), int(withdrawn or 0)
    remaining = enrolled - withdrawn
    return CountryProgress(
        country=country,
        enrolled=enrolled,
        invited=invited,
        active=active,
        completed=completed,
        withdrawn=withdrawn,
        completion_rate=completed / remaining if remaining > 0 else 0.0,
        average_grade=float(average_grade) if average_grade is not None else None,
        behind=int(behind or 0),
    )


def progress_by_country(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    filters: ProgressFilters = NO_FILTERS,
    today: date | None = None,
) -> list[CountryProgress]:
    """One row per participants' country (unknown country last, as None).

    Completion rate = completed / (enrolled - withdrawn), 0 when nobody remains.
    `behind` (given `today`): invited or active participants with a required module past
    its due date and not done. An officer gets their own country's row only.
    """
    country = officer_country_of(actor)
    existing_course(session, course_id)
    query = (
        select(Participant.country, *_progress_columns(today))
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(*_conditions(course_id, filters, officer_country=country))
        .group_by(Participant.country)
        # NULL sorts first on SQLite and last on PostgreSQL: put it last on both.
        .order_by(col(Participant.country).is_(None), Participant.country)
    )
    return [country_progress(row[0], row[1:]) for row in session.exec(query).all()]


def regional_summary(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    filters: ProgressFilters = NO_FILTERS,
    today: date | None = None,
    by_country: bool = False,
) -> CountryProgress:
    """The whole course as one row, country "ALL": every country (the country filter left
    out), or with by_country=True the selection the filters (and an officer's country) make."""
    officer_country = officer_country_of(actor)
    existing_course(session, course_id)
    query = (
        select(*_progress_columns(today))
        .select_from(Enrollment)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(
            *_conditions(course_id, filters, officer_country=officer_country, by_country=by_country)
        )
    )
    return country_progress(ALL_COUNTRIES, session.exec(query).one())


def module_completion_by_country(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    filters: ProgressFilters = NO_FILTERS,
    with_region: bool = False,
) -> list[dict[str, Any]]:
    """Per module and country: participants who completed it / participants remaining.

    Withdrawn participants are left out of both counts; a module added after someone
    enrolled counts as not started for them. An officer gets their own country only.
    with_region=True adds one cell per module for the whole region (country "ALL").
    """
    country = officer_country_of(actor)
    existing_course(session, course_id)
    conditions = _conditions(course_id, filters, officer_country=country)
    cells = _module_cells(session, course_id, conditions)
    if with_region:
        region = _conditions(course_id, filters, by_country=False)
        cells += _module_cells(session, course_id, region, country=ALL_COUNTRIES)
    return cells


def _module_cells(
    session: Session,
    course_id: int,
    conditions: list[ColumnElement[bool]],
    *,
    country: str | None = None,
) -> list[dict[str, Any]]:
    """Cells by module (and the participants' country unless `country` names the group).

    Three small reads instead of every enrollment × module pair: the course's modules, the
    participants remaining per country, and the done progress rows per module and country.
    """
    remaining = [*conditions, col(Enrollment.status) != EnrollmentStatus.withdrawn]
    modules = session.exec(
        select(Module.id, Module.position, Module.title)
        .where(Module.course_id == course_id)
        .order_by(col(Module.position), col(Module.id))
    ).all()
    group: list[Any] = [] if country is not None else [col(Participant.country)]
    totals_query = (
        sa.select(*group, func.count(col(Enrollment.id)))
        .select_from(Enrollment)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(*remaining)
        .group_by(*group)
    )
    if country is None:
        # NULL sorts first on SQLite and last on PostgreSQL: put it last on both.
        totals_query = totals_query.order_by(
            col(Participant.country).is_(None), col(Participant.country)
        )
    totals = [
        (country if country is not None else row[0], int(row[-1]))
        for row in session.exec(totals_query).all()  # type: ignore[call-overload]
        if row[-1]  # a group of nobody has no cells
    ]
    if not modules or not totals:
        return []
    done_query = (
        sa.select(col(ModuleProgress.module_id), *group, func.count())
        .select_from(ModuleProgress)
        .join(Enrollment, col(Enrollment.id) == ModuleProgress.enrollment_id)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(*remaining, col(ModuleProgress.state).in_(MODULE_DONE_STATES))
        .group_by(col(ModuleProgress.module_id), *group)
    )
    done = {
        (row[0], country if country is not None else row[1]): int(row[-1])
        for row in session.exec(done_query).all()  # type: ignore[call-overload]
    }
    return [
        {
            "module_id": module_id,
            "position": position,
            "module_title": title,
            "country": cell_country,
            "completed": done.get((module_id, cell_country), 0),
            "total": total,
        }
        for module_id, position, title in modules
        for cell_country, total in totals
    ]


def completions_over_time(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    filters: ProgressFilters = NO_FILTERS,
    with_region: bool = False,
) -> pd.DataFrame:
    """Columns (country, completed_on, completions, cumulative): course completions per day
    and their running total per country, oldest first; with_region adds country "ALL"."""
    country = officer_country_of(actor)
    existing_course(session, course_id)
    frames = [
        _completions(session, _conditions(course_id, filters, officer_country=country)),
    ]
    if with_region:
        region = _conditions(course_id, filters, by_country=False)
        frames.append(_completions(session, region, country=ALL_COUNTRIES))
    frame = pd.concat(frames, ignore_index=True).astype({"completions": "int64"})
    frame["cumulative"] = frame.groupby("country", dropna=False)["completions"].cumsum()
    return frame.astype({"cumulative": "int64"})


def _completions(
    session: Session, conditions: list[ColumnElement[bool]], *, country: str | None = None
) -> pd.DataFrame:
    day = col(Enrollment.completed_on)
    group: list[Any] = [day] if country else [col(Participant.country), day]
    query = (
        sa.select(*group, func.count(col(Enrollment.id)))
        .select_from(Enrollment)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(
            *conditions,
            col(Enrollment.status) == EnrollmentStatus.completed,
            day.is_not(None),
        )
        .group_by(*group)
        .order_by(*group)
    )
    rows = session.exec(query).all()  # type: ignore[call-overload]
    records = [
        {
            "country": country if country else row[0],
            "completed_on": row[-2],
            "completions": int(row[-1]),
        }
        for row in rows
    ]
    frame = pd.DataFrame(records, columns=["country", "completed_on", "completions"])
    return frame.sort_values(["completed_on"], kind="stable").reset_index(drop=True)


def participants_at_risk(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    today: date,
    filters: ProgressFilters = NO_FILTERS,
    limit: int = AT_RISK_LIMIT,
) -> pd.DataFrame:
    """Invited or active participants behind schedule, furthest behind first: most required
    modules overdue, then earliest missed due date. Coordinators and admins only: names are
    shown, and a manager's counts are suppressed (a list of names would give them back).

    Columns: participant_id, full_name, country, consular_post, status, overdue_modules,
    first_missed_due, days_behind (up to the course's end date, for a course that has
    ended), last_activity (latest progress change, None if never).
    """
    require_role(actor, STAFF)
    course = existing_course(session, course_id)
    # Behind is counted up to the course's end: after it, nobody falls further behind (a
    # 2018 course no longer reads 3,123 days behind). Modules due after the end still count.
    counted_until = min(today, course.ends_on) if course.ends_on else today
    modules = session.exec(
        select(col(Module.id), col(Module.due_on), col(Module.is_required)).where(
            Module.course_id == course_id
        )
    ).all()
    # The required modules past due, earliest first: the same for every enrollment.
    due = sorted(
        (due_on, module_id)
        for module_id, due_on, required in modules
        if required and due_on is not None and due_on < today
    )
    # Aggregates over each enrollment's progress rows that exist, not enrollment × module.
    progress_row = and_(
        col(ModuleProgress.enrollment_id) == Enrollment.id,
        col(ModuleProgress.module_id).in_([module_id for module_id, _due, _req in modules]),
    )
    is_done = col(ModuleProgress.state).in_(MODULE_DONE_STATES)

    def done(module_id: int | None) -> Any:
        return func.max(
            case((and_(col(ModuleProgress.module_id) == module_id, is_done), 1), else_=0)
        )

    done_due = func.coalesce(
        func.sum(
            case(
                (and_(col(ModuleProgress.module_id).in_([m for _d, m in due]), is_done), 1), else_=0
            )
        ),
        0,
    )
    overdue_count = len(due) - done_due
    # The earliest due date of a module not done: the first in due order whose flag is 0.
    first_missed = case(
        *((done(module_id) == 0, sa.literal(due_on, sa.Date)) for due_on, module_id in due),
        else_=None,
    )
    active = and_(
        col(ModuleProgress.state).is_not(None),
        col(ModuleProgress.state) != ProgressState.not_started,
    )
    last_activity = func.max(case((active, col(ModuleProgress.updated_at)), else_=None))
    group = (
        col(Enrollment.id),
        col(Participant.id),
        col(Participant.full_name),
        col(Participant.country),
        col(Participant.consular_post),
        col(Enrollment.status),
    )
    query = (
        sa.select(*group[1:], overdue_count, first_missed, last_activity)
        .select_from(Enrollment)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .outerjoin(ModuleProgress, progress_row)
        .where(*_conditions(course_id, filters), col(Enrollment.status).in_(IN_COURSE))
        .group_by(*group)
        .having(overdue_count > 0)
        .order_by(overdue_count.desc(), first_missed, col(Participant.full_name), group[0])
        .limit(limit)
    )
    columns = [
        "participant_id",
        "full_name",
        "country",
        "consular_post",
        "status",
        "overdue_modules",
        "first_missed_due",
        "last_activity",
    ]
    # Nothing is past due yet: nobody is behind (and no query to run).
    rows = session.exec(query).all() if due else []  # type: ignore[call-overload]
    frame = pd.DataFrame(rows, columns=columns)
    frame["first_missed_due"] = [_as_date(value) for value in frame["first_missed_due"]]
    frame["days_behind"] = [max((counted_until - due).days, 0) for due in frame["first_missed_due"]]
    frame["status"] = [str(status) for status in frame["status"]]
    # None, not NaT, for "never": the page and the files show it in words.
    frame["last_activity"] = pd.Series(
        [
            None if pd.isna(value) else pd.Timestamp(value).to_pydatetime()
            for value in frame["last_activity"]
        ],
        index=frame.index,
        dtype=object,
    )
    frame = frame.astype({"overdue_modules": "int64", "days_behind": "int64"})
    return frame[[*columns[:6], "first_missed_due", "days_behind", "last_activity"]]


def _as_date(value: Any) -> date:
    # min() over a CASE loses the column type on some backends: SQLite returns the text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def country_participants(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    country: str,
    filters: ProgressFilters = NO_FILTERS,
) -> pd.DataFrame:
    """The drill-down: one row per participant of `country` (UNKNOWN_COUNTRY: none given)
    with their status, grade and the state of each module (coordinators and admins: names).

    Columns: full_name, consular_post, status, final_grade, then one per module title.
    """
    require_role(actor, STAFF)
    existing_course(session, course_id)
    modules = session.exec(
        select(Module.id, Module.title)
        .where(Module.course_id == course_id)
        .order_by(col(Module.position), col(Module.id))
    ).all()
    conditions = _conditions(course_id, replace(filters, country=country))
    people = session.exec(  # type: ignore[call-overload]
        sa.select(
            col(Enrollment.id),
            col(Participant.full_name),
            col(Participant.consular_post),
            col(Enrollment.status),
            col(Enrollment.final_grade),
        )
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(*conditions)
        .order_by(col(Participant.full_name), col(Enrollment.id))
    ).all()
    states = session.exec(
        select(ModuleProgress.enrollment_id, ModuleProgress.module_id, ModuleProgress.state)
        .join(Enrollment, col(Enrollment.id) == ModuleProgress.enrollment_id)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(*conditions)
    ).all()
    state_of: dict[tuple[Any, Any], str] = {
        (enrollment, module): str(state) for enrollment, module, state in states
    }
    rows = []
    for enrollment_id, full_name, post, status, grade in people:
        row: dict[str, Any] = {
            "full_name": full_name,
            "consular_post": post,
            "status": str(status),
            "final_grade": grade,
        }
        for module_id, title in modules:
            row[title] = state_of.get((enrollment_id, module_id), ProgressState.not_started.value)
        rows.append(row)
    columns = ["full_name", "consular_post", "status", "final_grade", *(t for _i, t in modules)]
    return pd.DataFrame(rows, columns=columns)
