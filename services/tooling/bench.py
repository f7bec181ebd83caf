"""The benchmark behind `enlace bench`: every page's server time at growing data sizes.

For each size (a fresh SQLite file, and a PostgreSQL database when one is given) the data
is the demo data plus `seed_scale` at that size, seeded in a child process so the memory
figures are the app's own. Then, for each page of `access.PAGE_ROLES` as the role that uses
it, under Streamlit's AppTest (a full run of app.py, signed in, on that page):

- cold: `st.cache_data` emptied before the run; warm: the same run again; medians of `runs`;
- the SQL floor: the statements the page ran (captured with a `before_cursor_execute`
  listener) executed again alone on a DBAPI cursor, in a transaction rolled back after;
- the query count of a cold and of a warm run (a count that grows with the data is N+1);
- the Python memory peak of one run (tracemalloc);
- the framework floor: an empty page under AppTest, in the same process.

AppTest compiles app.py and the page again on every run (a new ScriptCache each time); the
server compiles each script once per process. The benchmark gives AppTest one shared cache,
as the server has, so a page's time is its run, not its compile (`_compile_once`).

Plus the exports: a PNG (vl-convert) of every chart the dashboards draw, and an XLSX of
the case list (services.reporting.export.to_xlsx). Ratios: page time ÷ (framework floor +
SQL floor).
"""

import contextvars
import dataclasses
import json
import logging
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.enums import Role
from services.platform.access import PAGE_ROLES, PAGES
from services.platform.settings import PROJECT_ROOT, get_settings

APP = PROJECT_ROOT / "app.py"
SIZES = {"1x": 1.0, "4x": 4.0, "16x": 16.0}
"""Size name: factor. 16x is the issue's target: 20,000 participants and 100,000 cases."""
BENCH_DATABASE_ENV = "ENLACE_BENCH_DATABASE_URL"
# The role whose view of a page is measured: its everyday user, with the widest scope.
PAGE_USERS: dict[str, Role] = {
    "home": Role.officer,
    "courses": Role.coordinator,
    "progress": Role.manager,
    "board": Role.coordinator,
    "new_referral": Role.officer,
    "reports": Role.manager,
    "admin": Role.admin,
}
ACCOUNTS: dict[Role, str] = {
    Role.admin: "admin@enlace.test",
    Role.coordinator: "coordinator@enlace.test",
    Role.manager: "manager@enlace.test",
    # Argentina receives most cross-border referrals: the widest officer's scope.
    Role.officer: "officer.ar@enlace.test",
}
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
TARGETS = {
    "warm_s": 0.3,
    "cold_s": 1.5,
    "warm_ratio": 1.5,
    "peak_rss_mib": 1024,
    "chart_png_s": 1.0,
}

Progress = Callable[[str, int, int], None]


@dataclass
class PageResult:
    page: str
    role: str
    shell_floor_s: float | None = None
    warm_s: float | None = None
    cold_s: float | None = None
    sql_floor_warm_s: float | None = None
    sql_floor_cold_s: float | None = None
    ratio_warm: float | None = None
    ratio_cold: float | None = None
    queries_warm: int | None = None
    queries_cold: int | None = None
    python_peak_mib: float | None = None
    elements: int | None = None
    slowest_queries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class ExportResult:
    kind: str
    name: str
    seconds: float
    bytes: int
    rows: int | None = None


@dataclass
class SizeResult:
    size: str
    backend: str
    participants: int
    cases: int
    rows: dict[str, int]
    seed_s: float
    framework_floor_s: float
    pages: list[PageResult]
    exports: list[ExportResult]
    peak_rss_mib: float


# --- the whole run -------------------------------------------------------------------------


def parse_sizes(text: str) -> list[str]:
    """'1x,4x' → ['1x', '4x']; any '<number>x' is allowed ('0.05x' for a smoke run)."""
    sizes = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not sizes:
        raise ValueError("give at least one size, e.g. 1x,4x,16x")
    for size in sizes:
        size_factor(size)
    return sizes


