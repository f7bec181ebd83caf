"""`enlace bench --browser`: what a person waits for, in Chromium, at one data size.

For each database (a SQLite file; PostgreSQL too when ENLACE_BENCH_DATABASE_URL is set) the
data is the demo data plus `seed_scale` at the size, seeded in a child process. Then, with
the app served as people get it (`python -m services.ui.server`, the local demo provider,
each run's time logged by the server: services/ui/server_runs.py) and the trivial two-page
floor app (services/ui/bench_floor_app.py) served beside it by the same Streamlit:

1. the floor: its two pages clicked `rounds` times after a warm-up round, at the start and
   again after each database's measurement (the machine's load drifts: the ratios divide by
   the median of all the floor's clicks);
2. per role (coordinator, officer.ar, manager, admin, partner): sign in through the
   provider (the first page's time is kept), then click every sidebar page `rounds` warm
   rounds; per page the median and p95 click → idle, their ratios to the floor's median,
   and the server's own run time and garbage collection during those clicks;
3. with `sessions` > 1: that many browser contexts (signed in with the roles' cookies, in
   turn) clicking across their pages at once, `rounds` rounds each or for `duration_s`;
   p50/p95 click → idle and clicks per second;
4. throughout, the app server's resident memory (RSS), sampled every few seconds.

Nothing here imports Streamlit: both servers are child processes.
"""

import asyncio
import dataclasses
import json
import logging
import os
import platform
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from services.platform.i18n import _
from services.platform.settings import PROJECT_ROOT, Settings
from services.tooling import browser_clicks as clicks
from services.tooling import browser_stats as stats
from services.tooling import demo
from services.tooling.bench_results import scratch, size_factor
from services.ui.server_runs import RUN_TIMES_ENV, STREAMLIT_GC_ENV, parse_run_line

BENCH_DATABASE_ENV = "ENLACE_BENCH_DATABASE_URL"
FLOOR_APP = PROJECT_ROOT / "services" / "ui" / "bench_floor_app.py"
# The role each account signs in as: the demo data's accounts.
ROLE_ACCOUNTS = (
    ("coordinator", "coordinator@enlace.test"),
    ("officer.ar", "officer.ar@enlace.test"),
    ("manager", "manager@enlace.test"),
    ("admin", "admin@enlace.test"),
    ("partner", "ngo.py@enlace.test"),
)
RSS_EVERY_S = 5.0

Progress = Callable[[str, int, int], None]


@dataclasses.dataclass
class Options:
    size: str = "16x"
    rounds: int = 5
    sessions: int = 1
    duration_s: float | None = None
    seed: int = 2026
    streamlit_gc: bool = False
    roles: tuple[tuple[str, str], ...] = ROLE_ACCOUNTS


