"""The app's process-wide resources. The only service module that imports Streamlit."""

from collections.abc import Iterator
from contextlib import contextmanager

import streamlit as st
from sqlalchemy.engine import Engine
from sqlmodel import Session

from services import migrate
from services.db import build_engine, session_scope
from services.settings import Settings, auth_secrets_problem, get_settings


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
        st.stop()
    return actor


def auth_problem() -> str | None:
    """Why sign-in cannot work with this server's secrets.toml, or None when it can."""
    try:
        auth = st.secrets["auth"].to_dict() if "auth" in st.secrets else None
    except FileNotFoundError:
        auth = None
    return auth_secrets_problem(auth, demo_mode=get_settings().demo_mode)
