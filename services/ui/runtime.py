"""The app's process-wide resources. The only service module that imports Streamlit."""

from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, Generic, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from models import UserAccount
from services.cases import board
from services.courses import catalog as courses
from services.platform import migrate
from services.platform.auth_config import auth_secrets_problem
from services.platform.db import build_engine, session_scope
from services.platform.i18n import N_
from services.platform.settings import Settings, get_settings
from services.reporting import referral_stats

R = TypeVar("R")

if TYPE_CHECKING:
    import pandas as pd

    from services.reporting import dashboard, progress, progress_view
    from services.reporting.report_parts import ReportPart


@st.cache_resource(show_spinner=False)
def get_engine() -> Engine:
    """One engine per process, with the schema brought up to date by the migrations."""
    engine = build_engine(get_settings().database_url)
    migrate.upgrade(engine)
    return engine


def settings() -> Settings:
    return get_settings()


@contextmanager
def db_session() -> Iterator[Session]:
    with session_scope(get_engine()) as session:
        yield session


def run_service(service: Callable[..., R], /, **arguments: Any) -> R:
    """One service call in its own unit of work: committed when it returns, rolled back when it
    raises."""
    with db_session() as session:
        return service(session=session, **arguments)


def clear_caches() -> None:
    """After a write: cached reads must not show stale data."""
    st.cache_data.clear()


ACTOR_KEY = "enlace_actor"


def current_actor() -> UserAccount:
    """The signed-in person's account, resolved by app.py at the start of every run."""
    actor = st.session_state.get(ACTOR_KEY)
    if actor is None:
        _through_the_router()
        st.stop()
    return actor


def _through_the_router() -> None:
    """Run again through app.py when a page was run on its own.

    Streamlit treats a `pages/` folder beside the entrypoint as a legacy (v1) multipage app
    until the entrypoint first calls `st.navigation`. So the first request a fresh server
    gets, if it is a link such as /board, runs pages/board.py alone: no sign-in, no role
    check. Turn the legacy mode off (app.py would on its first run) and rerun the same page,
    this time through app.py.
    """
    from streamlit.runtime.pages_manager import PagesManager

    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()


def auth_problem() -> str | None:
    """Why sign-in cannot be trusted with this server's secrets.toml, or None when it can.

    Checked on every run: while it says something, nobody is treated as signed in (an
    identity cookie signed with a public example secret proves nothing)."""
    try:
        auth = st.secrets["auth"].to_dict() if "auth" in st.secrets else None
    except FileNotFoundError:
        auth = None
    return auth_secrets_problem(auth, get_settings())


# --- cached reads of the progress dashboard and the reports (keys: plain values only) ---


CACHE_ENTRIES = 1000
"""Entries kept per cached read (keyed by account and filters): bounds memory on a busy server."""


def _cache_ttl() -> int:
    """The cache lifetime; a broken configuration is reported by app.py, not at import."""
    from services.platform.settings import ConfigurationError

    try:
        return get_settings().cache_ttl_seconds
    except ConfigurationError:
        return 300


def _reader(session: Session, actor_id: int) -> UserAccount:
    """The account behind a cached read, fresh from the database (never a cache key)."""
    from services.platform import users
    from services.platform.errors import PermissionDenied

    account = users.get_account(session, actor_id)
    if account is None:
        raise PermissionDenied(N_("This account does not exist (any more)."))
    return account


