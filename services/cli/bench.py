"""`enlace seed scale` and `enlace bench`: synthetic data at any size, and the benchmark.

The lead registers them in services/cli/main.py:
    seed_app.command("scale", help=cli_bench.SEED_SCALE_HELP)(cli_bench.seed_scale)
    app.command("bench", help=cli_bench.BENCH_HELP)(cli_bench.bench)
"""

import json
import os
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.progress import TaskProgressColumn

from services.cli.common import console, database, fail, progress_bar
from services.platform.i18n import N_, _, ngettext

app = typer.Typer(
    help=N_("Scale data and the benchmark."), no_args_is_help=True, rich_markup_mode=None
)
SEED_SCALE_HELP = N_(
    "Add synthetic participants, courses, progress and cases (safe on top of demo data)."
)
BENCH_HELP = N_(
    "Measure every page's server time at each size, on fresh databases.\n\n"
    "SQLite files are made in a temporary folder. Set ENLACE_BENCH_DATABASE_URL to also "
    "measure on PostgreSQL: that database is EMPTIED and refilled for each size."
)


@app.command("scale", help=SEED_SCALE_HELP)
def seed_scale(
    participants: Annotated[
        int, typer.Option(help=N_("Participants to add (about 20 progress rows each)"))
    ],
    cases: Annotated[int, typer.Option(help=N_("Referral cases to add (about 5 events each)"))],
    seed: Annotated[int, typer.Option(help=N_("Same seed, same rows"))] = 2026,
) -> None:
    from services.platform import formatting
    from services.platform.audit_log import ENTITY_LABELS
    from services.tooling.scale import seed_scale as run_seed

    if participants < 0 or cases < 0:
        raise fail(_("--participants and --cases must be zero or more."), 2)
    with database() as engine:
        started = time.perf_counter()
        with progress_bar(TaskProgressColumn()) as bar:
            task = bar.add_task(_("Seeding scale data"), total=participants + cases or 1)

            def report(step: str, done: int, total: int) -> None:
                bar.update(task, description=step, completed=done, total=total or 1)

            created = run_seed(
                engine=engine, participants=participants, cases=cases, seed=seed, progress=report
            )
        seconds = time.perf_counter() - started
    summary = ", ".join(
        f"{_(ENTITY_LABELS.get(table, table))} {formatting.number(count)}"
        for table, count in created.items()
        if count
    )
    console.print(
        _("Scale data added in {seconds} s: {summary}.").format(
            seconds=formatting.decimal(seconds, 1), summary=summary or _("nothing")
        ),
        markup=False,
    )


