"""Course progress by country: the dashboard's aggregates, all computed by SQL GROUP BY,
its charts (Altair specs) and its exports.

Coordinators, managers and admins read every country, the participants at risk and a
country's participant list, and export; a consular officer reads their own country's
aggregates next to the regional ones, and nothing about individual participants.
"""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import altair as alt
import pandas as pd
import sqlalchemy as sa
from sqlalchemy import ColumnElement
from sqlmodel import Session, and_, case, col, exists, func, select

from models import Course, Enrollment, Module, ModuleProgress, Participant, UserAccount
from models.enums import EnrollmentStatus, ProgressState, Role
from services.courses.catalog import MODULE_DONE_STATES
from services.platform import audit
from services.platform.access import DASHBOARD_READERS, STAFF, require_role
from services.platform.errors import NotFound, PermissionDenied
from services.platform.i18n import N_, _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings
from services.reporting import charts, suppression
from services.reporting.export import ExportInfo
from services.reporting.reports import OKABE_ITO

ALL_COUNTRIES = "ALL"
# Completions of the countries whose counts are suppressed, drawn as one line.
OTHER_COUNTRIES = "OTHER"
UNKNOWN_COUNTRY = "??"  # the drill-down's code for participants without a country
DASHBOARD_ROLES = (Role.officer, *DASHBOARD_READERS)
# Who is still expected to finish: only they can be behind schedule.
IN_COURSE = (EnrollmentStatus.invited, EnrollmentStatus.active)
AT_RISK_LIMIT = 200
BAR_COLOUR = OKABE_ITO[0]
RULE_COLOUR = OKABE_ITO[5]

# Items of the page that can be exported: charts (image + data) and tables (data only).
CHARTS = ("completion", "modules", "completions")
TABLES = ("countries", "at_risk")
ITEM_TITLES = {
    "completion": N_("Completion rate by country"),
    "modules": N_("Module completion by country"),
    "completions": N_("Cumulative completions over time"),
    "countries": N_("Progress by country"),
    "at_risk": N_("Participants behind schedule"),
    "participants": N_("Participants and module states"),
}


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


def _officer_country(actor: UserAccount) -> str | None:
    """The country an officer is limited to; None for readers of every country."""
    require_role(actor, DASHBOARD_ROLES)
    if actor.role != Role.officer:
        return None
    if not actor.country:
        raise PermissionDenied(N_("Your account has no country; ask an administrator to set it."))
    return actor.country


def _existing_course(session: Session, course_id: int) -> Course:
    course = session.get(Course, course_id)
    if course is None:
        raise NotFound(N_("This course does not exist (any more)."))
    return course


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
    country = _officer_country(actor)
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


