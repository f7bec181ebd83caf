"""`enlace bench --browser` read back: the issue's targets met or not, the tables."""

from typing import Any

from services.tooling.bench_results import target_check

TARGETS = {
    "ratio_median": 2.0,  # a page's median click → idle ÷ the floor's median
    "ratio_p95": 3.0,  # a page's p95 click → idle ÷ the floor's median
    "first_page_s": 1.0,  # the first page after sign-in
    "load_p95_s": 1.0,  # p95 click → idle with `sessions` sessions clicking at once
    "rss_end_mib": 600.0,  # the app server's RSS at the end
    # "No growth" over the last 10 minutes, within what the allocator's noise moves.
    "rss_growth_last_10min_mib": 10.0,
}


def check_targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target, per database, role and page: the value, the limit, met or not."""
    checks: list[dict[str, Any]] = []

    def add(target: str, where: str, value: float | None) -> None:
        if value is not None:
            checks.append(target_check(target, where, value, TARGETS[target]))

    for result in data["results"]:
        backend = result["backend"]
        for role in result["roles"]:
            add("first_page_s", f"{backend} {role['role']}", role["first_page_s"])
            for page in role["pages"]:
                where = f"{backend} {role['role']} {page['page']}"
                add("ratio_median", where, page.get("ratio_median"))
                add("ratio_p95", where, page.get("ratio_p95"))
        if result.get("load"):
            add(
                "load_p95_s",
                f"{backend} {result['load']['sessions']} sessions",
                result["load"]["p95_s"],
            )
        rss = result["rss"]
        # Only a run of sessions clicking for 10 minutes or more says something about memory
        # over time (the first samples are taken before the app is even imported).
        if (data["options"].get("duration_s") or 0) >= 600:
            add("rss_end_mib", f"{backend} after {rss['seconds'] / 60:.0f} min", rss["end_mib"])
            add("rss_growth_last_10min_mib", backend, rss["growth_last_window_mib"])
    return checks


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f}"


def _number(value: float | None, digits: int = 0) -> str:
    return "—" if value is None else f"{value:.{digits}f}"


def page_rows(data: dict[str, Any]) -> list[list[str]]:
    """One row per database, role and page (first page after sign-in included)."""
    rows = []
    for result in data["results"]:
        for role in result["roles"]:
            rows.append(
                [
                    result["backend"],
                    role["role"],
                    "(first page after sign-in)",
                    _ms(role["first_page_s"]),
                    "",
                    "",
                    "",
                    "",
                    "",
                ]
            )
            for page in role["pages"]:
                rows.append(
                    [
                        result["backend"],
                        role["role"],
                        page["page"],
                        _ms(page.get("median_s")),
                        _ms(page.get("p95_s")),
                        _number(page.get("ratio_median"), 2),
                        _number(page.get("ratio_p95"), 2),
                        _number(page["server_run_ms"]),
                        _number(page["server_gc_ms"]),
                    ]
                )
    return rows


PAGE_COLUMNS = (
    "db",
    "role",
    "page",
    "median ms",
    "p95 ms",
    "median ÷ floor",
    "p95 ÷ floor",
    "server run ms",
    "server gc ms",
)


def summary_lines(data: dict[str, Any]) -> list[str]:
    """The floor, the concurrent sessions, memory and the targets, one line each."""
    floor = data["floor"]
    options = data["options"]
    lines = [
        f"Size {options['size']}, {options['rounds']} warm rounds per page, Python's collection "
        + (
            "as Streamlit does it (gc.collect(2) after every run)"
            if options["streamlit_gc"]
            else "tuned (start-up frozen, no full collection after each run)"
        )
        + f"; load average at the end {data['machine']['load_average']}.",
        f"Floor (trivial two-page app): median {_ms(floor['median_s'])} ms, "
        f"p95 {_ms(floor['p95_s'])} ms over {floor['clicks']} clicks.",
    ]
    for result in data["results"]:
        lost = sum(page.get("lost_clicks", 0) for role in result["roles"] for page in role["pages"])
        if lost:
            lines.append(f"{result['backend']}: {lost} page clicks lost (no run seen), skipped.")
        load = result.get("load")
        if load:
            lines.append(
                f"{result['backend']}: {load['sessions']} sessions at once, {load['clicks']} "
                f"clicks in {load['seconds']:.0f} s ({load['clicks_per_s']:.2f} clicks/s), "
                f"p50 {_ms(load['p50_s'])} ms, p95 {_ms(load['p95_s'])} ms, "
                f"{load['failed_clicks']} clicks lost."
            )
        rss = result["rss"]
        growth = rss["growth_last_window_mib"]
        timeline = ", ".join(f"{t / 60:.0f} min {mib:.0f}" for t, mib in rss["timeline"])
        lines.append(
            f"{result['backend']}: app server RSS {rss['start_mib']:.0f} → "
            f"{rss['end_mib']:.0f} MiB "
            f"(max {rss['max_mib']:.0f}) over {rss['seconds'] / 60:.1f} min [{timeline}]"
            + (f"; growth over the last 10 min {growth:+.1f} MiB" if growth is not None else "")
            + "."
        )
    missed = [check for check in data["checks"] if not check["met"]]
    lines.append(f"Targets: {len(data['checks']) - len(missed)} of {len(data['checks'])} met.")
    for check in missed:
        lines.append(
            f"  missed {check['target']} at {check['where']}: {check['value']} "
            f"(limit {check['limit']})"
        )
    return lines


def results_table(data: dict[str, Any]) -> Any:
    from rich.table import Table

    table = Table(title="Enlace in the browser: click → idle, per page")
    for column in PAGE_COLUMNS:
        table.add_column(column, justify="left" if column in ("db", "role", "page") else "right")
    for row in page_rows(data):
        table.add_row(*row)
    return table


def markdown(data: dict[str, Any]) -> str:
    lines = ["| " + " | ".join(PAGE_COLUMNS) + " |", "|---|---|---|" + "---:|" * 6]
    lines += ["| " + " | ".join(row) + " |" for row in page_rows(data)]
    lines += ["", *summary_lines(data)]
    return "\n".join(lines) + "\n"
