"""`enlace bench --cli`: how long the command line takes, as a person running it waits.

Each figure is the wall time of the real `enlace` console script in a fresh process (start,
imports, the command, exit), so nothing is warm but the operating system's file cache:

- `enlace --help` and `enlace courses list` (on a SQLite file holding the demo data), `runs`
  times each, median and min (target: 0.8 s each);
- `enlace seed scale` at each size, on a fresh SQLite file holding the demo data and on the
  PostgreSQL database of ENLACE_BENCH_DATABASE_URL when given (EMPTIED first), as the command
  prints it (target at 16x: 30 s).

Each figure also has the CPU time of the process (user + system): the wall time of a machine
shared with other work grows with its load, the CPU time much less (PostgreSQL's own work in
its server processes is not in it).
"""

import os
import re
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from services.platform.i18n import _
from services.tooling.scale import DEFAULT_SEED, scale_sizes

START_TARGET_S = 0.8
SEED_TARGET_S = 30.0
SEED_TARGET_SIZE = "16x"
START_COMMANDS: tuple[tuple[str, ...], ...] = (("--help",), ("courses", "list"))

Progress = Callable[[str, int, int], None]


def enlace_command() -> list[str]:
    """The installed console script beside this interpreter (as `uv run enlace` runs it)."""
    script = Path(sys.executable).parent / "enlace"
    if script.exists():
        return [str(script)]
    found = shutil.which("enlace")
    if found:
        return [found]
    return [sys.executable, "-m", "services.cli.main"]


def _children_cpu() -> float:
    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    return used.ru_utime + used.ru_stime


