"""The app's process-wide resources. The only service module that imports Streamlit."""

import functools
import logging
from collections.abc import Callable, Hashable, Iterator
from contextlib import contextmanager
from datetime import date
from typing import TYPE_CHECKING, Any, Concatenate, Generic, ParamSpec, TypeVar

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session
from streamlit.runtime.scriptrunner_utils.script_run_context import get_script_run_ctx

from models import UserAccount
from services.cases import board
from services.courses import catalog as courses
from services.platform import data_version, migrate
from services.platform.auth_config import auth_secrets_problem
from services.platform.db import build_engine, session_scope
from services.platform.i18n import N_
from services.platform.settings import Settings, get_settings
from services.reporting import referral_stats

R = TypeVar("R")
P = ParamSpec("P")

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


@st.cache_resource(show_spinner=False)
def get_read_engine() -> Engine | None:
    """The read-only engine of ENLACE_READ_DATABASE_URL (a streaming replica) for dashboard
    and report reads, or None: everything reads the primary."""
    url = get_settings().read_database_url
    return build_engine(url, read_only=True) if url else None


def clear_caches() -> None:
    """After one's own write: this process's cached reads are emptied, the next read asks
    the database for the data versions again (which the write bumped: so every other process
    sees it too), and with a read replica, this person reads the primary until the replica
    has replayed the write."""
    st.cache_data.clear()
    if get_script_run_ctx() is None:
        return
    st.session_state.pop(VERSIONS_KEY, None)
    if get_read_engine() is not None:
        with get_engine().connect() as connection:
            st.session_state[WROTE_KEY] = data_version.read(connection)


# --- data versions: the key of every cached read ---

CACHE_ENTRIES = 1000
"""Entries kept per cached read (keyed by account and filters): bounds memory on a busy server."""

VERSIONS_KEY = "enlace_data_versions"
"""This run's data versions, per source ("primary", "replica"): read once per run."""
WROTE_KEY = "enlace_wrote_versions"
"""The primary's data versions after this person's last write, while a replica lags them."""
PRIMARY, REPLICA = "primary", "replica"
CASES = ("accounts", "cases")
COURSES = ("accounts", "courses")


def start_run() -> None:
    """app.py, at the start of every run: the data versions are read again at the run's
    first cached read (one tiny query), so a write through any process is seen at the next
    click."""
    st.session_state.pop(VERSIONS_KEY, None)


def _engine(source: str) -> Engine:
    return (get_read_engine() if source == REPLICA else None) or get_engine()


def _versions(source: str) -> dict[str, int]:
    """The data versions on `source`, memoised for the run (fresh outside a run)."""
    if get_script_run_ctx() is None:
        with _engine(source).connect() as connection:
            return data_version.read(connection)
    memo = st.session_state.setdefault(VERSIONS_KEY, {})
    if source not in memo:
        with _engine(source).connect() as connection:
            memo[source] = data_version.read(connection)
    return dict(memo[source])


def report_source() -> str:
    """Where this run's dashboard and report reads go: the replica when there is one, unless
    it has not yet replayed this person's last write (its data versions are below the
    primary's right after that write); then the primary, until it has."""
    if get_read_engine() is None:
        return PRIMARY
    wrote: dict[str, int] | None = (
        st.session_state.get(WROTE_KEY) if get_script_run_ctx() is not None else None
    )
    if wrote:
        replayed = _versions(REPLICA)
        if any(replayed.get(domain, 0) < version for domain, version in wrote.items()):
            return PRIMARY
        st.session_state.pop(WROTE_KEY, None)
    return REPLICA


def _reachable(choose: Callable[[], str]) -> str:
    """The source `choose` picks, or the primary while the replica cannot be reached (the
    dashboards slow down the primary rather than fail)."""
    from sqlalchemy.exc import OperationalError

    try:
        source = choose()
        _versions(source)
        return source
    except OperationalError as error:
        logging.getLogger("enlace.read_replica").warning(
            "read replica unreachable, reading the primary: %s", str(error.orig).strip()
        )
        return PRIMARY