def run_browser_benchmark(
    options: Options,
    *,
    postgres_url: str | None = None,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Measure; return the JSON-ready results (see the module's docstring)."""
    from services.tooling.bench_browser_results import check_targets

    report = progress or (lambda _label, _done, _total: None)
    backends = [("sqlite", None), *([("postgresql", postgres_url)] if postgres_url else [])]
    per_backend = 3 + len(options.roles) + (1 if options.sessions > 1 else 0)
    total, done = len(backends) * per_backend + 1, 0
    results = []
    with scratch(workdir, "enlace-bench-browser-") as folder, ExitStack() as stack:
        report(_("Starting the floor app"), done, total)
        floor_server = stack.enter_context(_floor_server(folder))
        floor_times = asyncio.run(_measure_floor(floor_server.url, options.rounds))
        done += 1
        for backend, given_url in backends:
            report(
                _("{backend}: seeding {size}").format(backend=backend, size=options.size),
                done,
                total,
            )
            url = given_url or f"sqlite:///{folder / f'browser-{options.size}.db'}"
            rows, seed_s = _seed(url, options, folder, fresh=given_url is not None)
            done += 1
            report(_("{backend}: starting the app").format(backend=backend), done, total)
            with _app_server(url, folder, options) as app:
                done += 1

                def step(label: str, app: "_Server" = app, backend: str = backend) -> None:
                    nonlocal done
                    done += 1
                    report(_("{backend}: {step}").format(backend=backend, step=label), done, total)

                measured = asyncio.run(_measure_app(app, options, step))
            floor_times += asyncio.run(_measure_floor(floor_server.url, options.rounds))
            counts = _counts(options.size)
            results.append(
                {
                    "backend": backend,
                    "participants": counts["participants"],
                    "cases": counts["cases"],
                    "rows_seeded": sum(rows.values()),
                    "seed_s": round(seed_s, 1),
                    **measured,
                }
            )
            done += 1
    report(_("Done"), total, total)
    floor_s = stats.median(floor_times)
    floor = {**stats.summary(floor_times), "pages": ["One", "Two"]}
    for result in results:
        for role in result["roles"]:
            for page in role["pages"]:
                if page["seconds"]:  # else every click was lost: no figures
                    page.update(stats.summary(page["seconds"], round(floor_s, 3)))
    data = {
        "generated_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {
            "python": sys.version.split()[0],
            "platform": platform.platform(),
            "cpus": os.cpu_count(),
            "load_average": [round(x, 2) for x in os.getloadavg()],
        },
        "options": {
            "size": options.size,
            "rounds": options.rounds,
            "sessions": options.sessions,
            "duration_s": options.duration_s,
            "seed": options.seed,
            "streamlit_gc": options.streamlit_gc,
        },
        "floor": floor,
        "results": results,
    }
    data["checks"] = check_targets(data)
    return data


# --- measuring ------------------------------------------------------------------------------


async def _measure_floor(url: str, rounds: int) -> list[float]:
    from playwright.async_api import async_playwright

    async with async_playwright() as playwright:
        browser = await clicks.launch(playwright)
        page = await browser.new_page()
        await page.goto(url)
        await clicks.settle(page, 500)
        times = await clicks.click_rounds(page, rounds)
        await browser.close()
    return [t for values in times.values() for t in values]


async def _measure_app(
    app: "_Server", options: Options, step: Callable[[str], None]
) -> dict[str, Any]:
    from playwright.async_api import async_playwright

    sampler = stats.RssSampler(app.pid, RSS_EVERY_S).start()
    roles, cookies = [], {}
    async with async_playwright() as playwright:
        browser = await clicks.launch(playwright)
        for role, email in options.roles:
            context = await browser.new_context()
            page = await context.new_page()
            first_page_s = await clicks.sign_in(page, app.url, email)
            cookies[role] = await context.storage_state()
            server: dict[str, list[tuple[float, float]]] = {}

            def after_click(
                title: str, started: float, ended: float, server: dict = server
            ) -> None:
                # the click's runs: its own, and any rerun it asked for
                runs = app.runs_during(started, ended)
                if runs:
                    total = (sum(run for run, _ in runs), sum(gc for _, gc in runs))
                    server.setdefault(title, []).append(total)

            lost: dict[str, int] = {}
            times = await clicks.click_rounds(page, options.rounds, after_click, lost)
            roles.append(
                {
                    "role": role,
                    "email": email,
                    "first_page_s": round(first_page_s, 3),
                    "pages": [
                        {
                            "page": title,
                            "seconds": seconds,
                            "lost_clicks": lost.get(title, 0),
                            **_server(server, title),
                        }
                        for title, seconds in times.items()
                    ],
                }
            )
            await context.close()
            step(_("{role} done").format(role=role))
        load = None
        if options.sessions > 1:
            load = await _load(browser, app.url, options, list(cookies.values()))
            step(_("concurrent sessions done"))
        await browser.close()
    samples = sampler.stop()
    return {
        "roles": roles,
        "load": load,
        "rss": stats.rss_report(samples, every_s=300.0, window_s=600.0),
        "rss_samples": [[t, mib] for t, mib in samples],
    }


def _server(server: dict[str, list[tuple[float, float]]], title: str) -> dict[str, Any]:
    """The medians of the server's run time and collection time per click."""
    runs = server.get(title) or []
    if not runs:
        return {"server_run_ms": None, "server_gc_ms": None}
    return {
        "server_run_ms": round(stats.median([run for run, _gc in runs]), 1),
        "server_gc_ms": round(stats.median([gc for _run, gc in runs]), 1),
    }


async def _load(
    browser: Any, url: str, options: Options, states: list[dict[str, Any]]
) -> dict[str, Any]:
    """`options.sessions` contexts clicking at once; each signed in with a role's cookie."""
    times: list[float] = []
    contexts = [
        await browser.new_context(storage_state=states[i % len(states)])
        for i in range(options.sessions)
    ]
    pages = [await context.new_page() for context in contexts]
    for page in pages:
        await page.goto(url)
    await asyncio.gather(*(clicks.settle(page, 500) for page in pages))
    started = time.monotonic()
    if options.duration_s is not None:
        deadline = started + options.duration_s

        def until(done: int) -> bool:
            return time.monotonic() >= deadline
    else:
        per_session = options.rounds * 8

        def until(done: int) -> bool:
            return done >= per_session

    failed = await asyncio.gather(
        *(clicks.keep_clicking(page, until, times.append) for page in pages)
    )
    seconds = time.monotonic() - started
    for context in contexts:
        await context.close()
    return {
        "sessions": options.sessions,
        "seconds": round(seconds, 1),
        "clicks": len(times),
        "failed_clicks": sum(failed),
        "clicks_per_s": round(len(times) / seconds, 2) if seconds > 0 else 0.0,
        "p50_s": round(stats.median(times), 3) if times else None,
        "p95_s": round(stats.p95(times), 3) if times else None,
    }


# --- data -----------------------------------------------------------------------------------


def _counts(size: str) -> dict[str, int]:
    from services.tooling.scale import scale_sizes

    return scale_sizes(size_factor(size))


def _seed(url: str, options: Options, folder: Path, *, fresh: bool) -> tuple[dict[str, int], float]:
    """Demo data and scale data on `url`, in a child process. A SQLite file already seeded
    at this size and seed in `folder` (a kept --workdir) is used again."""
    marker = folder / f"browser-{options.size}-{options.seed}.seeded.json"
    if not fresh and marker.exists() and Path(url.removeprefix("sqlite:///")).exists():
        rows, _seconds = json.loads(marker.read_text())
        return rows, 0.0
    if not fresh:
        path = Path(url.removeprefix("sqlite:///"))
        for stale in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
            stale.unlink(missing_ok=True)
    from services.tooling.bench import seed_in_child

    created, seconds = seed_in_child(url, _counts(options.size), options.seed, fresh=fresh)
    if not fresh:
        marker.write_text(json.dumps([created, seconds]))
    return created, seconds


# --- servers --------------------------------------------------------------------------------


class _Server:
    """A server child process, its log in a file."""

    def __init__(self, command: list[str], env: dict[str, str], port: int, log: Path) -> None:
        self.url = f"http://localhost:{port}"
        self.port, self.log_path = port, log
        with log.open("w") as out:
            self.process = subprocess.Popen(  # our own interpreter and module
                command, cwd=PROJECT_ROOT, env=env, stdout=out, stderr=subprocess.STDOUT
            )
        self.pid = self.process.pid
        self._offset = 0
        self._runs: list[tuple[float, float, float]] = []
        try:
            demo.wait_until_healthy(
                f"http://127.0.0.1:{port}/_stcore/health",
                stopped=lambda: self.process.poll() is not None,
                timeout=120,
            )
        except (demo.ServerStopped, TimeoutError):
            self.stop()
            raise RuntimeError(
                f"the server on port {port} did not start:\n{log.read_text()[-3000:]}"
            ) from None

    def runs_during(
        self, started: float, ended: float, wait_s: float = 2.0
    ) -> list[tuple[float, float]]:
        """(run ms, gc ms) of the server's runs that overlap [started, ended] (epoch
        seconds: the same machine's clock). Waits up to `wait_s` for a run that ended after
        `started` to be logged: the line is written once the run's collection is over."""
        deadline = time.monotonic() + wait_s
        while True:
            self._read_runs()
            if any(end >= started for _r, _g, end in self._runs):
                break
            if time.monotonic() >= deadline:
                break
            time.sleep(0.02)
        return [
            (run, gc) for run, gc, end in self._runs if end >= started and end - run / 1000 <= ended
        ]

    def _read_runs(self) -> None:
        with self.log_path.open("rb") as log:
            log.seek(self._offset)
            chunk = log.read()
        complete = chunk[: chunk.rfind(b"\n") + 1]
        self._offset += len(complete)
        for line in complete.decode(errors="replace").splitlines():
            run = parse_run_line(line)
            if run is not None:
                self._runs.append(run)

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def _floor_server(folder: Path) -> Iterator[_Server]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(FLOOR_APP),
        "--server.port",
        str(port),
        "--server.address",
        "localhost",
        "--server.headless",
        "true",
        "--server.fileWatcherType",
        "none",
        "--browser.gatherUsageStats",
        "false",
    ]
    server = _Server(command, dict(os.environ), port, folder / "floor-server.log")
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def _app_server(database_url: str, folder: Path, options: Options) -> Iterator[_Server]:
    """The app as `enlace demo` serves it (demo sign-in through the local provider)."""
    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # the provider's request lines
    app_port, provider_port = free_port(), free_port()
    accounts = [(email, role) for role, email in options.roles]
    secrets = demo.write_secrets(
        folder / "bench-secrets.toml", app_port=app_port, provider_port=provider_port
    )
    env = {
        **os.environ,
        "ENLACE_DATABASE_URL": database_url,
        "ENLACE_DEMO_MODE": "true",
        RUN_TIMES_ENV: "1",
    }
    env.pop("ENLACE_ENVIRONMENT", None)
    env.pop(STREAMLIT_GC_ENV, None)
    if options.streamlit_gc:
        env[STREAMLIT_GC_ENV] = "1"
    command = [
        sys.executable,
        "-m",
        "services.ui.server",
        "--port",
        str(app_port),
        "--address",
        "localhost",
        "--secrets",
        str(secrets),
    ]
    with demo.serve_provider(
        Settings(database_url="sqlite://", demo_mode=True), port=provider_port, accounts=accounts
    ):
        server = _Server(command, env, app_port, folder / f"app-server-{app_port}.log")
        try:
            yield server
        finally:
            server.stop()
