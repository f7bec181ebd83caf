"""Measuring one page of the benchmark under AppTest: its time cold and warm, its SQL floor
(the statements it ran, run again alone), its query counts, its memory; and the exports (a
PNG of every chart the dashboards draw, an XLSX of the case list).
"""

import dataclasses
import json
import resource
import shutil
import statistics
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Engine

from models.enums import Role
from services.platform.access import PAGE_ROLES, PAGES
from services.platform.i18n import _
from services.ui.apptest import (
    APP,
    EMPTY_PAGE,
    app_signed_in,
    arrow_frame,
    empty_page_app,
    timed_run,
)

# The role whose view of a page is measured: its everyday user, with the widest scope.
PAGE_USERS: dict[str, Role] = {
    "home": Role.officer,
    "courses": Role.coordinator,
    "progress": Role.manager,
    "board": Role.coordinator,
    "new_referral": Role.officer,
    "reports": Role.manager,
    "admin": Role.admin,
    "referrals": Role.partner,
}
ACCOUNTS: dict[Role, str] = {
    Role.admin: "admin@enlace.test",
    Role.coordinator: "coordinator@enlace.test",
    Role.manager: "manager@enlace.test",
    # Argentina receives most cross-border referrals: the widest officer's scope.
    Role.officer: "officer.ar@enlace.test",
    # A Paraguayan partner organisation: referrals from every country reach it.
    Role.partner: "ngo.py@enlace.test",
}


Measured = float | None
"""Seconds, a ratio or MiB; None when the page failed before it was measured."""
Counted = int | None


@dataclass
class PageResult:
    page: str
    role: str
    shell_floor_s: Measured = None
    warm_s: Measured = None
    cold_s: Measured = None
    sql_floor_warm_s: Measured = None
    sql_floor_cold_s: Measured = None
    ratio_warm: Measured = None
    ratio_cold: Measured = None
    queries_warm: Counted = None
    queries_cold: Counted = None
    python_peak_mib: Measured = None
    elements: Counted = None
    slowest_queries: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None


@dataclass
class ExportResult:
    kind: str
    name: str
    seconds: float
    bytes: int
    rows: int | None = None


def page_files() -> dict[str, str]:
    return {page.key: page.path for page in PAGES}


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


def framework_floor(runs: int) -> float:
    at = empty_page_app()
    at.run()
    return round(statistics.median(timed_run(at) for _ in range(max(3, runs))), 4)


def _app_as(role: Role, app: Path = APP) -> Any:
    return app_signed_in(ACCOUNTS[role], app=str(app))


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


class Shell:
    """app.py with every page emptied: the cost of the frame around a page (the router,
    sign-in, sidebar), measured once per role. Its SQL is not counted in a page's floor."""

    def __init__(self, folder: Path, runs: int) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "pages").mkdir(exist_ok=True)
        shutil.copy(APP, folder / "app.py")
        for page_file in page_files().values():
            (folder / page_file).write_text(EMPTY_PAGE)
        for page_file in ("pages/welcome.py", "pages/access_pending.py"):
            (folder / page_file).write_text(EMPTY_PAGE)
        self.app = folder / "app.py"
        self.runs = runs
        self.floors: dict[Role, tuple[float, Counter[str]]] = {}

    def floor(self, role: Role, page: str) -> tuple[float, Counter[str]]:
        if role not in self.floors:
            at = _signed_in(_app_as(role, self.app))
            at.switch_page(page_files()[page])
            at.run()
            log = _QueryLog()
            times = []
            for _ in range(max(3, self.runs)):
                with log.listening():
                    times.append(timed_run(at))
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


def measure_page(page: str, runs: int, shell: Shell) -> PageResult:
    from services.ui import runtime

    role = _page_role(page)
    result = PageResult(page=page, role=role.value)
    log = _QueryLog()
    try:
        shell_seconds, shell_sql = shell.floor(role, page)
        result.shell_floor_s = shell_seconds
        at = _app_as(role)
        _signed_in(at)
        at.switch_page(page_files()[page])
        at.run()  # the page's first run: imports and first-use costs, not measured
        _raise_page_error(at)
        cold, warm = [], []
        cold_statements: list[_Statement] = []
        warm_statements: list[_Statement] = []
        for _ in range(runs):
            runtime.clear_caches()
            with log.listening():
                cold.append(timed_run(at))
            cold_statements = log.statements
            with log.listening():
                warm.append(timed_run(at))
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
        runtime.clear_caches()
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
    for _round in range(3):
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


def peak_rss_mib() -> float:
    """The process's peak resident memory so far (Linux reports KiB, macOS bytes)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return round(peak / (2**20 if sys.platform == "darwin" else 2**10), 1)


# --- exports -------------------------------------------------------------------------------


def measure_exports(pages: Sequence[str]) -> list[ExportResult]:
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
    at.switch_page(page_files()[page])
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
    spec = json.loads(proto.spec)
    datasets = {}
    for dataset in proto.datasets:
        frame = arrow_frame(dataset.data.data)
        datasets[dataset.name] = json.loads(frame.to_json(orient="records", date_format="iso"))
    if proto.data.data:
        frame = arrow_frame(proto.data.data)
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
    info = export.ExportInfo(title=_("Open cases"), filters={"Stage": "open"})
    data = export.to_xlsx(frame, info)
    seconds = time.perf_counter() - started
    return ExportResult(
        "xlsx", "case list (open cases)", round(seconds, 4), len(data), rows=len(frame)
    )
