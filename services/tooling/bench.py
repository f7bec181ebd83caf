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

AppTest runs app.py through the router and with one shared script cache, as the server
does (services/tooling/apptest.py); measuring a page and the exports is
services/tooling/bench_measure.py; the targets and the tables, bench_results.py.

Plus the exports: a PNG (vl-convert) of every chart the dashboards draw, and an XLSX of
the case list (services.reporting.export.to_xlsx). Ratios: page time ÷ (framework floor +
SQL floor).
"""

import contextvars
import dataclasses
import json
import os
import platform
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.platform.access import PAGE_ROLES
from services.platform.i18n import N_, _
from services.platform.settings import PROJECT_ROOT, get_settings
from services.tooling import bench_measure as measure
from services.tooling.bench_results import TARGETS, check_targets, scratch, size_factor
from services.ui.apptest import apptest_runs_app_py, compile_once, quiet_streamlit

BENCH_DATABASE_ENV = "ENLACE_BENCH_DATABASE_URL"


Progress = Callable[[str, int, int], None]


@dataclass
class SizeResult:
    size: str
    backend: str
    participants: int
    cases: int
    rows: dict[str, int]
    seed_s: float
    framework_floor_s: float
    pages: list[measure.PageResult]
    exports: list[measure.ExportResult]
    peak_rss_mib: float


# --- the whole run -------------------------------------------------------------------------


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
    Runs in a copy of the caller's context: measuring sets this thread's language. The
    steps are told in the caller's language, read in another copy taken before measuring.
    """
    callers = contextvars.copy_context()

    def say(message: str) -> str:
        return callers.run(_, message)

    return contextvars.copy_context().run(
        _run_benchmark,
        sizes=sizes,
        postgres_url=postgres_url,
        runs=runs,
        seed=seed,
        workdir=workdir,
        progress=progress,
        say=say,
    )


def _run_benchmark(
    *,
    sizes: Sequence[str],
    postgres_url: str | None,
    runs: int,
    seed: int,
    workdir: Path | None,
    progress: Progress | None,
    say: Callable[[str], str],
) -> dict[str, Any]:
    from services.tooling.scale import scale_sizes

    report = progress or (lambda _label, _done, _total: None)
    backends = [("sqlite", None), *([("postgresql", postgres_url)] if postgres_url else [])]
    pages = [page for page in PAGE_ROLES if page in measure.page_files()]
    steps_per_size = 2 + len(pages)
    total = len(sizes) * len(backends) * steps_per_size
    done = 0
    results: list[SizeResult] = []
    folder_of_run = scratch(workdir, "enlace-bench-")
    with quiet_streamlit(), apptest_runs_app_py(), compile_once(), folder_of_run as folder:
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
                step = {"size": size, "backend": backend}
                report(say(N_("{size} {backend}: seeding")).format(**step), done, total)
                rows, seed_s = seed_in_child(url, counts, seed, fresh=backend != "sqlite")
                done += 1
                with _app_database(url):
                    floor = measure.framework_floor(runs)
                    shell = measure.Shell(folder / "shell", runs)
                    page_results = []
                    for page in pages:
                        report(
                            say(N_("{size} {backend}: measuring {page}")).format(**step, page=page),
                            done,
                            total,
                        )
                        page_results.append(measure.measure_page(page, runs, shell))
                        done += 1
                    report(say(N_("{size} {backend}: exports")).format(**step), done, total)
                    exports = measure.measure_exports(pages)
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
                        peak_rss_mib=measure.peak_rss_mib(),
                    )
                )
    report(say(N_("Done")), total, total)
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


# --- data ----------------------------------------------------------------------------------


def seed_in_child(
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
    from services.ui import runtime

    before = os.environ.get("ENLACE_DATABASE_URL")
    os.environ["ENLACE_DATABASE_URL"] = url
    get_settings.cache_clear()
    runtime.get_engine.clear()
    runtime.clear_caches()
    try:
        yield
    finally:
        _dispose_app_engine()
        if before is None:
            os.environ.pop("ENLACE_DATABASE_URL", None)
        else:
            os.environ["ENLACE_DATABASE_URL"] = before
        get_settings.cache_clear()
        runtime.clear_caches()


def _dispose_app_engine() -> None:
    from services.ui import runtime

    try:
        runtime.get_engine().dispose()
    except Exception:  # nothing to dispose when the app never started
        pass
    runtime.get_engine.clear()