def _country_progress(country: str | None, counts: Sequence[Any]) -> CountryProgress:
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
    country = _officer_country(actor)
    _existing_course(session, course_id)
    query = (
        select(Participant.country, *_progress_columns(today))
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(*_conditions(course_id, filters, officer_country=country))
        .group_by(Participant.country)
        # NULL sorts first on SQLite and last on PostgreSQL: put it last on both.
        .order_by(col(Participant.country).is_(None), Participant.country)
    )
    return [_country_progress(row[0], row[1:]) for row in session.exec(query).all()]


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
    officer_country = _officer_country(actor)
    _existing_course(session, course_id)
    query = (
        select(*_progress_columns(today))
        .select_from(Enrollment)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(
            *_conditions(course_id, filters, officer_country=officer_country, by_country=by_country)
        )
    )
    return _country_progress(ALL_COUNTRIES, session.exec(query).one())


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
    country = _officer_country(actor)
    _existing_course(session, course_id)
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
    country = _officer_country(actor)
    _existing_course(session, course_id)
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
    first_missed_due, days_behind, last_activity (latest progress change, None if never).
    """
    require_role(actor, STAFF)
    _existing_course(session, course_id)
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
    frame["days_behind"] = [(today - due).days for due in frame["first_missed_due"]]
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
    _existing_course(session, course_id)
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


# ------------------------------------------------------------------------ the whole page


@dataclass(frozen=True)
class ProgressDashboard:
    """Everything the page shows for one course, filters and reader (all aggregates, plus
    the participants at risk for readers)."""

    course: CourseChoice
    filters: ProgressFilters
    today: date
    officer_country: str | None
    selection: CountryProgress  # KPIs: the filters' (or the officer's country's) figures
    region: CountryProgress  # every country, other filters applied
    countries: list[CountryProgress]
    modules: list[dict[str, Any]]
    completions: pd.DataFrame
    at_risk: pd.DataFrame | None = None  # names: None for officers and managers
    course_enrolled: int = 0  # before any filter: tells "no enrollments" from "no match"
    filter_labels: dict[str, str] = field(default_factory=dict)
    # Managers see counts of people below it as "<5" (and others hidden with them as "x");
    # None: the reader sees them all (coordinators, admins, officers). Files always suppress.
    small_count_threshold: int | None = None

    @property
    def is_officer_view(self) -> bool:
        return self.officer_country is not None


def progress_dashboard(
    *,
    session: Session,
    actor: UserAccount,
    course_id: int,
    filters: ProgressFilters = NO_FILTERS,
    today: date,
) -> ProgressDashboard:
    """The page in one call. An officer's country filter is always their own country."""
    officer_country = _officer_country(actor)
    course = _existing_course(session, course_id)
    if officer_country is not None:
        filters = replace(filters, country=officer_country)
    common: dict[str, Any] = {
        "session": session,
        "actor": actor,
        "course_id": course_id,
        "filters": filters,
    }
    officer = officer_country is not None
    everyone = regional_summary(session=session, actor=actor, course_id=course_id)
    return ProgressDashboard(
        course=CourseChoice(course.id or 0, course.code, course.title, course.ends_on),
        filters=filters,
        today=today,
        officer_country=officer_country,
        selection=regional_summary(**common, today=today, by_country=True),
        region=regional_summary(**common, today=today),
        countries=progress_by_country(**common, today=today),
        modules=module_completion_by_country(**common, with_region=officer),
        completions=completions_over_time(**common, with_region=officer),
        at_risk=(participants_at_risk(**common, today=today) if actor.role in STAFF else None),
        course_enrolled=everyone.enrolled,
        filter_labels=filter_labels(course.code, filters),
        small_count_threshold=(
            get_settings().small_count_threshold if actor.role == Role.manager else None
        ),
    )


# ------------------------------------------------------------------------ query string


def to_query(course_code: str | None, filters: ProgressFilters, **extra: str | None) -> dict:
    """The view as URL query parameters (only what is set), e.g.
    {"course": "HT-2018", "from": "2018-04-01", "country": "AR", "status": "active"}."""
    values = {
        "course": course_code,
        "from": filters.enrolled_from.isoformat() if filters.enrolled_from else None,
        "to": filters.enrolled_to.isoformat() if filters.enrolled_to else None,
        "country": filters.country,
        "status": str(filters.status) if filters.status else None,
        **extra,
    }
    return {name: value for name, value in values.items() if value}


def from_query(params: Mapping[str, Any]) -> tuple[str | None, ProgressFilters]:
    """(course code, filters) from URL query parameters; a value that does not parse is
    ignored (a shared link never breaks the page)."""

    def text(name: str) -> str | None:
        value = params.get(name)
        if isinstance(value, list):
            value = value[-1] if value else None
        value = str(value).strip() if value is not None else ""
        return value or None

    def day(name: str) -> date | None:
        try:
            return date.fromisoformat(text(name) or "")
        except ValueError:
            return None

    status_text = text("status")
    status = EnrollmentStatus(status_text) if status_text in set(EnrollmentStatus) else None
    country = (text("country") or "").upper()
    valid_country = country == UNKNOWN_COUNTRY or (len(country) == 2 and country.isalpha())
    return text("course"), ProgressFilters(
        enrolled_from=day("from"),
        enrolled_to=day("to"),
        country=country if valid_country else None,
        status=status,
    )


