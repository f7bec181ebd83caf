"""Course progress by country: the dashboard's aggregates, all computed by SQL GROUP BY.

Coordinators, managers and admins read every country; a consular officer reads their own
country and the regional aggregate.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import altair as alt
import pandas as pd
import sqlalchemy as sa
from sqlmodel import Session, and_, case, col, exists, func, select

from models import Course, Enrollment, Module, ModuleProgress, Participant, UserAccount
from models.enums import EnrollmentStatus, Role
from services.access import DASHBOARD_READERS, require_role
from services.courses import MODULE_DONE_STATES
from services.errors import NotFound, PermissionDenied
from services.i18n import _
from services.labels import country_name

ALL_COUNTRIES = "ALL"
DASHBOARD_ROLES = (Role.officer, *DASHBOARD_READERS)


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


@dataclass(frozen=True)
class CourseChoice:
    id: int
    code: str
    title: str


def _officer_country(actor: UserAccount) -> str | None:
    """The country an officer is limited to; None for readers of every country."""
    require_role(actor, DASHBOARD_ROLES)
    if actor.role != Role.officer:
        return None
    if not actor.country:
        raise PermissionDenied(_("Your account has no country; ask an administrator to set it."))
    return actor.country


def _existing_course(session: Session, course_id: int) -> None:
    if session.get(Course, course_id) is None:
        raise NotFound(_("This course does not exist (any more)."))


def list_dashboard_courses(*, session: Session, actor: UserAccount) -> list[CourseChoice]:
    """Courses to pick on the dashboard: every current one, or, for an officer, those with
    participants from their country."""
    country = _officer_country(actor)
    query = select(Course.id, Course.code, Course.title).where(col(Course.archived_at).is_(None))
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
    return [CourseChoice(*row) for row in session.exec(query).all()]


def _status_count(status: EnrollmentStatus) -> Any:
    return func.coalesce(func.sum(case((Enrollment.status == status, 1), else_=0)), 0)


def _progress_columns() -> tuple[Any, ...]:
    return (
        func.count(col(Enrollment.id)),
        _status_count(EnrollmentStatus.invited),
        _status_count(EnrollmentStatus.active),
        _status_count(EnrollmentStatus.completed),
        _status_count(EnrollmentStatus.withdrawn),
        func.avg(Enrollment.final_grade),
    )


def _country_progress(country: str | None, counts: Sequence[Any]) -> CountryProgress:
    enrolled, invited, active, completed, withdrawn, average_grade = counts
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
    )


def progress_by_country(
    *, session: Session, actor: UserAccount, course_id: int
) -> list[CountryProgress]:
    """One row per participants' country (unknown country last, as None).

    Completion rate = completed / (enrolled - withdrawn), 0 when nobody remains.
    An officer gets their own country's row only.
    """
    country = _officer_country(actor)
    _existing_course(session, course_id)
    query = (
        select(Participant.country, *_progress_columns())
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .where(Enrollment.course_id == course_id)
        .group_by(Participant.country)
        # NULL sorts first on SQLite and last on PostgreSQL: put it last on both.
        .order_by(col(Participant.country).is_(None), Participant.country)
    )
    if country is not None:
        query = query.where(Participant.country == country)
    return [_country_progress(row[0], row[1:]) for row in session.exec(query).all()]


def regional_summary(*, session: Session, actor: UserAccount, course_id: int) -> CountryProgress:
    """The whole course as one row, country "ALL"."""
    require_role(actor, DASHBOARD_ROLES)
    _existing_course(session, course_id)
    query = select(*_progress_columns()).where(Enrollment.course_id == course_id)
    return _country_progress(ALL_COUNTRIES, session.exec(query).one())


def module_completion_by_country(
    *, session: Session, actor: UserAccount, course_id: int
) -> list[dict[str, Any]]:
    """Per module and country: participants who completed it / participants remaining.

    Withdrawn participants are left out of both counts; a module added after someone
    enrolled counts as not started for them. An officer gets their own country only.
    """
    country = _officer_country(actor)
    _existing_course(session, course_id)
    done = func.coalesce(
        func.sum(case((col(ModuleProgress.state).in_(MODULE_DONE_STATES), 1), else_=0)), 0
    )
    query = (
        sa.select(
            col(Module.id),
            col(Module.position),
            col(Module.title),
            col(Participant.country),
            done,
            func.count(col(Enrollment.id)),
        )
        .select_from(Enrollment)
        .join(Participant, col(Participant.id) == Enrollment.participant_id)
        .join(Module, col(Module.course_id) == Enrollment.course_id)
        .outerjoin(
            ModuleProgress,
            and_(
                col(ModuleProgress.enrollment_id) == Enrollment.id,
                col(ModuleProgress.module_id) == Module.id,
            ),
        )
        .where(
            col(Enrollment.course_id) == course_id,
            col(Enrollment.status) != EnrollmentStatus.withdrawn,
        )
        .group_by(col(Module.id), col(Module.position), col(Module.title), col(Participant.country))
        .order_by(
            col(Module.position),
            col(Module.id),
            col(Participant.country).is_(None),
            col(Participant.country),
        )
    )
    if country is not None:
        query = query.where(col(Participant.country) == country)
    rows = session.exec(query).all()  # type: ignore[call-overload]
    return [
        {
            "module_id": module_id,
            "position": position,
            "module_title": title,
            "country": module_country,
            "completed": int(completed),
            "total": int(total),
        }
        for module_id, position, title, module_country, completed, total in rows
    ]


# ------------------------------------------------------------- tables and charts


def country_label(country: str | None) -> str:
    """A country's name; the region and the unknown country in words."""
    if country == ALL_COUNTRIES:
        return _("Region (all countries)")
    if not country:
        return _("Country unknown")
    return country_name(country)