@app.command("bench", help=BENCH_HELP)
def bench(
    sizes: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "Comma-separated sizes; 16x = 20,000 participants, 100,000 cases "
                "[default: 1x,4x,16x; with --browser one size, 16x]"
            )
        ),
    ] = None,
    out: Annotated[Path, typer.Option(help=N_("Where to write the JSON results"))] = Path(
        "bench.json"
    ),
    runs: Annotated[int, typer.Option(help=N_("Runs per page; medians are reported"))] = 5,
    seed: Annotated[int, typer.Option(help=N_("Seed of the scale data"))] = 2026,
    workdir: Annotated[
        Path | None, typer.Option(help=N_("Keep the SQLite databases in this folder"))
    ] = None,
    markdown: Annotated[
        Path | None, typer.Option(help=N_("Also write the tables as Markdown to this file"))
    ] = None,
    cli: Annotated[
        bool,
        typer.Option(
            "--cli",
            help=N_(
                "Time the command line instead: `enlace --help` and `enlace courses list` "
                "in fresh processes (--runs each), and `seed scale` at each of --sizes; JSON in "
                "<out>-cli.json"
            ),
        ),
    ] = False,
    browser: Annotated[
        bool,
        typer.Option(
            "--browser",
            help=N_(
                "Measure in Chromium instead: click → idle per page and role, against a "
                "trivial app's floor (--runs warm rounds)"
            ),
        ),
    ] = False,
    sessions: Annotated[
        int, typer.Option(help=N_("With --browser: sessions clicking at once after the pages"))
    ] = 1,
    duration: Annotated[
        str | None,
        typer.Option(help=N_("With --browser: the sessions click for this long (90s, 30m)")),
    ] = None,
    streamlit_gc: Annotated[
        bool,
        typer.Option(
            "--streamlit-gc",
            help=N_("With --browser: serve with Streamlit's gc.collect(2) after every run"),
        ),
    ] = False,
    roles: Annotated[
        str | None,
        typer.Option(
            help=N_(
                "With --browser: comma-separated roles to sign in as "
                "[default: coordinator,officer.ar,manager,admin,partner]"
            )
        ),
    ] = None,
) -> None:
    if browser and cli:
        raise fail(_("Choose one of --browser and --cli."), 2)
    if browser:
        _bench_browser(
            sizes or "16x",
            out,
            runs,
            seed,
            workdir,
            markdown,
            sessions,
            duration,
            streamlit_gc,
            roles,
        )
        return
    if sessions != 1 or duration is not None or streamlit_gc or roles is not None:
        raise fail(_("--sessions, --duration, --streamlit-gc and --roles go with --browser."), 2)
    from services.platform import formatting
    from services.tooling import bench as benchmark
    from services.tooling import bench_results

    try:
        size_list = bench_results.parse_sizes(sizes or "1x,4x,16x")
    except ValueError as error:
        raise fail(_("Invalid --sizes: {problem}").format(problem=error), 2) from None
    if runs < 1:
        raise fail(_("--runs must be at least 1."), 2)
    postgres_url = _bench_postgres_url()
    if cli:
        _bench_cli(size_list, runs, postgres_url, seed, workdir, out, markdown)
        return
    started = time.perf_counter()
    with progress_bar(TaskProgressColumn()) as bar:
        task = bar.add_task(_("Benchmark"), total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        data = benchmark.run_benchmark(
            sizes=size_list,
            postgres_url=postgres_url,
            runs=runs,
            seed=seed,
            workdir=workdir,
            progress=report,
        )
    out.write_text(json.dumps(data, indent=2))
    if markdown is not None:
        markdown.write_text(bench_results.markdown_tables(data))
    console.print(bench_results.results_table(data))
    console.print(bench_results.exports_table(data))
    missed = [check for check in data["checks"] if not check["met"]]
    pages = sum(len(result["pages"]) for result in data["results"])
    console.print(
        ngettext(
            "Benchmarked {pages} page run at {sizes} in {seconds} s: {met} of {targets} targets "
            "met; results in {out}.",
            "Benchmarked {pages} page runs at {sizes} in {seconds} s: {met} of {targets} "
            "targets met; results in {out}.",
            pages,
        ).format(
            pages=formatting.number(pages),
            sizes=", ".join(size_list),
            seconds=formatting.number(round(time.perf_counter() - started)),
            met=formatting.number(len(data["checks"]) - len(missed)),
            targets=formatting.number(len(data["checks"])),
            out=out,
        ),
        markup=False,
    )


def _bench_postgres_url() -> str | None:
    """ENLACE_BENCH_DATABASE_URL, with psycopg's driver named, or None."""
    name = "ENLACE_BENCH_DATABASE_URL"
    postgres_url = os.environ.get(name) or None
    if postgres_url and not postgres_url.startswith("postgresql"):
        raise fail(_("{name} must be a postgresql:// URL.").format(name=name), 2)
    if postgres_url and postgres_url.startswith("postgresql://"):
        postgres_url = "postgresql+psycopg://" + postgres_url.removeprefix("postgresql://")
    return postgres_url


def parse_duration(text: str) -> float:
    """'90s', '30m', '1h' or plain seconds → seconds."""
    units = {"s": 1, "m": 60, "h": 3600}
    value = text.strip().lower()
    unit = units.get(value[-1:], None)
    try:
        seconds = float(value[:-1] if unit else value) * (unit or 1)
    except ValueError:
        seconds = float("nan")
    if not seconds > 0:
        raise ValueError(_("'{text}' is not a duration like 90s, 30m or 1h").format(text=text))
    return seconds


def _bench_browser(
    sizes: str,
    out: Path,
    runs: int,
    seed: int,
    workdir: Path | None,
    markdown: Path | None,
    sessions: int,
    duration: str | None,
    streamlit_gc: bool,
    roles: str | None,
) -> None:
    from services.platform import formatting
    from services.tooling import bench_browser, bench_browser_results
    from services.tooling.bench_results import parse_sizes

    try:
        size_list = parse_sizes(sizes)
        duration_s = parse_duration(duration) if duration is not None else None
    except ValueError as error:
        raise fail(_("Invalid option: {problem}").format(problem=error), 2) from None
    if len(size_list) != 1:
        raise fail(_("--browser measures one size at a time, e.g. --sizes 16x."), 2)
    if runs < 1 or sessions < 1:
        raise fail(_("--runs and --sessions must be at least 1."), 2)
    if duration_s is not None and sessions < 2:
        raise fail(
            _("--duration needs --sessions 2 or more (the sessions click for that long)."), 2
        )
    known = dict(bench_browser.ROLE_ACCOUNTS)
    chosen = [r.strip() for r in roles.split(",") if r.strip()] if roles else list(known)
    unknown = [role for role in chosen if role not in known]
    if unknown or not chosen:
        raise fail(
            _("Invalid --roles {roles}: choose from {known}.").format(
                roles=repr(unknown or roles), known=", ".join(known)
            ),
            2,
        )
    options = bench_browser.Options(
        roles=tuple((role, known[role]) for role in chosen),
        size=size_list[0],
        rounds=runs,
        sessions=sessions,
        duration_s=duration_s,
        seed=seed,
        streamlit_gc=streamlit_gc,
    )
    started = time.perf_counter()
    with progress_bar(TaskProgressColumn()) as bar:
        task = bar.add_task(_("Browser benchmark"), total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        try:
            data = bench_browser.run_browser_benchmark(
                options, postgres_url=_bench_postgres_url(), workdir=workdir, progress=report
            )
        except ImportError as error:
            raise fail(
                _("The browser benchmark needs Playwright (uv sync): {problem}").format(
                    problem=error
                )
            ) from None
    out.write_text(json.dumps(data, indent=2))
    if markdown is not None:
        markdown.write_text(bench_browser_results.markdown(data))
    console.print(bench_browser_results.results_table(data))
    for line in bench_browser_results.summary_lines(data):
        console.print(line, markup=False)
    console.print(
        _("Browser benchmark done in {seconds} s; results in {out}.").format(
            seconds=formatting.number(round(time.perf_counter() - started)), out=out
        ),
        markup=False,
    )


def _bench_cli(
    sizes: list[str],
    runs: int,
    postgres_url: str | None,
    seed: int,
    workdir: Path | None,
    out: Path,
    markdown: Path | None,
) -> None:
    """`enlace bench --cli`: the command line's start-up and seeding times."""
    from rich.table import Table

    from services.platform import formatting
    from services.tooling import cli_timing

    started = time.perf_counter()
    with progress_bar(TaskProgressColumn()) as bar:
        task = bar.add_task(_("Command line"), total=None)

        def report(step: str, done: int, total: int) -> None:
            bar.update(task, description=step, completed=done, total=total)

        try:
            data = cli_timing.run_cli_benchmark(
                sizes=sizes,
                runs=runs,
                postgres_url=postgres_url,
                seed=seed,
                workdir=workdir,
                progress=report,
            )
        except RuntimeError as error:
            raise fail(str(error)) from None
    target = out.with_name(f"{out.stem}-cli{out.suffix or '.json'}")
    target.write_text(json.dumps(data, indent=2))
    if markdown is not None:
        markdown.write_text(cli_timing.markdown(data))

    def seconds(value: float | None, digits: int) -> str:
        return formatting.decimal(value, digits) if value is not None else ""

    def met(value: bool | None) -> str:
        return "" if value is None else (_("Yes") if value else _("No"))

    commands = Table(
        _("Command"),
        _("Median (s)"),
        _("Min (s)"),
        _("Max (s)"),
        _("CPU (s)"),
        _("Target (s)"),
        _("Met"),
    )
    for row in data["commands"]:
        commands.add_row(
            row["command"],
            seconds(row["median_s"], 2),
            seconds(row["min_s"], 2),
            seconds(row["max_s"], 2),
            seconds(row["cpu_median_s"], 2),
            seconds(row["target_s"], 1),
            met(row["met"]),
        )
    console.print(commands)
    seeding = Table(
        _("Size of `seed scale`"),
        _("Database"),
        _("Seconds (printed)"),
        _("Wall clock (s)"),
        _("CPU (s)"),
        _("Target (s)"),
        _("Met"),
    )
    for row in data["seed_scale"]:
        seeding.add_row(
            row["size"],
            row["db"],
            seconds(row["seed_s"], 1),
            seconds(row["wall_s"], 1),
            seconds(row["cpu_s"], 1),
            seconds(row["target_s"], 1),
            met(row["met"]),
        )
    console.print(seeding)
    console.print(
        ngettext(
            "Command line timed in {seconds} s ({runs} run a command; load average {load} on "
            "{cores} cores); results in {out}.",
            "Command line timed in {seconds} s ({runs} runs a command; load average {load} on "
            "{cores} cores); results in {out}.",
            runs,
        ).format(
            seconds=formatting.number(round(time.perf_counter() - started)),
            runs=formatting.number(runs),
            load="; ".join(formatting.decimal(value, 2) for value in data["load_average"]),
            cores=data["cpu_count"],
            out=target,
        ),
        markup=False,
    )