# ------------------------------------------------------------------------ small counts

STATUS_COLUMNS = ("invited", "active", "completed", "withdrawn")


@dataclass(frozen=True)
class PublishedCounts:
    """The dashboard's counts of people as published to a manager or in a file: a number, "<5"
    (small) or "x" (hidden so that no small one can be worked out;
    services/reporting/suppression.py).

    `countries`: per country (the table's rows), enrolled, the statuses and behind, and whether
    its completion rate is hidden. `modules`: the heat map's cells with `completed` and `total`
    as published and `rate_hidden`. `completions`: the countries whose completions may be
    drawn. `selection`: the key figures (enrolled, active, completed, behind).
    """

    threshold: int
    countries: dict[str | None, dict[str, Any]]
    modules: list[dict[str, Any]]
    completions: pd.DataFrame
    selection: dict[str, Any]


def published_counts(dashboard: ProgressDashboard, threshold: int) -> PublishedCounts:
    """Suppress the small counts of people of the dashboard, and enough others with them.

    The country table is a two-way table (countries × statuses, enrolled as row totals) whose
    column totals and grand total are the key figures shown above it; "behind" is a one-way
    table whose total is a key figure too. A completion rate is hidden with any of its counts.
    A heat-map cell shows its rate only where the country's participants remaining are
    published and neither those who completed the module nor those who did not are few.
    """
    rows = dashboard.countries
    grid = suppression.suppress_grid(
        [[getattr(row, column) for column in STATUS_COLUMNS] for row in rows],
        threshold,
        grand_total_public=True,
        column_totals_public=True,
    )
    behind = suppression.suppress_series([row.behind for row in rows], threshold)
    countries: dict[str | None, dict[str, Any]] = {}
    for index, row in enumerate(rows):
        statuses = dict(zip(STATUS_COLUMNS, grid.cells[index], strict=True))
        statuses["enrolled"] = grid.row_totals[index]
        shown = {
            column: suppression.shown(getattr(row, column), status, threshold)
            for column, status in statuses.items()
        }
        shown["behind"] = suppression.shown(row.behind, behind[index], threshold)
        hidden = {column for column, status in statuses.items() if suppression.is_hidden(status)}
        shown["rate_hidden"] = bool(hidden & {"enrolled", "completed", "withdrawn"})
        shown["remaining_public"] = not hidden & {"enrolled", "withdrawn"}
        countries[row.country] = shown
    modules = [_published_cell(cell, countries, threshold) for cell in dashboard.modules]
    selection = dashboard.selection
    key_figures = {
        name: value if not suppression.is_small(value, threshold) else f"<{threshold}"
        for name, value in (
            ("enrolled", selection.enrolled),
            ("active", selection.active),
            ("completed", selection.completed),
            ("behind", selection.behind),
        )
    }
    return PublishedCounts(
        threshold=threshold,
        countries=countries,
        modules=modules,
        completions=_published_completions(dashboard.completions, countries),
        selection=key_figures,
    )


def _published_completions(
    frame: pd.DataFrame, countries: Mapping[str | None, dict[str, Any]]
) -> pd.DataFrame:
    """The completions of countries whose completed count is hidden, as one line: its total is
    the column total (a key figure) minus the visible counts, so it gives nothing away."""
    hidden = {code for code, row in countries.items() if isinstance(row["completed"], str)}
    if frame.empty or not hidden:
        return frame
    merged = frame.assign(
        country=[OTHER_COUNTRIES if code in hidden else code for code in frame["country"]]
    )
    merged = (
        merged.groupby(["country", "completed_on"], sort=False, dropna=False)["completions"]
        .sum()
        .reset_index()
        .sort_values(["completed_on"], kind="stable")
        .reset_index(drop=True)
    )
    merged["cumulative"] = merged.groupby("country", dropna=False)["completions"].cumsum()
    return merged.astype({"completions": "int64", "cumulative": "int64"})


