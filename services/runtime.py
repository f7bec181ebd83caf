"""The app's process-wide resources. The only service module that imports Streamlit."""

import importlib
from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services import migrate
from services.auth_config import auth_secrets_problem
from services.db import build_engine, session_scope
from services.settings import Settings, get_settings


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


def clear_caches() -> None:
    """After a write: cached reads must not show stale data."""
    st.cache_data.clear()


ACTOR_KEY = "enlace_actor"


def current_actor():  # type: ignore[no-untyped-def]
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
    from services.settings import ConfigurationError

    try:
        return get_settings().cache_ttl_seconds
    except ConfigurationError:
        return 300


def _reader(session: Session, actor_id: int):  # type: ignore[no-untyped-def]
    """The account behind a cached read, fresh from the database (never a cache key)."""
    from services import users
    from services.errors import PermissionDenied

    account = users.get_account(session, actor_id)
    if account is None:
        raise PermissionDenied("no such account")
    return account


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_dashboard_courses(actor_id: int, role: str, country: str | None):  # type: ignore[no-untyped-def]
    """Courses for the progress dashboard (role and country in the key: after a change of
    role or country the old answer is never served)."""
    from services import progress

    with db_session() as session:
        return progress.list_dashboard_courses(session=session, actor=_reader(session, actor_id))


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_course_countries(actor_id: int, role: str, course_id: int) -> list[str]:
    from services import progress

    with db_session() as session:
        return progress.course_countries(
            session=session, actor=_reader(session, actor_id), course_id=course_id
        )


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_progress_dashboard(  # type: ignore[no-untyped-def]
    actor_id: int,
    role: str,
    country: str | None,
    language: str,
    course_id: int,
    query: tuple[tuple[str, str], ...],
    today,  # noqa: ANN001  (a datetime.date)
):
    """progress.progress_dashboard for the filters given as sorted query items."""
    from services import progress

    _code, filters = progress.from_query(dict(query))
    with db_session() as session:
        return progress.progress_dashboard(
            session=session,
            actor=_reader(session, actor_id),
            course_id=course_id,
            filters=filters,
            today=today,
        )


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_progress_view(  # type: ignore[no-untyped-def]
    actor_id: int,
    role: str,
    country: str | None,
    language: str,
    course_id: int,
    query: tuple[tuple[str, str], ...],
    today,  # noqa: ANN001  (a datetime.date)
):
    """progress.dashboard_view of cached_progress_dashboard (same key): building and
    validating the Altair charts costs more than a warm page's queries, so once per TTL."""
    from services import progress

    board = cached_progress_dashboard(actor_id, role, country, language, course_id, query, today)
    return progress.dashboard_view(board)


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_country_participants(  # type: ignore[no-untyped-def]
    actor_id: int, role: str, course_id: int, query: tuple[tuple[str, str], ...], country: str
):
    from services import progress

    _code, filters = progress.from_query(dict(query))
    with db_session() as session:
        return progress.country_participants(
            session=session,
            actor=_reader(session, actor_id),
            course_id=course_id,
            country=country,
            filters=filters,
        )


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_referral_reports(actor_id: int, role: str):  # type: ignore[no-untyped-def]
    """reports.referral_reports: every report's aggregate rows, unsuppressed."""
    from services import reports

    with db_session() as session:
        return reports.referral_reports(session=session, actor=_reader(session, actor_id))


@st.cache_data(ttl=_cache_ttl(), max_entries=CACHE_ENTRIES, show_spinner=False)
def cached_report_specs(actor_id: int, role: str, threshold: int, language: str):  # type: ignore[no-untyped-def]
    """reports.report_specs of cached_referral_reports: the charts, built once per TTL."""
    from services import reports

    return reports.report_specs(cached_referral_reports(actor_id, role), threshold)


# Read-only service functions a page may call through `cached` (never a write).
CACHED_READS = frozenset(
    {
        "services.cases.board_counts",
        "services.cases.case_countries",
        "services.cases.list_assignees",
        "services.cases.list_cases",
        "services.courses.count_enrollments",
        "services.courses.enrollment_countries",
        "services.courses.list_courses",
        "services.courses.list_enrollments",
        "services.courses.my_enrollments",
    }
)


def cached(read, actor, **arguments):  # type: ignore[no-untyped-def]  # noqa: ANN001
    """`read(session=..., actor=actor, **arguments)`, cached per account, role and country
    for the TTL and cleared by clear_caches() after writes. `read` must be in CACHED_READS;
    the arguments must be plain values (they are the cache key)."""
    name = f"{read.__module__}.{read.__name__}"
    if name not in CACHED_READS:
        raise ValueError(f"{name} is not a cached read (see runtime.CACHED_READS)")
    return _cached_read(name, actor.id, actor.role, actor.country, **arguments)


# Every page's reads share this one cache: room for more entries.
@st.cache_data(ttl=_cache_ttl(), max_entries=5 * CACHE_ENTRIES, show_spinner=False)
def _cached_read(name: str, actor_id: int, role: str, actor_country: str | None, **arguments):  # type: ignore[no-untyped-def]
    module, function = name.rsplit(".", 1)
    read = getattr(importlib.import_module(module), function)
    with db_session() as session:
        return read(session=session, actor=_reader(session, actor_id), **arguments)