def _read_progress(
    read: Callable[..., R], actor_id: int, query: tuple[tuple[str, str], ...], **arguments: Any
) -> R:
    """A progress read for the dashboard's filters, given as sorted query items."""
    from services.reporting import dashboard

    _code, filters = dashboard.from_query(dict(query))
    with db_session() as session:
        return read(session=session, actor=_reader(session, actor_id), filters=filters, **arguments)


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_dashboard_courses(
    actor_id: int, role: str, country: str | None
) -> "list[progress.CourseChoice]":
    """Courses for the progress dashboard (role and country in the key: after a change of
    role or country the old answer is never served)."""
    from services.reporting import progress

    with db_session() as session:
        return progress.list_dashboard_courses(session=session, actor=_reader(session, actor_id))


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_course_countries(actor_id: int, role: str, course_id: int) -> list[str]:
    from services.reporting import progress

    with db_session() as session:
        return progress.course_countries(
            session=session, actor=_reader(session, actor_id), course_id=course_id
        )


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_progress_dashboard(
    actor_id: int,
    role: str,
    country: str | None,
    language: str,
    course_id: int,
    query: tuple[tuple[str, str], ...],
    today: date,
) -> "dashboard.ProgressDashboard":
    """dashboard.progress_dashboard for the filters given as sorted query items."""
    from services.reporting import dashboard

    return _read_progress(
        dashboard.progress_dashboard, actor_id, query, course_id=course_id, today=today
    )


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_progress_view(*dashboard_key: Any) -> "progress_view.DashboardView":
    """progress_view.dashboard_view of cached_progress_dashboard, with the same key (its
    arguments): building and validating the Altair charts costs more than a warm page's
    queries, so once per TTL."""
    from services.reporting import progress_view

    dashboard = cached_progress_dashboard(*dashboard_key)
    return progress_view.dashboard_view(dashboard)


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_country_participants(
    actor_id: int, role: str, course_id: int, query: tuple[tuple[str, str], ...], country: str
) -> "pd.DataFrame":
    from services.reporting import progress

    return _read_progress(
        progress.country_participants, actor_id, query, course_id=course_id, country=country
    )


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_reports(
    actor_id: int,
    role: str,
    country: str | None,
    language: str,
    threshold: int,
    query: tuple[tuple[str, str], ...],
) -> "dict[str, list[ReportPart]]":
    """report_catalog.build_reports for the filters given as sorted query items: every
    report's parts as published, in the reader's language (role, country, language and the
    threshold in the key: a change of any never serves the old answer)."""
    from services.reporting import report_catalog

    filters = report_catalog.from_query(dict(query))
    with db_session() as session:
        return report_catalog.build_reports(
            session=session, actor=_reader(session, actor_id), filters=filters
        )


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_report_specs(*reports_key: Any) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specs of cached_reports' charts (same key), by part name: building and
    validating Altair's output costs more than the warm queries, so once per TTL."""
    return {
        part.name: part.chart.to_dict()
        for parts in cached_reports(*reports_key).values()
        for part in parts
        if part.chart is not None
    }


class CachedRead(Generic[R]):
    """A read-only service function, cached for the TTL per reader's scope (account, role
    and country: after a change of role or country the old answer is never served) and its
    keyword arguments (plain values or frozen filter dataclasses), cleared by clear_caches()
    after writes. The account is read fresh from the database on a miss, so the service checks
    the role as it always does.

        board_counts = CachedRead(board.board_counts)
        counts = board_counts(actor, filters=CaseFilters(country="AR"))
    """

    def __init__(self, read: Callable[..., R], *, max_entries: int = 5 * CACHE_ENTRIES) -> None:
        def load(
            actor_id: int,
            role: str,
            country: str | None,
            arguments: tuple[tuple[str, Hashable], ...],
        ) -> R:
            with db_session() as session:
                return read(session=session, actor=_reader(session, actor_id), **dict(arguments))

        # Streamlit keys a cached function by module, qualified name and source: one per read.
        load.__qualname__ = f"CachedRead[{read.__module__}.{read.__qualname__}]"
        self._load = st.cache_data(ttl=_cache_ttl(), max_entries=max_entries, show_spinner=False)(
            load
        )

    def __call__(self, actor: UserAccount, **arguments: Hashable) -> R:
        return self._load(
            actor.id or 0, actor.role, actor.country, tuple(sorted(arguments.items()))
        )


# The reads pages may cache (read-only service functions, never a write).
board_counts = CachedRead(board.board_counts)
case_countries = CachedRead(board.case_countries)
list_assignees = CachedRead(board.list_assignees)
list_cases = CachedRead(board.list_cases)
count_enrollments = CachedRead(courses.count_enrollments)
enrollment_countries = CachedRead(courses.enrollment_countries)
list_courses = CachedRead(courses.list_courses)
list_enrollments = CachedRead(courses.list_enrollments)
my_enrollments = CachedRead(courses.my_enrollments)
report_countries = CachedRead(referral_stats.reader_countries)