def _published_cell(
    cell: dict[str, Any], countries: Mapping[str | None, dict[str, Any]], threshold: int
) -> dict[str, Any]:
    completed, total = int(cell["completed"]), int(cell["total"])
    row = countries.get(cell["country"])
    total_shown = (row is None or row["remaining_public"]) and not suppression.is_small(
        total, threshold
    )
    few = suppression.is_small(completed, threshold) or suppression.is_small(
        total - completed, threshold
    )
    shown_completed: Any = completed
    if completed and (not total_shown or few):
        small = suppression.is_small(completed, threshold)
        shown_completed = f"<{threshold}" if small else suppression.SECONDARY_MARK
    return {
        **cell,
        "completed": shown_completed,
        "total": total
        if total_shown
        else (f"<{threshold}" if suppression.is_small(total, threshold) else "x"),
        "rate_hidden": not total_shown or few,
    }


# ------------------------------------------------------------------------ labels and tables


def country_label(country: str | None) -> str:
    """A country's name; the region and the unknown country in words."""
    if country == ALL_COUNTRIES:
        return _("Region (all countries)")
    if country == OTHER_COUNTRIES:
        return _("Countries with few participants")
    if not country or country == UNKNOWN_COUNTRY:
        return _("Country unknown")
    return country_name(country)


def filter_labels(course_code: str, filters: ProgressFilters) -> dict[str, str]:
    """The active filters in words, for exported files: {"Course": "HT-2018", ...}."""
    labels = {_("Course"): course_code}
    if filters.enrolled_from or filters.enrolled_to:
        start = filters.enrolled_from.isoformat() if filters.enrolled_from else "…"
        end = filters.enrolled_to.isoformat() if filters.enrolled_to else "…"
        labels[_("Enrolled between")] = f"{start} – {end}"
    if filters.country:
        labels[_("Country")] = country_label(filters.country)
    if filters.status:
        labels[_("Status")] = label(filters.status)
    return labels


def _percent(value: float) -> str:
    return f"{value:.0%}"


def progress_table(
    rows: Sequence[CountryProgress], published: PublishedCounts | None = None
) -> pd.DataFrame:
    """The country table; with `published`, its counts of people as published."""

    def count(row: CountryProgress, column: str) -> Any:
        if published is None or row.country not in published.countries:
            return getattr(row, column)
        return published.countries[row.country][column]

    def rate(row: CountryProgress) -> str:
        if published is not None and published.countries.get(row.country, {}).get("rate_hidden"):
            return suppression.SECONDARY_MARK
        return _percent(row.completion_rate)

    return pd.DataFrame(
        {
            _("Country"): [country_label(row.country) for row in rows],
            _("Enrolled"): [count(row, "enrolled") for row in rows],
            _("Invited"): [count(row, "invited") for row in rows],
            _("Active"): [count(row, "active") for row in rows],
            _("Completed"): [count(row, "completed") for row in rows],
            _("Withdrawn"): [count(row, "withdrawn") for row in rows],
            _("Completion rate"): [rate(row) for row in rows],
            _("Average final grade"): [
                f"{row.average_grade:.1f}" if row.average_grade is not None else "—" for row in rows
            ],
            _("Behind schedule"): [count(row, "behind") for row in rows],
        }
    )