def _run(args: list[str], url: str, timeout: float = 900) -> tuple[float, float, str]:
    """(wall seconds, CPU seconds, stdout) of `enlace *args` on `url`; a failure names the
    command."""
    env = {**os.environ, "ENLACE_DATABASE_URL": url, "COLUMNS": "200", "NO_COLOR": "1"}
    cpu = _children_cpu()
    started = time.perf_counter()
    done = subprocess.run(  # our own console script
        [*enlace_command(), *args], env=env, capture_output=True, text=True, timeout=timeout
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        problem = (done.stderr or done.stdout).strip()[-1000:]
        raise RuntimeError(
            _("`{command}` failed ({code}): {problem}").format(
                command=" ".join(["enlace", *args]), code=done.returncode, problem=problem
            )
        )
    return seconds, _children_cpu() - cpu, done.stdout


def _fresh(url: str) -> None:
    """Schema and demo data on `url`; a PostgreSQL database is emptied first."""
    if url.startswith("postgresql"):
        from services.platform import migrate
        from services.platform.db import build_engine

        engine = build_engine(url)
        try:
            migrate.downgrade(engine, "base")
        finally:
            engine.dispose()
    _run(["db", "upgrade"], url)
    _run(["seed", "demo"], url)


def _summary(seconds: list[float], cpu: list[float], target: float) -> dict[str, Any]:
    median = statistics.median(seconds)
    return {
        "runs_s": [round(value, 3) for value in seconds],
        "median_s": round(median, 3),
        "min_s": round(min(seconds), 3),
        "max_s": round(max(seconds), 3),
        "cpu_median_s": round(statistics.median(cpu), 3),
        "target_s": target,
        "met": median <= target,
    }


def run_cli_benchmark(
    *,
    sizes: list[str],
    runs: int,
    postgres_url: str | None,
    seed: int = DEFAULT_SEED,
    workdir: Path | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """The command line's figures: start-up per command, then `seed scale` per size and
    database. Sizes are the page benchmark's ('16x' = 20,000 participants, 100,000 cases)."""
    from services.tooling.bench_results import size_factor

    if runs < 1:
        raise ValueError(_("--runs must be at least 1."))
    report = progress or (lambda _step, _done, _total: None)
    backends = ["sqlite", *(["postgresql"] if postgres_url else [])]
    total = runs * len(START_COMMANDS) + len(sizes) * len(backends)
    done = 0
    folder = workdir or Path(tempfile.mkdtemp(prefix="enlace-cli-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    try:
        demo_url = f"sqlite:///{folder / 'cli-demo.db'}"
        _remove_sqlite(folder / "cli-demo.db")
        report(_("Preparing the demo database"), done, total)
        _fresh(demo_url)
        commands = []
        for args in START_COMMANDS:
            name = f"enlace {' '.join(args)}"
            seconds, cpu = [], []
            for run in range(runs):
                report(
                    _("{command} ({run} of {runs})").format(command=name, run=run + 1, runs=runs),
                    done,
                    total,
                )
                wall, used, _output = _run(list(args), demo_url)
                seconds.append(wall)
                cpu.append(used)
                done += 1
            commands.append({"command": name, **_summary(seconds, cpu, START_TARGET_S)})
        seeding = []
        for size in sizes:
            counts = scale_sizes(size_factor(size))
            for backend in backends:
                report(
                    _("enlace seed scale {size} on {backend}").format(size=size, backend=backend),
                    done,
                    total,
                )
                if backend == "sqlite":
                    path = folder / f"cli-scale-{size}.db"
                    _remove_sqlite(path)
                    url = f"sqlite:///{path}"
                else:
                    url = str(postgres_url)
                _fresh(url)
                # In English whatever the caller's language: its printed time is read back.
                wall, used, output = _run(
                    [
                        "--lang",
                        "en",
                        "seed",
                        "scale",
                        "--participants",
                        str(counts["participants"]),
                        "--cases",
                        str(counts["cases"]),
                        "--seed",
                        str(seed),
                    ],
                    url,
                )
                printed = re.search(r"added in ([0-9.,]+) s", output)
                seeding.append(
                    {
                        "size": size,
                        "db": backend,
                        **counts,
                        "seed_s": float(printed.group(1).replace(",", "")) if printed else None,
                        "wall_s": round(wall, 2),
                        "cpu_s": round(used, 2),
                        "target_s": SEED_TARGET_S if size == SEED_TARGET_SIZE else None,
                        "met": (wall <= SEED_TARGET_S) if size == SEED_TARGET_SIZE else None,
                    }
                )
                done += 1
                if backend == "sqlite" and workdir is None:
                    _remove_sqlite(path)
    finally:
        if workdir is None:
            shutil.rmtree(folder, ignore_errors=True)
    report(_("Done"), total, total)
    return {
        "runs": runs,
        "cpu_count": os.cpu_count(),
        "load_average": [round(value, 2) for value in os.getloadavg()],
        "commands": commands,
        "seed_scale": seeding,
    }


def _remove_sqlite(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


def markdown(data: dict[str, Any]) -> str:
    """The figures as the README's tables."""
    lines = [
        "| command | runs | median s | min s | max s | CPU s (median) | target s | met |",
        "|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in data["commands"]:
        lines.append(
            f"| `{row['command']}` | {data['runs']} | {row['median_s']:.2f} | {row['min_s']:.2f} "
            f"| {row['max_s']:.2f} | {row['cpu_median_s']:.2f} | {row['target_s']} "
            f"| {'yes' if row['met'] else 'no'} |"
        )
    lines += [
        "",
        "| seed scale | db | participants | cases | seconds (printed) | wall s | CPU s (enlace) "
        "| target s | met |",
        "|---|---|---:|---:|---:|---:|---:|---:|---|",
    ]
    for row in data["seed_scale"]:
        met = "" if row["met"] is None else ("yes" if row["met"] else "no")
        lines.append(
            f"| {row['size']} | {row['db']} | {row['participants']:,} | {row['cases']:,} | "
            f"{row['seed_s']} | {row['wall_s']:.1f} | {row['cpu_s']:.1f} | {row['target_s'] or ''} "
            f"| {met} |"
        )
    load = ", ".join(str(value) for value in data["load_average"])
    lines += ["", f"Load average when it ended: {load} ({data['cpu_count']} cores)."]
    return "\n".join(lines) + "\n"