def _coherent(
    domains: tuple[str, ...], *, replica: bool = False, max_entries: int = CACHE_ENTRIES
) -> Callable[[Callable[Concatenate[str, tuple[int, ...], P], R]], Callable[P, R]]:
    """A cached read whose first two arguments, the source ("primary" or "replica") and its
    data versions of `domains`, are given by this wrapper: an entry written at version v
    holds data at least as new as v (the versions are read before the data, from the same
    server), and a write anywhere bumps v, so the entry is never served after it."""

    def decorate(read: Callable[Concatenate[str, tuple[int, ...], P], R]) -> Callable[P, R]:
        cached = st.cache_data(ttl=_cache_ttl(), max_entries=max_entries, show_spinner=False)(read)

        @functools.wraps(read)
        def call(*args: P.args, **kwargs: P.kwargs) -> R:
            source = _reachable(report_source) if replica else PRIMARY
            versions = _versions(source)
            return cached(source, tuple(versions[d] for d in domains), *args, **kwargs)

        return call

    return decorate


@contextmanager
def _read_session(source: str) -> Iterator[Session]:
    with session_scope(_engine(source)) as session:
        yield session


ACTOR_KEY = "enlace_actor"
SESSION_MARK = "enlace_session_started"
REROUTED_KEY = "enlace_rerouted"


def arrived_from_another_server() -> bool:
    """True on the first run of a session whose browser already holds widget values: its
    session was started on a server that has since died or restarted, and the browser has
    reconnected here (through the proxy, to another replica). The sign-in cookie still holds
    and the widgets the browser shows are sent again, but what lived only in the old server's
    memory (a file being uploaded, a step of a form not yet saved) is gone. Call once per run,
    first (app.py)."""
    if get_script_run_ctx() is None or SESSION_MARK in st.session_state:
        return False
    st.session_state[SESSION_MARK] = True
    ctx = get_script_run_ctx()
    state = getattr(getattr(ctx, "session_state", None), "_state", None)
    widgets = getattr(state, "_new_widget_state", None)
    return bool(widgets is not None and len(widgets))


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
    # Several first requests at once (a replica that just started, under load): another
    # session turned the legacy mode off while this one's page already ran alone. Once per
    # session, or it would be left blank.
    if not st.session_state.get(REROUTED_KEY):
        st.session_state[REROUTED_KEY] = True
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
    source: str,
    read: Callable[..., R],
    actor_id: int,
    query: tuple[tuple[str, str], ...],
    **arguments: Any,
) -> R:
    """A progress read for the dashboard's filters, given as sorted query items."""
    from services.reporting import dashboard

    _code, filters = dashboard.from_query(dict(query))
    with _read_session(source) as session:
        return read(session=session, actor=_reader(session, actor_id), filters=filters, **arguments)


# The dashboard and report reads: on the read replica when there is one (report_source).
# Their first two arguments, the source and the data versions, are given by _coherent.


@_coherent(COURSES, replica=True)
def cached_dashboard_courses(
    source: str, versions: tuple[int, ...], actor_id: int, role: str, country: str | None
) -> "list[progress.CourseChoice]":
    """Courses for the progress dashboard (role and country in the key: after a change of
    role or country the old answer is never served)."""
    from services.reporting import progress

    with _read_session(source) as session:
        return progress.list_dashboard_courses(session=session, actor=_reader(session, actor_id))


@_coherent(COURSES, replica=True)
def cached_course_countries(
    source: str, versions: tuple[int, ...], actor_id: int, role: str, course_id: int
) -> list[str]:
    from services.reporting import progress

    with _read_session(source) as session:
        return progress.course_countries(
            session=session, actor=_reader(session, actor_id), course_id=course_id
        )


@_coherent(COURSES, replica=True)
def cached_progress_dashboard(
    source: str,
    versions: tuple[int, ...],
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
        source, dashboard.progress_dashboard, actor_id, query, course_id=course_id, today=today
    )


@_coherent(COURSES, replica=True)
def cached_progress_view(
    source: str, versions: tuple[int, ...], *dashboard_key: Any
) -> "progress_view.DashboardView":
    """progress_view.dashboard_view of cached_progress_dashboard, with the same key (its
    arguments): building and validating the Altair charts costs more than a warm page's
    queries, so once per data version."""
    from services.reporting import progress_view

    dashboard = cached_progress_dashboard(*dashboard_key)
    return progress_view.dashboard_view(dashboard)