def at_risk_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The participants at risk with translated headers and labels, for the page and files."""
    return pd.DataFrame(
        {
            _("Participant"): frame["full_name"].tolist(),
            _("Country"): [country_label(code) for code in frame["country"]],
            _("Consular post"): frame["consular_post"].tolist(),
            _("Status"): [label(code) for code in frame["status"]],
            _("Modules overdue"): frame["overdue_modules"].tolist(),
            _("Days behind"): frame["days_behind"].tolist(),
            _("First missed due date"): frame["first_missed_due"].tolist(),
            _("Last activity"): [
                value.date() if value is not None and not pd.isna(value) else None
                for value in frame["last_activity"]
            ],
        }
    )


def participants_table(frame: pd.DataFrame) -> pd.DataFrame:
    """The drill-down with translated headers and state labels."""
    fixed = {
        "full_name": _("Participant"),
        "consular_post": _("Consular post"),
        "status": _("Status"),
        "final_grade": _("Final grade"),
    }
    shown = frame.rename(columns=fixed)
    for column in frame.columns:
        if column == "status" or column not in fixed:
            target = fixed.get(column, column)
            shown[target] = [label(code) for code in frame[column]]
    return shown


def module_table(cells: Sequence[dict[str, Any]]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Module"): [f"{cell['position']}. {cell['module_title']}" for cell in cells],
            _("Country"): [country_label(cell["country"]) for cell in cells],
            _("Completed"): [cell["completed"] for cell in cells],
            _("Participants"): [cell["total"] for cell in cells],
            _("Completion rate"): [_cell_rate(cell) for cell in cells],
        }
    )


def _cell_rate(cell: Mapping[str, Any]) -> str:
    if cell.get("rate_hidden"):
        return suppression.SECONDARY_MARK
    return _percent(cell["completed"] / cell["total"]) if cell["total"] else "—"


def completions_table(frame: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Country"): [country_label(code) for code in frame["country"]],
            _("Date"): frame["completed_on"].tolist(),
            _("Completions"): frame["completions"].tolist(),
            _("Cumulative completions"): frame["cumulative"].tolist(),
        }
    )


# ------------------------------------------------------------------------ charts


def completion_chart(
    rows: Sequence[CountryProgress],
    region: CountryProgress | None = None,
    published: PublishedCounts | None = None,
) -> alt.TopLevelMixin:
    """Bars of completion rate by country, counts in the tooltip, and the regional average
    as a rule across them. With `published`, a hidden rate draws no bar and the tooltip
    gives the counts as published."""

    def shown(row: CountryProgress) -> dict[str, Any]:
        numbers = {
            "completion_rate": row.completion_rate,
            "completed": row.completed,
            "remaining": row.enrolled - row.withdrawn,
        }
        counts = published.countries.get(row.country) if published else None
        if counts is None:
            return numbers
        mark = suppression.SECONDARY_MARK
        return {
            "completion_rate": None if counts["rate_hidden"] else row.completion_rate,
            "completed": str(counts["completed"]),
            "remaining": str(numbers["remaining"]) if counts["remaining_public"] else mark,
        }

    values = [shown(row) for row in rows]
    data = pd.DataFrame(
        {
            "country": [country_label(row.country) for row in rows],
            "completion_rate": [value["completion_rate"] for value in values],
            "completed": [value["completed"] for value in values],
            "remaining": [value["remaining"] for value in values],
        }
    )
    bars = (
        alt.Chart(data)
        .mark_bar(color=BAR_COLOUR)
        .encode(
            x=alt.X("country:N", title=_("Country"), sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "completion_rate:Q",
                title=_("Completion rate"),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            tooltip=[
                alt.Tooltip("country:N", title=_("Country")),
                alt.Tooltip("completion_rate:Q", title=_("Completion rate"), format=".0%"),
                alt.Tooltip("completed:N", title=_("Completed")),
                alt.Tooltip("remaining:N", title=_("Enrolled, not withdrawn")),
            ],
        )
    )
    title = _("Completion rate by country")
    if region is None:
        return bars.properties(title=title)
    average = pd.DataFrame(
        {
            "average": [region.completion_rate],
            "caption": [_("Regional average {rate}").format(rate=_percent(region.completion_rate))],
        }
    )
    base = alt.Chart(average).encode(
        y="average:Q",
        tooltip=[alt.Tooltip("average:Q", title=_("Regional average"), format=".0%")],
    )
    rule = base.mark_rule(color=RULE_COLOUR, strokeDash=[6, 3], strokeWidth=2)
    text = base.mark_text(
        color=RULE_COLOUR, align="right", baseline="bottom", dy=-3, x="width"
    ).encode(text="caption:N")
    return alt.layer(bars, rule, text).properties(title=title, width=520, height=300)


def module_heatmap(cells: Sequence[dict[str, Any]]) -> alt.TopLevelMixin:
    """Module (rows, in course order) × country (columns) coloured by completion rate."""
    data = pd.DataFrame(
        {
            "module": [f"{cell['position']}. {cell['module_title']}" for cell in cells],
            "country": [country_label(cell["country"]) for cell in cells],
            "rate": [
                None
                if cell.get("rate_hidden")
                else (cell["completed"] / cell["total"] if cell["total"] else 0.0)
                for cell in cells
            ],
            "completed": [str(cell["completed"]) for cell in cells],
            "total": [str(cell["total"]) for cell in cells],
            "label": [_cell_rate(cell) for cell in cells],
        }
    )
    modules = list(dict.fromkeys(data["module"]))
    countries = list(dict.fromkeys(data["country"]))
    base = alt.Chart(data).encode(
        x=alt.X("country:N", title=_("Country"), sort=countries, axis=alt.Axis(labelAngle=0)),
        y=alt.Y("module:N", title=_("Module"), sort=modules),
        tooltip=[
            alt.Tooltip("module:N", title=_("Module")),
            alt.Tooltip("country:N", title=_("Country")),
            alt.Tooltip("rate:Q", title=_("Completion rate"), format=".0%"),
            alt.Tooltip("completed:N", title=_("Completed")),
            alt.Tooltip("total:N", title=_("Participants")),
        ],
    )
    # Viridis: ordered light-to-dark for every common colour-vision deficiency.
    cells_mark = base.mark_rect().encode(
        color=alt.Color(
            "rate:Q",
            title=_("Completion rate"),
            scale=alt.Scale(scheme="viridis", domain=[0, 1], reverse=True),
            legend=alt.Legend(format="%"),
        )
    )
    text = base.mark_text(fontSize=11).encode(
        text=alt.Text("label:N"),
        color=alt.condition("datum.rate > 0.5", alt.value("white"), alt.value("black")),
    )
    return alt.layer(cells_mark, text).properties(
        title=_("Module completion by country"),
        width=max(60 * len(countries), 240),
        height=max(28 * len(modules), 120),
    )


def completions_chart(frame: pd.DataFrame, ends_on: date | None = None) -> alt.TopLevelMixin:
    """Cumulative completions per country over time (colour and dash per country), with the
    course end date marked."""
    data = pd.DataFrame(
        {
            "country": [country_label(code) for code in frame["country"]],
            "date": pd.to_datetime(frame["completed_on"]),
            "cumulative": frame["cumulative"].astype("int64"),
            "completions": frame["completions"].astype("int64"),
        }
    )
    countries = list(dict.fromkeys(data["country"]))
    lines = (
        alt.Chart(data)
        .mark_line(interpolate="step-after", point=True)
        .encode(
            x=alt.X("date:T", title=_("Date completed")),
            y=alt.Y("cumulative:Q", title=_("Completions (cumulative)")),
            color=alt.Color(
                "country:N",
                title=_("Country"),
                sort=countries,
                scale=alt.Scale(range=OKABE_ITO),
            ),
            strokeDash=alt.StrokeDash("country:N", title=_("Country"), sort=countries),
            tooltip=[
                alt.Tooltip("country:N", title=_("Country")),
                alt.Tooltip("date:T", title=_("Date"), format="%Y-%m-%d"),
                alt.Tooltip("completions:Q", title=_("Completions that day")),
                alt.Tooltip("cumulative:Q", title=_("Completions (cumulative)")),
            ],
        )
    )
    title = _("Cumulative completions over time")
    if ends_on is None:
        return lines.properties(title=title, width=520, height=300)
    end = pd.DataFrame(
        {"date": [pd.Timestamp(ends_on)], "caption": [_("Course end {date}").format(date=ends_on)]}
    )
    base = alt.Chart(end).encode(
        x="date:T", tooltip=[alt.Tooltip("caption:N", title=_("Course end"))]
    )
    rule = base.mark_rule(color="#000000", strokeDash=[4, 4])
    text = base.mark_text(align="right", baseline="top", dx=-4, y=4).encode(text="caption:N")
    return alt.layer(lines, rule, text).properties(title=title, width=520, height=300)


def dashboard_charts(
    dashboard: ProgressDashboard, published: PublishedCounts | None = None
) -> dict[str, alt.TopLevelMixin]:
    """Every chart of the page, by name (CHARTS); only those with data to draw. With
    `published`, drawn from the counts as published (small ones suppressed)."""
    compared = dashboard.countries
    modules = published.modules if published else dashboard.modules
    completions = published.completions if published else dashboard.completions
    built: dict[str, alt.TopLevelMixin] = {}
    if compared:
        built["completion"] = completion_chart(compared, dashboard.region, published)
    if modules:
        built["modules"] = module_heatmap(modules)
    if not completions.empty:
        built["completions"] = completions_chart(completions, dashboard.course.ends_on)
    return built


@dataclass(frozen=True)
class DashboardView:
    """What the page draws, ready to send: Vega-Lite specs (Altair's output, validated once)
    and the tables with translated headers. Built once per dashboard and language."""

    specs: dict[str, dict[str, Any]]
    countries_table: pd.DataFrame
    at_risk_table: pd.DataFrame | None
    # The key figures as shown: numbers, or "<5" for a manager when small.
    key_figures: dict[str, Any] = field(default_factory=dict)


def _published(dashboard: ProgressDashboard, threshold: int | None) -> PublishedCounts | None:
    return None if threshold is None else published_counts(dashboard, threshold)


def dashboard_view(dashboard: ProgressDashboard) -> DashboardView:
    """The page's charts as specs and its tables, in the current language; for a manager,
    with the small counts of people suppressed (dashboard.small_count_threshold)."""
    compared = (
        [*dashboard.countries, dashboard.region]
        if dashboard.is_officer_view
        else dashboard.countries
    )
    at_risk = dashboard.at_risk
    published = _published(dashboard, dashboard.small_count_threshold)
    selection = dashboard.selection
    key_figures: dict[str, Any] = (
        published.selection
        if published
        else {
            "enrolled": selection.enrolled,
            "active": selection.active,
            "completed": selection.completed,
            "behind": selection.behind,
        }
    )
    return DashboardView(
        specs={
            name: chart.to_dict() for name, chart in dashboard_charts(dashboard, published).items()
        },
        # As text when suppressed: a column of numbers and "<5" is not one Arrow type.
        countries_table=(
            progress_table(compared, published).astype(str)
            if published
            else progress_table(compared)
        ),
        at_risk_table=None if at_risk is None or at_risk.empty else at_risk_table(at_risk),
        key_figures=key_figures,
    )


def export_threshold(dashboard: ProgressDashboard) -> int:
    """Files always suppress small counts of people: the manager's threshold, or the setting."""
    return dashboard.small_count_threshold or get_settings().small_count_threshold


def item_frame(
    dashboard: ProgressDashboard, item: str, published: PublishedCounts | None = None
) -> pd.DataFrame:
    """The data behind a chart or table, as exported (translated headers); with `published`,
    the counts of people as published."""
    if item == "completion" or item == "countries":
        return progress_table(dashboard.countries, published)
    if item == "modules":
        return module_table(published.modules if published else dashboard.modules)
    if item == "completions":
        return completions_table(published.completions if published else dashboard.completions)
    if item == "at_risk" and dashboard.at_risk is not None:
        return at_risk_table(dashboard.at_risk)
    raise ValueError(f"nothing to export named {item!r}")


def export_info(dashboard: ProgressDashboard, item: str) -> ExportInfo:
    return ExportInfo(
        title=_(ITEM_TITLES[item]),
        source=_("Enlace — course progress ({code})").format(code=dashboard.course.code),
        filters=dashboard.filter_labels,
    )


# ------------------------------------------------------------------------ exports


def _suppressed_info(info: ExportInfo, dashboard: ProgressDashboard) -> ExportInfo:
    """The file's header lines, with what "<5" and "x" mean."""
    threshold = export_threshold(dashboard)
    return replace(
        info,
        filters={
            **info.filters,
            _("Counts below {threshold} shown as").format(threshold=threshold): f"<{threshold}",
            _("Counts hidden so that no small count can be worked out, shown as"): (
                suppression.SECONDARY_MARK
            ),
        },
    )


def _record_export(
    session: Session, actor: UserAccount, dashboard: ProgressDashboard, item: str, fmt: str
) -> None:
    audit.record(
        session,
        actor=actor,
        action=audit.AuditAction.export,
        entity="progress",
        entity_id=dashboard.course.code,
        changes=audit.diff({}, {"item": item, "format": fmt, **to_query(None, dashboard.filters)}),
    )


def export_item(
    *,
    session: Session,
    actor: UserAccount,
    dashboard: ProgressDashboard,
    item: str,
    fmt: str,
) -> charts.ExportFile:
    """One chart as PNG/SVG/PDF, or a chart's or table's data as CSV/XLSX; audited.

    Coordinators, managers and admins only; small counts of people suppressed. The caller
    commits (the audit event)."""
    require_role(actor, STAFF if item == "at_risk" else DASHBOARD_READERS)  # names: staff
    info = _suppressed_info(export_info(dashboard, item), dashboard)
    published = published_counts(dashboard, export_threshold(dashboard))
    if fmt in charts.IMAGE_FORMATS:
        built = dashboard_charts(dashboard, published)
        if item not in built:
            raise ValueError(f"no chart named {item!r} to draw")
        file = charts.chart_file(built[item], info, fmt)
    else:
        file = charts.data_file(item_frame(dashboard, item, published), info, fmt)
    _record_export(session, actor, dashboard, item, fmt)
    return file


def export_pack(
    *, session: Session, actor: UserAccount, dashboard: ProgressDashboard, fmt: str
) -> charts.ExportFile:
    """The report pack: "pdf" (one PDF, every chart under a cover with the filters) or
    "zip" (every chart as PNG, SVG and PDF, every table as CSV and XLSX); audited."""
    require_role(actor, DASHBOARD_READERS)
    info = ExportInfo(
        title=_("Progress by country — {code}").format(code=dashboard.course.code),
        source=export_info(dashboard, "countries").source,
        filters=dashboard.filter_labels,
    )
    info = _suppressed_info(info, dashboard)
    published = published_counts(dashboard, export_threshold(dashboard))
    built = dashboard_charts(dashboard, published)
    if fmt == "pdf":
        file = charts.report_pdf(list(built.values()), info)
    elif fmt == "zip":
        files = [
            charts.chart_file(
                chart, _suppressed_info(export_info(dashboard, name), dashboard), image
            )
            for name, chart in built.items()
            for image in charts.IMAGE_FORMATS
        ]
        items = [*built, *(t for t in TABLES if t != "at_risk" or dashboard.at_risk is not None)]
        files += [
            charts.data_file(
                item_frame(dashboard, name, published),
                _suppressed_info(export_info(dashboard, name), dashboard),
                data,
            )
            for name in dict.fromkeys(items)
            if name != "completion"
            for data in charts.DATA_FORMATS
        ]
        file = charts.report_zip(files, info)
    else:
        raise ValueError(f"unknown pack format {fmt!r}; use pdf or zip")
    _record_export(session, actor, dashboard, "pack", fmt)
    return file
