"""The progress dashboard as one page: every part of it for a course, its filters and its
reader in one call (the queries are in `progress`), the view as a URL query string, and the
labels of countries and filters.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any

import pandas as pd
from sqlmodel import Session

from models import UserAccount
from models.enums import EnrollmentStatus, Role
from services.platform import formatting
from services.platform.access import STAFF
from services.platform.i18n import _
from services.platform.labels import country_name, label
from services.platform.settings import get_settings
from services.reporting.progress import (
    ALL_COUNTRIES,
    NO_FILTERS,
    OTHER_COUNTRIES,
    UNKNOWN_COUNTRY,
    CountryProgress,
    CourseChoice,
    ProgressFilters,
    completions_over_time,
    existing_course,
    module_completion_by_country,
    officer_country_of,
    participants_at_risk,
    progress_by_country,
    regional_summary,
)

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
    officer_country = officer_country_of(actor)
    course = existing_course(session, course_id)
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


# ------------------------------------------------------------------------ labels


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
        start = formatting.date_text(filters.enrolled_from) or "…"
        end = formatting.date_text(filters.enrolled_to) or "…"
        labels[_("Enrolled between")] = f"{start} – {end}"
    if filters.country:
        labels[_("Country")] = country_label(filters.country)
    if filters.status:
        labels[_("Status")] = label(filters.status)
    return labels