@_coherent(COURSES, replica=True)
def cached_country_participants(
    source: str,
    versions: tuple[int, ...],
    actor_id: int,
    role: str,
    course_id: int,
    query: tuple[tuple[str, str], ...],
    country: str,
) -> "pd.DataFrame":
    from services.reporting import progress

    return _read_progress(
        source, progress.country_participants, actor_id, query, course_id=course_id, country=country
    )


@_coherent(("accounts", "cases", "courses"), replica=True)
def cached_reports(
    source: str,
    versions: tuple[int, ...],
    actor_id: int,
    role: str,
    country: str | None,
    language: str,
    threshold: int,
    query: tuple[tuple[str, str], ...],
    names: tuple[str, ...],
) -> "dict[str, list[ReportPart]]":
    """report_catalog.build_report of each of `names` for the filters given as sorted query
    items: the reports' parts as published, in the reader's language (role, country, language
    and the threshold in the key: a change of any never serves the old answer). Courses are in
    the versions too: the training-impact report reads course completions."""
    from services.reporting import report_catalog

    filters = report_catalog.from_query(dict(query))
    with _read_session(source) as session:
        reader = _reader(session, actor_id)
        return {
            name: report_catalog.build_report(name, session=session, actor=reader, filters=filters)
            for name in names
        }


@_coherent(("accounts", "cases", "courses"), replica=True)
def cached_report_specs(
    source: str, versions: tuple[int, ...], *reports_key: Any
) -> dict[str, dict[str, Any]]:
    """The Vega-Lite specs of cached_reports' charts (same key), by part name: building and
    validating Altair's output costs more than the warm queries, so once per data version."""
    return {
        part.name: part.chart.to_dict()
        for parts in cached_reports(*reports_key).values()
        for part in parts
        if part.chart is not None
    }


class CachedRead(Generic[R]):
    """A read-only service function, cached per reader's scope (account, role and country:
    after a change of role or country the old answer is never served), its keyword arguments
    (plain values or frozen filter dataclasses) and the data versions of its `domains` (a
    write through any process is seen at the next run), on the primary. The account is read
    fresh from the database on a miss, so the service checks the role as it always does.

        board_counts = CachedRead(board.board_counts, CASES)
        counts = board_counts(actor, filters=CaseFilters(country="AR"))
    """

    def __init__(
        self,
        read: Callable[..., R],
        domains: tuple[str, ...],
        *,
        max_entries: int = 5 * CACHE_ENTRIES,
    ) -> None:
        def load(
            source: str,
            versions: tuple[int, ...],
            actor_id: int,
            role: str,
            country: str | None,
            arguments: tuple[tuple[str, Hashable], ...],
        ) -> R:
            with _read_session(source) as session:
                return read(session=session, actor=_reader(session, actor_id), **dict(arguments))

        # Streamlit keys a cached function by module, qualified name and source: one per read.
        load.__qualname__ = f"CachedRead[{read.__module__}.{read.__qualname__}]"
        self._load = _coherent(domains, max_entries=max_entries)(load)

    def __call__(self, actor: UserAccount, **arguments: Hashable) -> R:
        return self._load(
            actor.id or 0, actor.role, actor.country, tuple(sorted(arguments.items()))
        )


# The reads pages may cache (read-only service functions, never a write).
board_counts = CachedRead(board.board_counts, CASES)
case_countries = CachedRead(board.case_countries, CASES)
list_assignees = CachedRead(board.list_assignees, CASES)
list_cases = CachedRead(board.list_cases, CASES)
count_enrollments = CachedRead(courses.count_enrollments, COURSES)
enrollment_countries = CachedRead(courses.enrollment_countries, COURSES)
list_courses = CachedRead(courses.list_courses, COURSES)
list_enrollments = CachedRead(courses.list_enrollments, COURSES)
my_enrollments = CachedRead(courses.my_enrollments, COURSES)
report_countries = CachedRead(referral_stats.reader_countries, CASES)