def progress_table(rows: Sequence[CountryProgress]) -> pd.DataFrame:
    return pd.DataFrame(
        {
            _("Country"): [country_label(row.country) for row in rows],
            _("Enrolled"): [row.enrolled for row in rows],
            _("Invited"): [row.invited for row in rows],
            _("Active"): [row.active for row in rows],
            _("Completed"): [row.completed for row in rows],
            _("Withdrawn"): [row.withdrawn for row in rows],
            _("Completion rate"): [f"{row.completion_rate:.0%}" for row in rows],
            _("Average final grade"): [
                f"{row.average_grade:.1f}" if row.average_grade is not None else "—"
                for row in rows
            ],
        }
    )


def completion_chart(rows: Sequence[CountryProgress]) -> alt.Chart:
    """Bars of completion rate by country, with counts in the tooltip."""
    data = pd.DataFrame(
        {
            "country": [country_label(row.country) for row in rows],
            "completion_rate": [row.completion_rate for row in rows],
            "completed": [row.completed for row in rows],
            "remaining": [row.enrolled - row.withdrawn for row in rows],
        }
    )
    return (
        alt.Chart(data, title=_("Completion rate by country"))
        .mark_bar()
        .encode(
            x=alt.X("country:N", title=_("Country"), sort=None, axis=alt.Axis(labelAngle=0)),
            y=alt.Y(
                "completion_rate:Q",
                title=_("Completion rate"),
                axis=alt.Axis(format="%"),
                scale=alt.Scale(domain=[0, 1]),
            ),
            color=alt.Color("country:N", scale=alt.Scale(scheme="tableau10"), legend=None),
            tooltip=[
                alt.Tooltip("country:N", title=_("Country")),
                alt.Tooltip("completion_rate:Q", title=_("Completion rate"), format=".0%"),
                alt.Tooltip("completed:Q", title=_("Completed")),
                alt.Tooltip("remaining:Q", title=_("Enrolled, not withdrawn")),
            ],
        )
    )
