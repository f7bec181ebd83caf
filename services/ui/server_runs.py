"""How the server spends a run: garbage collection tuned for a long-lived server, and (for
`enlace bench --browser`) each run's time written to the log.

Streamlit runs `gc.collect(2)` after every script run (`runner.postScriptGC`): a full
collection over the whole heap (Streamlit, pandas, SQLAlchemy, Altair and the app: some
300-450 ms on this app at 16x) which holds the GIL while the finished run's last messages
wait to be sent, so every click paid it. Instead the server:

- imports the app's modules at start-up, collects once, then `gc.freeze()`s: the objects
  that live as long as the process move to the permanent generation, which no collection
  scans again;
- turns `runner.postScriptGC` off (see `server.production_config`);
- leaves the automatic collections on, with a larger first-generation threshold
  (`GC_THRESHOLDS`): garbage cycles are still freed, now by collections over the young
  objects rather than over everything on every click. Memory stays bounded (measured by
  `enlace bench --browser --duration 30m`).

`ENLACE_STREAMLIT_GC=1` keeps Streamlit's own behaviour (for measuring the difference).
"""

import functools
import gc
import importlib
import logging
import os
import pkgutil
import threading
import time
from typing import Any

STREAMLIT_GC_ENV = "ENLACE_STREAMLIT_GC"
RUN_TIMES_ENV = "ENLACE_LOG_RUN_TIMES"
GC_THRESHOLDS = (10_000, 10, 10)
# The packages a run uses, imported before the freeze (the UI helpers that only tests and the
# benchmark use are left out).
WARM_PACKAGES = ("services.platform", "services.courses", "services.cases", "services.reporting")
WARM_MODULES = ("services.ui.runtime", "pandas", "altair", "sqlalchemy", "sqlmodel")
SKIP_MODULES = ("services.ui.apptest", "services.ui.bench_floor_app")
RUN_LOG_PREFIX = "run_ms="

log = logging.getLogger("enlace.server")
runs_log = logging.getLogger("enlace.runs")


def streamlit_gc_kept() -> bool:
    """True when ENLACE_STREAMLIT_GC asks for Streamlit's collection after every run."""
    return os.environ.get(STREAMLIT_GC_ENV, "").strip().lower() in {"1", "true", "yes"}


def post_script_gc() -> bool:
    """The value of Streamlit's `runner.postScriptGC` for this server."""
    return streamlit_gc_kept()


def warm_imports() -> list[str]:
    """Import what a run of the app imports; the names imported."""
    names = list(WARM_MODULES)
    for package_name in (*WARM_PACKAGES, "services.ui"):
        package = importlib.import_module(package_name)
        for module in pkgutil.walk_packages(package.__path__, prefix=package_name + "."):
            if module.name not in SKIP_MODULES:
                names.append(module.name)
    for name in names:
        importlib.import_module(name)
    return names


def prepare_gc() -> int:
    """At start-up: import the app, collect once, freeze what is left and tune the
    thresholds; the number of objects frozen (0 when Streamlit's collection is kept)."""
    if streamlit_gc_kept():
        log.info("Garbage collection: Streamlit's full collection after every run")
        return 0
    imported = warm_imports()
    gc.collect()
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    frozen = gc.get_freeze_count()
    log.info(
        "Garbage collection: %d objects frozen at start-up (%d modules imported), "
        "no full collection after each run, thresholds %s",
        frozen,
        len(imported),
        GC_THRESHOLDS,
    )
    return frozen


def install_run_timing() -> bool:
    """With ENLACE_LOG_RUN_TIMES=1, log each run's wall time and the garbage collection in
    it (`run_ms=… gc_ms=… ended=<epoch seconds>`), for the browser benchmark; True when
    installed."""
    if os.environ.get(RUN_TIMES_ENV, "").strip() not in {"1", "true", "yes"}:
        return False
    from streamlit.runtime.scriptrunner import script_runner

    local = threading.local()

    def on_gc(phase: str, _info: dict[str, Any]) -> None:
        if phase == "start":
            local.gc_started = time.perf_counter()
        elif getattr(local, "gc_started", None) is not None:
            local.gc_s = getattr(local, "gc_s", 0.0) + time.perf_counter() - local.gc_started
            local.gc_started = None

    gc.callbacks.append(on_gc)
    original = script_runner.ScriptRunner._run_script

    @functools.wraps(original)
    def timed(self: Any, rerun_data: Any) -> None:
        local.gc_s = 0.0
        started = time.perf_counter()
        try:
            original(self, rerun_data)
        finally:
            run_s = time.perf_counter() - started
            runs_log.info(
                "%s%.1f gc_ms=%.1f ended=%.3f",
                RUN_LOG_PREFIX,
                run_s * 1000,
                local.gc_s * 1000,
                time.time(),
            )

    script_runner.ScriptRunner._run_script = timed  # type: ignore[method-assign]
    return True


def parse_run_line(line: str) -> tuple[float, float, float] | None:
    """(run ms, gc ms, epoch seconds at its end) from a line install_run_timing wrote, else
    None."""
    at = line.find(RUN_LOG_PREFIX)
    if at < 0:
        return None
    fields = dict(part.split("=", 1) for part in line[at:].split() if "=" in part)
    try:
        return float(fields["run_ms"]), float(fields["gc_ms"]), float(fields["ended"])
    except (KeyError, ValueError):
        return None
