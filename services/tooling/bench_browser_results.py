"""`enlace bench --browser` read back: the issue's targets met or not, the tables."""

from typing import Any

from services.platform import formatting
from services.platform.i18n import N_, _, ngettext
from services.tooling.bench_results import in_english, ms_text, table_of, target_check

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
    return ms_text(seconds)


def _number(value: float | None, digits: int = 0) -> str:
    return formatting.decimal(value, digits)


def page_rows(data: dict[str, Any]) -> list[list[str]]:
    """One row per database, role and page (first page after sign-in included)."""
    rows = []
    for result in data["results"]:
        for role in result["roles"]:
            rows.append(
                [
                    result["backend"],
                    role["role"],
                    _("(first page after sign-in)"),
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


# (title, aligned left); the figures right-aligned.
PAGE_COLUMNS = (
    (N_("db"), True),
    (N_("role"), True),
    (N_("page"), True),
    (N_("median ms"), False),
    (N_("p95 ms"), False),
    (N_("median ÷ floor"), False),
    (N_("p95 ÷ floor"), False),
    (N_("server run ms"), False),
    (N_("server gc ms"), False),
)


def summary_lines(data: dict[str, Any]) -> list[str]:
    """The floor, the concurrent sessions, memory and the targets, one line each."""
    floor = data["floor"]
    options = data["options"]
    collection = (
        _("as Streamlit does it (gc.collect(2) after every run)")
        if options["streamlit_gc"]
        else _("tuned (start-up frozen, no full collection after each run)")
    )
    lines = [
        ngettext(
            "Size {size}, {rounds} warm round per page, Python's collection {collection}; "
            "load average at the end {load}.",
            "Size {size}, {rounds} warm rounds per page, Python's collection {collection}; "
            "load average at the end {load}.",
            options["rounds"],
        ).format(
            size=options["size"],
            rounds=formatting.number(options["rounds"]),
            collection=collection,
            load="; ".join(formatting.decimal(v, 2) for v in data["machine"]["load_average"]),
        ),
        ngettext(
            "Floor (trivial two-page app): median {median} ms, p95 {p95} ms over {clicks} click.",
            "Floor (trivial two-page app): median {median} ms, p95 {p95} ms over {clicks} clicks.",
            floor["clicks"],
        ).format(
            median=_ms(floor["median_s"]),
            p95=_ms(floor["p95_s"]),
            clicks=formatting.number(floor["clicks"]),
        ),
    ]
    for result in data["results"]:
        backend = result["backend"]
        lost = sum(page.get("lost_clicks", 0) for role in result["roles"] for page in role["pages"])
        if lost:
            lines.append(
                ngettext(
                    "{backend}: {lost} page click lost (no run seen), skipped.",
                    "{backend}: {lost} page clicks lost (no run seen), skipped.",
                    lost,
                ).format(backend=backend, lost=formatting.number(lost))
            )
        load = result.get("load")
        if load:
            lines.append(
                _(
                    "{backend}: {sessions} sessions at once, {clicks} clicks in {seconds} s "
                    "({rate} clicks/s), p50 {p50} ms, p95 {p95} ms, {lost} clicks lost."
                ).format(
                    backend=backend,
                    sessions=formatting.number(load["sessions"]),
                    clicks=formatting.number(load["clicks"]),
                    seconds=formatting.number(round(load["seconds"])),
                    rate=formatting.decimal(load["clicks_per_s"], 2),
                    p50=_ms(load["p50_s"]),
                    p95=_ms(load["p95_s"]),
                    lost=formatting.number(load["failed_clicks"]),
                )
            )
        rss = result["rss"]
        growth = rss["growth_last_window_mib"]
        timeline = ", ".join(
            _("{minutes} min {mib}").format(
                minutes=formatting.number(round(t / 60)), mib=formatting.number(round(mib))
            )
            for t, mib in rss["timeline"]
        )
        memory = _(
            "{backend}: app server RSS {start} → {end} MiB (max {max}) over {minutes} min "
            "[{timeline}]"
        ).format(
            backend=backend,
            start=formatting.number(round(rss["start_mib"])),
            end=formatting.number(round(rss["end_mib"])),
            max=formatting.number(round(rss["max_mib"])),
            minutes=formatting.decimal(rss["seconds"] / 60, 1),
            timeline=timeline,
        )
        if growth is not None:
            memory += _("; growth over the last 10 min {growth} MiB").format(
                growth=("+" if growth >= 0 else "") + formatting.decimal(growth, 1)
            )
        lines.append(memory + ".")
    missed = [check for check in data["checks"] if not check["met"]]
    lines.append(
        _("Targets: {met} of {total} met.").format(
            met=formatting.number(len(data["checks"]) - len(missed)),
            total=formatting.number(len(data["checks"])),
        )
    )
    for check in missed:
        lines.append(
            "  "
            + _("missed {target} at {where}: {value} (limit {limit})").format(
                target=check["target"],
                where=check["where"],
                value=formatting.number(check["value"]),
                limit=formatting.number(check["limit"]),
            )
        )
    return lines


def results_table(data: dict[str, Any]) -> Any:
    table = table_of(_("Enlace in the browser: click → idle, per page"), PAGE_COLUMNS)
    for row in page_rows(data):
        table.add_row(*row)
    return table


def markdown(data: dict[str, Any]) -> str:
    """The table and the summary as the README's Markdown: in English, as the README is."""
    return in_english(lambda: _markdown(data))


def _markdown(data: dict[str, Any]) -> str:
    header = [column for column, _left in PAGE_COLUMNS]
    lines = ["| " + " | ".join(header) + " |", "|---|---|---|" + "---:|" * 6]
    lines += ["| " + " | ".join(row) + " |" for row in page_rows(data)]
    lines += ["", *summary_lines(data)]
    return "\n".join(lines) + "\n"