def size_factor(size: str) -> float:
    try:
        factor = float(size.removesuffix("x")) if size.endswith("x") else float("nan")
    except ValueError:
        factor = float("nan")
    if not factor > 0:
        raise ValueError(f"'{size}' is not a size like 1x, 4x or 16x")
    return factor


def run_benchmark(
    *,
    sizes: Sequence[str],
    postgres_url: str | None = None,
    runs: int = 5,
    seed: int = 2026,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Measure every page at every size; return the JSON-ready results.

    The PostgreSQL database, when given, is emptied (downgraded to base) for each size.
    Runs in a copy of the caller's context: measuring sets this thread's language.
    """
    return contextvars.copy_context().run(
        _run_benchmark,
        sizes=sizes,
        postgres_url=postgres_url,
        runs=runs,
        seed=seed,
        workdir=workdir,
        progress=progress,
    )


def _run_benchmark(
    *,
    sizes: Sequence[str],
    postgres_url: str | None,
    runs: int,
    seed: int,
    workdir: Path | None,
    progress: Progress | None,
) -> dict[str, Any]:
    from services.tooling.scale import scale_sizes

    report = progress or (lambda _label, _done, _total: None)
    backends = [("sqlite", None), *([("postgresql", postgres_url)] if postgres_url else [])]
    pages = [page for page in PAGE_ROLES if page in _page_files()]
    steps_per_size = 2 + len(pages)
    total = len(sizes) * len(backends) * steps_per_size
    done = 0
    results: list[SizeResult] = []
    with _quiet_streamlit(), apptest_runs_app_py(), _compile_once(), _scratch(workdir) as folder:
        for size in sizes:
            counts = scale_sizes(size_factor(size))
            for backend, given_url in backends:
                if given_url:
                    url = given_url
                else:
                    path = folder / f"bench-{size}.db"
                    for stale in (path, *(path.with_name(path.name + s) for s in ("-wal", "-shm"))):
                        stale.unlink(missing_ok=True)  # every size starts from an empty file
                    url = f"sqlite:///{path}"
                report(f"{size} {backend}: seeding", done, total)
                rows, seed_s = _seed_in_child(url, counts, seed, fresh=backend != "sqlite")
                done += 1
                with _app_database(url):
                    floor = _framework_floor(runs)
                    shell = _Shell(folder / "shell", runs)
                    page_results = []
                    for page in pages:
                        report(f"{size} {backend}: {page}", done, total)
                        page_results.append(_measure_page(page, runs, shell))
                        done += 1
                    report(f"{size} {backend}: exports", done, total)
                    exports = _exports(pages)
                    done += 1
                results.append(
                    SizeResult(
                        size=size,
                        backend=backend,
                        participants=counts["participants"],
                        cases=counts["cases"],
                        rows=rows,
                        seed_s=round(seed_s, 2),
                        framework_floor_s=floor,
                        pages=page_results,
                        exports=exports,
                        peak_rss_mib=_peak_rss_mib(),
                    )
                )
    report("done", total, total)
    data = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
        },
        "runs": runs,
        "seed": seed,
        "targets": TARGETS,
        "results": [dataclasses.asdict(result) for result in results],
    }
    data["checks"] = check_targets(data)
    return data


def _page_files() -> dict[str, str]:
    return {page.key: page.path for page in PAGES}


@contextmanager
def _scratch(workdir: Path | None) -> Iterator[Path]:
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix="enlace-bench-") as folder:
        yield Path(folder)


class _ErrorsOnly(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.ERROR


@contextmanager
def _quiet_streamlit() -> Iterator[None]:
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
def _compile_once() -> Iterator[None]:
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


# --- data ----------------------------------------------------------------------------------


def _seed_in_child(
    url: str, counts: dict[str, int], seed: int, *, fresh: bool
) -> tuple[dict[str, int], float]:
    """Seed in a child process: the seeding's memory is not counted as the app's."""
    arguments = json.dumps({"url": url, "counts": counts, "seed": seed, "fresh": fresh})
    script = (
        "import json, sys\n"
        "from services.tooling.bench import prepare_database\n"
        "print(json.dumps(prepare_database(**json.loads(sys.argv[1]))))\n"
    )
    done = subprocess.run(  # our own interpreter and module
        [sys.executable, "-c", script, arguments],
        cwd=PROJECT_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"seeding {url} failed: {done.stderr.strip()[-2000:]}")
    created, seconds = json.loads(done.stdout.strip().splitlines()[-1])
    return created, seconds


def prepare_database(
    url: str, counts: dict[str, int], seed: int, fresh: bool
) -> tuple[dict[str, int], float]:
    """Schema, demo data and scale data on `url`; (rows created, seconds seeding scale)."""
    from sqlmodel import Session

    from services.platform import migrate
    from services.platform.db import build_engine
    from services.tooling.scale import seed_scale
    from services.tooling.seed import seed_demo

    engine = build_engine(url)
    try:
        if fresh:
            migrate.downgrade(engine, "base")
        migrate.upgrade(engine)
        with Session(engine) as session:
            seed_demo(session=session)
        started = time.perf_counter()
        with Session(engine) as session:
            created = seed_scale(
                session=session,
                seed=seed,
                participants=counts["participants"],
                cases=counts["cases"],
            )
        seconds = time.perf_counter() - started
        if engine.dialect.name == "postgresql":
            # VACUUM too: a database in use has its visibility map set (index-only scans).
            with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql("VACUUM ANALYZE")
        else:
            with engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        return created, seconds
    finally:
        engine.dispose()


@contextmanager
def _app_database(url: str) -> Iterator[None]:
    """Point the app (ENLACE_DATABASE_URL) at `url`, with its engine and caches emptied."""
    import streamlit as st

    from services.ui import runtime

    before = os.environ.get("ENLACE_DATABASE_URL")
    os.environ["ENLACE_DATABASE_URL"] = url
    get_settings.cache_clear()
    runtime.get_engine.clear()
    st.cache_data.clear()
    try:
        yield
    finally:
        _dispose_app_engine()
        if before is None:
            os.environ.pop("ENLACE_DATABASE_URL", None)
        else:
            os.environ["ENLACE_DATABASE_URL"] = before
        get_settings.cache_clear()
        st.cache_data.clear()


def _dispose_app_engine() -> None:
    from services.ui import runtime

    try:
        runtime.get_engine().dispose()
    except Exception:  # nothing to dispose when the app never started
        pass
    runtime.get_engine.clear()


# --- measuring -----------------------------------------------------------------------------


@dataclass
class _Statement:
    sql: str
    parameters: Any
    many: bool


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE")


class _QueryLog:
    """Statements every engine runs while it listens (the app's engine is one of them)."""

    def __init__(self) -> None:
        self.statements: list[_Statement] = []
        self.engine: Engine | None = None

    def __call__(  # type: ignore[no-untyped-def]
        self, conn, cursor, statement, parameters, context, executemany
    ):
        if statement.lstrip().upper().startswith(TRANSACTION_CONTROL):
            return  # the engine's own BEGIN (SQLite): not a query of the page
        self.statements.append(_Statement(statement, parameters, bool(executemany)))
        self.engine = conn.engine

    @contextmanager
    def listening(self) -> Iterator["_QueryLog"]:
        self.statements = []
        sa.event.listen(Engine, "before_cursor_execute", self)
        try:
            yield self
        finally:
            sa.event.remove(Engine, "before_cursor_execute", self)


def _timed_run(at: Any) -> float:
    started = time.perf_counter()
    at.run()
    return time.perf_counter() - started


def _framework_floor(runs: int) -> float:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_string(EMPTY_PAGE, default_timeout=120)
    at.run()
    return round(statistics.median(_timed_run(at) for _ in range(max(3, runs))), 4)


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


def _app_as(role: Role, app: Path = APP) -> Any:
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(app), default_timeout=120)
    at.secrets = SECRETS
    at.user = signed_in_user(ACCOUNTS[role])
    return at


def _signed_in(at: Any) -> Any:
    """The first run (sign-in), then this thread in the person's language: AppTest formats
    widget options here, outside the script's thread, to send their state back."""
    from services.platform.i18n import set_language

    at.run()
    set_language(at.session_state["language"])
    return at


def _page_role(page: str) -> Role:
    allowed = PAGE_ROLES[page]
    preferred = PAGE_USERS.get(page)
    return preferred if preferred in allowed else allowed[0]


class _Shell:
    """app.py with every page emptied: the cost of the frame around a page (the router,
    sign-in, sidebar), measured once per role. Its SQL is not counted in a page's floor."""

    def __init__(self, folder: Path, runs: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pages").mkdir(exist_ok=True)
        shutil.copy(APP, folder / "app.py")
        for page_file in _page_files().values():
            (folder / page_file).write_text(EMPTY_PAGE)
        for page_file in ("pages/welcome.py", "pages/access_pending.py"):
            (folder / page_file).write_text(EMPTY_PAGE)
        self.app = folder / "app.py"
        self.runs = runs
        self.floors: dict[Role, tuple[float, Counter[str]]] = {}

    def floor(self, role: Role, page: str) -> tuple[float, Counter[str]]:
        if role not in self.floors:
            at = _signed_in(_app_as(role, self.app))
            at.switch_page(_page_files()[page])
            at.run()
            log = _QueryLog()
            times = []
            for _ in range(max(3, self.runs)):
                with log.listening():
                    times.append(_timed_run(at))
            _raise_page_error(at)
            statements = Counter(statement.sql for statement in log.statements)
            self.floors[role] = (round(statistics.median(times), 4), statements)
        return self.floors[role]


def _page_only(statements: list[_Statement], shell: Counter[str]) -> list[_Statement]:
    """The statements of a page run less those the empty shell runs too."""
    left = Counter(shell)
    own = []
    for statement in statements:
        if left[statement.sql] > 0:
            left[statement.sql] -= 1
        else:
            own.append(statement)
    return own


def _measure_page(page: str, runs: int, shell: _Shell) -> PageResult:
    import streamlit as st

    role = _page_role(page)
    result = PageResult(page=page, role=role.value)
    log = _QueryLog()
    try:
        shell_seconds, shell_sql = shell.floor(role, page)
        result.shell_floor_s = shell_seconds
        at = _app_as(role)
        _signed_in(at)
        at.switch_page(_page_files()[page])
        at.run()  # the page's first run: imports and first-use costs, not measured
        _raise_page_error(at)
        cold, warm = [], []
        cold_statements: list[_Statement] = []
        warm_statements: list[_Statement] = []
        for _ in range(runs):
            st.cache_data.clear()
            with log.listening():
                cold.append(_timed_run(at))
            cold_statements = log.statements
            with log.listening():
                warm.append(_timed_run(at))
            warm_statements = log.statements
        _raise_page_error(at)
        result.cold_s = round(statistics.median(cold), 4)
        result.warm_s = round(statistics.median(warm), 4)
        result.queries_cold = len(cold_statements)
        result.queries_warm = len(warm_statements)
        result.elements = _element_count(at)
        engine = log.engine
        result.sql_floor_cold_s = result.sql_floor_warm_s = 0.0
        if engine is not None:
            own_cold = _page_only(cold_statements, shell_sql)
            result.sql_floor_cold_s, result.slowest_queries = _sql_floor(engine, own_cold)
            result.sql_floor_warm_s = _sql_floor(engine, _page_only(warm_statements, shell_sql))[0]
        floors_warm = shell_seconds + result.sql_floor_warm_s
        floors_cold = shell_seconds + result.sql_floor_cold_s
        result.ratio_warm = round(result.warm_s / floors_warm, 2)
        result.ratio_cold = round(result.cold_s / floors_cold, 2)
        st.cache_data.clear()
        result.python_peak_mib = _python_peak_mib(at)
    except Exception as error:  # a broken page is a result, not the end of the run
        result.error = f"{type(error).__name__}: {error}"[:500]
    return result


def _raise_page_error(at: Any) -> None:
    if at.exception:
        raise RuntimeError(str(at.exception[0].value)[:300])


def _element_count(at: Any) -> int:
    """Elements and containers the last run drew (main area and sidebar): what a run costs
    beyond its queries grows with this number, and an empty page draws almost none."""

    def count(node: Any) -> int:
        children = getattr(node, "children", None) or {}
        return 1 + sum(count(child) for child in children.values())

    return sum(count(block) - 1 for block in (at.main, at.sidebar))


def _python_peak_mib(at: Any) -> float:
    tracemalloc.start()
    try:
        at.run()
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    return round(peak / 2**20, 1)


def _sql_floor(engine: Engine, statements: list[_Statement]) -> tuple[float, list[dict[str, Any]]]:
    """Seconds to run `statements` alone (best of three), and the five slowest of them."""
    if not statements:
        return 0.0, []
    rounds: list[list[float]] = []
    for _ in range(3):
        raw = engine.raw_connection()
        try:
            cursor = raw.cursor()
            times = []
            for statement in statements:
                started = time.perf_counter()
                if statement.many:
                    cursor.executemany(statement.sql, statement.parameters)
                else:
                    cursor.execute(statement.sql, statement.parameters)
                if cursor.description is not None:
                    cursor.fetchall()
                times.append(time.perf_counter() - started)
            cursor.close()
            raw.rollback()
        finally:
            raw.close()
        rounds.append(times)
    best = min(rounds, key=sum)
    slowest = sorted(zip(best, statements, strict=True), key=lambda pair: -pair[0])[:5]
    return round(sum(best), 4), [
        {"seconds": round(seconds, 4), "sql": " ".join(statement.sql.split())[:1500]}
        for seconds, statement in slowest
    ]


def _peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


# --- exports -------------------------------------------------------------------------------


def _exports(pages: Sequence[str]) -> list[ExportResult]:
    results = []
    for page in pages:
        if page not in ("progress", "reports"):
            continue
        try:
            results += _chart_exports(page)
        except Exception as error:  # one chart's failure is reported, not fatal
            results.append(
                ExportResult("png", f"{page}: {type(error).__name__}: {error}"[:300], -1, 0)
            )
    results.append(_case_list_export())
    return results


def _chart_exports(page: str) -> list[ExportResult]:
    """A PNG of every chart the page draws, as the page drew it (spec and data)."""
    import vl_convert

    at = _app_as(_page_role(page))
    at.run()
    at.switch_page(_page_files()[page])
    at.run()
    results = []
    for position, chart in enumerate(at.get("vega_lite_chart"), start=1):
        spec = _standalone_spec(chart.proto)
        name = _chart_title(spec) or f"chart {position}"
        started = time.perf_counter()
        png = vl_convert.vegalite_to_png(spec, scale=2)
        results.append(
            ExportResult(
                "png", f"{page}: {name}", round(time.perf_counter() - started, 4), len(png)
            )
        )
    return results


def _standalone_spec(proto: Any) -> dict[str, Any]:
    """The Vega-Lite spec Streamlit sent to the browser, with its data sets inlined."""
    from streamlit import dataframe_util

    spec = json.loads(proto.spec)
    datasets = {}
    for dataset in proto.datasets:
        frame = dataframe_util.convert_arrow_bytes_to_pandas_df(dataset.data.data)
        datasets[dataset.name] = json.loads(frame.to_json(orient="records", date_format="iso"))
    if proto.data.data:
        frame = dataframe_util.convert_arrow_bytes_to_pandas_df(proto.data.data)
        spec["data"] = {"values": json.loads(frame.to_json(orient="records", date_format="iso"))}
    if datasets:
        spec["datasets"] = {**spec.get("datasets", {}), **datasets}
    if spec.get("autosize", {}).get("type") == "fit" and "width" not in spec:
        spec["width"] = 700  # the browser gives "fit" its width; a file needs one
    return spec


def _chart_title(spec: dict[str, Any]) -> str | None:
    title = spec.get("title")
    if isinstance(title, dict):
        title = title.get("text")
    return str(title) if title else None


def _case_list_export() -> ExportResult:
    """The coordinator's list of open cases as XLSX (the case list export)."""
    import pandas as pd
    from sqlmodel import select

    from models import UserAccount
    from services.cases import board
    from services.reporting import export
    from services.ui import runtime

    engine = runtime.get_engine()
    from sqlmodel import Session

    with Session(engine) as session:
        actor = session.exec(
            select(UserAccount).where(UserAccount.email == ACCOUNTS[Role.coordinator])
        ).one()
        started = time.perf_counter()
        cards: list[board.CaseCard] = []
        while True:
            page = board.list_cases(
                session=session,
                actor=actor,
                filters=board.OPEN_CASES,
                limit=board.MAX_PAGE_SIZE,
                offset=len(cards),
            )
            cards += page
            if len(page) < board.MAX_PAGE_SIZE:
                break
    frame = pd.DataFrame([dataclasses.asdict(card) for card in cards])
    info = export.ExportInfo(title="Open cases", filters={"Stage": "open"})
    data = export.to_xlsx(frame, info)
    seconds = time.perf_counter() - started
    return ExportResult(
        "xlsx", "case list (open cases)", round(seconds, 4), len(data), rows=len(frame)
    )


# --- targets and the table -----------------------------------------------------------------


def check_targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, per size and page: the value, the limit, met or not."""
    checks: list[dict[str, Any]] = []

    def add(target: str, where: str, value: float | None, limit: float) -> None:
        if value is not None:
            checks.append(
                {
                    "target": target,
                    "where": where,
                    "value": value,
                    "limit": limit,
                    "met": value <= limit,
                }
            )

    for result in data["results"]:
        tag = f"{result['size']} {result['backend']}"
        for page in result["pages"]:
            where = f"{tag} {page['page']}"
            add("warm_s", where, page["warm_s"], TARGETS["warm_s"])
            add("cold_s", where, page["cold_s"], TARGETS["cold_s"])
            add("warm_ratio", where, page["ratio_warm"], TARGETS["warm_ratio"])
        add("peak_rss_mib", tag, result["peak_rss_mib"], TARGETS["peak_rss_mib"])
        for item in result["exports"]:
            if item["kind"] == "png" and item["seconds"] >= 0:
                add("chart_png_s", f"{tag} {item['name']}", item["seconds"], TARGETS["chart_png_s"])
    checks += _growth_checks(data["results"])
    return checks


def _growth_checks(results: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Sub-linear growth and constant query counts, from the smallest to the largest size."""
    checks = []
    for backend in {result["backend"] for result in results}:
        mine = sorted(
            (r for r in results if r["backend"] == backend), key=lambda r: size_factor(r["size"])
        )
        if len(mine) < 2:
            continue
        small, large = mine[0], mine[-1]
        data_growth = size_factor(large["size"]) / size_factor(small["size"])
        before = {page["page"]: page for page in small["pages"]}
        for page in large["pages"]:
            first = before.get(page["page"])
            if not first or first["cold_s"] is None or page["cold_s"] is None:
                continue
            where = f"{small['size']}→{large['size']} {backend} {page['page']}"
            growth = round(page["cold_s"] / first["cold_s"], 2)
            checks.append(
                {
                    "target": "cold_growth",
                    "where": where,
                    "value": growth,
                    "limit": data_growth,
                    "met": growth < data_growth,
                }
            )
            queries = (first["queries_cold"], page["queries_cold"])
            checks.append(
                {
                    "target": "queries_constant",
                    "where": where,
                    "value": queries[1],
                    "limit": queries[0],
                    "met": queries[1] <= queries[0],
                }
            )
    return checks


def results_table(data: dict[str, Any]) -> Any:
    """A rich Table: one row per size, backend and page."""
    from rich.table import Table

    table = Table(
        title="Enlace benchmark: server time under AppTest (medians)",
        caption=(
            "shell: app.py around an empty page (router, sign-in, sidebar); "
            "floors: shell + the page's own SQL run alone; queries: cold/warm run"
        ),
    )
    for column in (
        "size",
        "page",
        "role",
        "warm ms",
        "cold ms",
        "SQL floor ms (cold)",
        "shell ms",
        "warm ÷ floors",
        "cold ÷ floors",
        "queries",
        "elements",
        "py peak MiB",
    ):
        table.add_column(column, justify="left" if column in ("size", "page", "role") else "right")
    for result in data["results"]:
        tag = f"{result['size']} {result['backend'][:2]}"
        for page in result["pages"]:
            if page["error"]:
                table.add_row(tag, page["page"], page["role"], "error: " + page["error"][:60])
                continue
            table.add_row(
                tag,
                page["page"],
                page["role"],
                _ms(page["warm_s"]),
                _ms(page["cold_s"]),
                _ms(page["sql_floor_cold_s"]),
                _ms(page["shell_floor_s"]),
                f"{page['ratio_warm']:.2f}",
                f"{page['ratio_cold']:.2f}",
                f"{page['queries_cold']}/{page['queries_warm']}",
                str(page.get("elements") or "—"),
                f"{page['python_peak_mib']:.1f}",
            )
        table.add_section()
    return table


def exports_table(data: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Exports and memory")
    for column in ("size", "export", "ms", "KiB", "rows"):
        table.add_column(column, justify="left" if column in ("size", "export") else "right")
    for result in data["results"]:
        tag = f"{result['size']} {result['backend'][:2]}"
        for item in result["exports"]:
            table.add_row(
                tag,
                item["name"],
                _ms(item["seconds"]),
                f"{item['bytes'] / 1024:.0f}",
                str(item["rows"] or ""),
            )
        table.add_row(
            tag, f"peak RSS of the app process: {result['peak_rss_mib']:.0f} MiB", "", "", ""
        )
        table.add_row(tag, f"seeding {result['cases']} cases: {result['seed_s']:.1f} s", "", "", "")
        table.add_section()
    return table


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f}"


def markdown_tables(data: dict[str, Any]) -> str:
    """The results as Markdown tables, for the README's performance section."""
    lines = [
        "| size | db | page | role | warm ms | cold ms | SQL floor ms | shell ms "
        "| warm ÷ floors | cold ÷ floors | queries cold/warm | elements |",
        "|---|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for result in data["results"]:
        for page in result["pages"]:
            if page["error"]:
                lines.append(f"| {result['size']} | {result['backend']} | {page['page']} | error |")
                continue
            lines.append(
                f"| {result['size']} | {result['backend']} | {page['page']} | {page['role']} "
                f"| {_ms(page['warm_s'])} | {_ms(page['cold_s'])} "
                f"| {_ms(page['sql_floor_cold_s'])} | {_ms(page['shell_floor_s'])} "
                f"| {page['ratio_warm']:.2f} | {page['ratio_cold']:.2f} "
                f"| {page['queries_cold']}/{page['queries_warm']} "
                f"| {page.get('elements') or '—'} |"
            )
    lines += ["", "| size | db | export | ms | KiB | rows |", "|---|---|---|---:|---:|---:|"]
    for result in data["results"]:
        for item in result["exports"]:
            lines.append(
                f"| {result['size']} | {result['backend']} | {item['name']} "
                f"| {_ms(item['seconds'])} | {item['bytes'] / 1024:.0f} | {item['rows'] or ''} |"
            )
    lines += [
        "",
        "| size | db | participants | cases | rows seeded | seeding s | empty page ms "
        "| peak RSS MiB |",
        "|---|---|---:|---:|---:|---:|---:|---:|",
    ]
    for result in data["results"]:
        lines.append(
            f"| {result['size']} | {result['backend']} | {result['participants']:,} "
            f"| {result['cases']:,} | {sum(result['rows'].values()):,} | {result['seed_s']:.1f} "
            f"| {_ms(result['framework_floor_s'])} | {result['peak_rss_mib']:.0f} |"
        )
    return "\n".join(lines) + "\n"
