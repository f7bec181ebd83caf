"""AppTest the way the server runs the app: through app.py, signed in, compiled once.

Shared by the benchmark (services/tooling/bench*.py) and the tests (tests/conftest.py). It
lives in the UI package because it drives Streamlit: no other service package imports it.
"""

import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from services.platform.settings import PROJECT_ROOT

if TYPE_CHECKING:
    import pandas as pd
    from streamlit.testing.v1 import AppTest

APP = PROJECT_ROOT / "app.py"
# The app signs nobody in without complete [auth] secrets (never contacted under AppTest).
SECRETS = {
    "auth": {
        "redirect_uri": "http://localhost:8501/oauth2callback",
        "cookie_secret": "bench-Zx8q2LmN4vR7tY1wE5uI9oP3aS6dF0gH",
        "client_id": "enlace-bench",
        "client_secret": "bench-client-secret",
        "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration",
    }
}
EMPTY_PAGE = "import streamlit as st\n\nst.title('Empty page')\n"


class _ErrorsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


@contextmanager
def quiet_streamlit() -> Iterator[None]:
    """AppTest outside `streamlit run` warns on every cache call; keep the table readable.

    A filter, not a level: each AppTest run resets Streamlit's loggers to the configured level.
    """
    import streamlit.logger

    quiet = _ErrorsOnly()
    loggers = [
        *streamlit.logger._loggers.values(),  # no public accessor
        logging.getLogger("streamlit"),
        logging.getLogger("alembic"),
    ]
    for logger in loggers:
        logger.addFilter(quiet)
    try:
        yield
    finally:
        for logger in loggers:
            logger.removeFilter(quiet)


@contextmanager
def apptest_runs_app_py() -> Iterator[None]:
    """Make AppTest run app.py (the router) on every page, as the server does.

    Streamlit treats a `pages/` folder beside the entrypoint as a legacy (v1) multipage app
    until the entrypoint calls `st.navigation`, which turns that off for the process. AppTest
    turns it back on before every run (streamlit/testing/v1/app_test.py), so after
    `switch_page` it would run the page file alone: no sign-in gate, no role check, no
    language, no sidebar. This tells AppTest's PagesManager that navigation is in use.
    """
    from streamlit.runtime.pages_manager import PagesManager
    from streamlit.testing.v1 import app_test

    class NavigationPages(PagesManager):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            PagesManager.uses_pages_directory = False

    before = app_test.PagesManager
    app_test.PagesManager = NavigationPages  # type: ignore[misc]
    try:
        yield
    finally:
        app_test.PagesManager = before  # type: ignore[misc]


@contextmanager
def compile_once() -> Iterator[None]:
    """One ScriptCache for every AppTest run, like the server's runtime has.

    AppTest builds a new cache per run (streamlit/testing/v1/app_test.py), so each run would
    pay for reading, rewriting ("magic") and compiling app.py and the page: 5-40 ms that the
    server pays once per process. No public option turns that off; the two names are patched.
    """
    from streamlit.runtime.scriptrunner.script_cache import ScriptCache
    from streamlit.testing.v1 import app_test, local_script_runner

    shared = ScriptCache()
    before = app_test.ScriptCache, local_script_runner.ScriptCache
    app_test.ScriptCache = local_script_runner.ScriptCache = lambda: shared  # type: ignore[assignment,misc]
    try:
        yield
    finally:
        app_test.ScriptCache, local_script_runner.ScriptCache = before  # type: ignore[misc]


def timed_run(at: Any) -> float:
    """Seconds one `at.run()` takes."""
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started


def signed_in_user(email: str, **claims: Any) -> dict[str, Any]:
    """AppTest's `at.user` for a person who signed in just now with a verified email."""
    return {
        "is_logged_in": True,
        "email": email,
        "email_verified": True,
        "name": email,
        "iat": int(time.time()),
        **claims,
    }


def empty_page_app() -> "AppTest":
    """An app of one title and nothing else: the framework's own cost of a run."""
    from streamlit.testing.v1 import AppTest

    return AppTest.from_string(EMPTY_PAGE, default_timeout=120)


def app_signed_in(email: str, *, app: str = str(APP), timeout: float = 120) -> "AppTest":
    """app.py (or `app`) under AppTest, with complete [auth] secrets, `email` signed in."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(app, default_timeout=timeout)
    at.secrets = SECRETS
    at.user = signed_in_user(email)
    return at


def arrow_frame(data: bytes) -> "pd.DataFrame":
    """A data set Streamlit sent to the browser (Arrow bytes), as a DataFrame."""
    from streamlit import dataframe_util

    return dataframe_util.convert_arrow_bytes_to_pandas_df(data)
