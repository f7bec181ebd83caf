"""The benchmark's results read back: sizes, the issue's targets met or not, the tables."""

import contextvars
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from services.platform import formatting
from services.platform.i18n import N_, _, ngettext, set_language

T = TypeVar("T")

TARGETS = {
    "warm_s": 0.3,
    "cold_s": 1.5,
    "warm_ratio": 1.5,
    "peak_rss_mib": 1024,
    "chart_png_s": 1.0,
}


def parse_sizes(text: str) -> list[str]:
    """'1x,4x' → ['1x', '4x']; any '<number>x' is allowed ('0.05x' for a smoke run)."""
    sizes = [part.strip().lower() for part in text.split(",") if part.strip()]
    if not sizes:
        raise ValueError(_("give at least one size, e.g. 1x,4x,16x"))
    for size in sizes:
        size_factor(size)
    return sizes


def size_factor(size: str) -> float:
    try:
        factor = float(size.removesuffix("x")) if size.endswith("x") else float("nan")
    except ValueError:
        factor = float("nan")
    if not factor > 0:
        raise ValueError(_("'{size}' is not a size like 1x, 4x or 16x").format(size=size))
    return factor


def check_targets(data: dict[str, Any]) -> list[dict[str, Any]]:
    """Each target of the issue, per size and page: the value, the limit, met or not."""
    checks: list[dict[str, Any]] = []

    def add(target: str, where: str, value: float | None, limit: float) -> None:
        if value is not None:
            checks.append(target_check(target, where, value, limit))

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


# The tables' columns for people: (title, aligned left); the figures right-aligned.
RESULT_COLUMNS = (
    (N_("Size"), True),
    (N_("Page"), True),
    (N_("Role"), True),
    (N_("Warm ms"), False),
    (N_("Cold ms"), False),
    (N_("SQL floor ms (cold)"), False),
    (N_("Shell ms"), False),
    (N_("Warm ÷ floors"), False),
    (N_("Cold ÷ floors"), False),
    (N_("Queries"), False),
    (N_("Elements"), False),
    (N_("Python peak MiB"), False),
)
EXPORT_COLUMNS = (
    (N_("Size"), True),
    (N_("Export"), True),
    (N_("ms"), False),
    (N_("KiB"), False),
    (N_("Rows"), False),
)


def table_of(title: str, columns: tuple[tuple[str, bool], ...], caption: str | None = None) -> Any:
    """An empty rich Table in the run's language: `columns` are (msgid, aligned left)."""
    from rich.table import Table

    table = Table(title=title, caption=caption)
    for column, left in columns:
        table.add_column(_(column), justify="left" if left else "right")
    return table


def results_table(data: dict[str, Any]) -> Any:
    """A rich Table: one row per size, backend and page."""
    table = table_of(
        _("Enlace benchmark: server time under AppTest (medians)"),
        RESULT_COLUMNS,
        caption=_(
            "shell: app.py around an empty page (router, sign-in, sidebar); "
            "floors: shell + the page's own SQL run alone; queries: cold/warm run"
        ),
    )
    for result in data["results"]:
        tag = f"{result['size']} {result['backend'][:2]}"
        for page in result["pages"]:
            if page["error"]:
                table.add_row(
                    tag,
                    page["page"],
                    page["role"],
                    _("error: {problem}").format(problem=page["error"][:60]),
                )
                continue
            table.add_row(
                tag,
                page["page"],
                page["role"],
                ms_text(page["warm_s"]),
                ms_text(page["cold_s"]),
                ms_text(page["sql_floor_cold_s"]),
                ms_text(page["shell_floor_s"]),
                formatting.decimal(page["ratio_warm"], 2),
                formatting.decimal(page["ratio_cold"], 2),
                f"{page['queries_cold']}/{page['queries_warm']}",
                formatting.number(page.get("elements") or None),
                formatting.decimal(page["python_peak_mib"], 1),
            )
        table.add_section()
    return table


def exports_table(data: dict[str, Any]) -> Any:
    table = table_of(_("Exports and memory"), EXPORT_COLUMNS)
    for result in data["results"]:
        tag = f"{result['size']} {result['backend'][:2]}"
        for item in result["exports"]:
            table.add_row(
                tag,
                item["name"],
                ms_text(item["seconds"]),
                formatting.number(round(item["bytes"] / 1024)),
                formatting.number(item["rows"]) if item["rows"] else "",
            )
        table.add_row(
            tag,
            _("peak RSS of the app process: {mib} MiB").format(
                mib=formatting.number(round(result["peak_rss_mib"]))
            ),
            "",
            "",
            "",
        )
        table.add_row(
            tag,
            ngettext(
                "seeding {cases} case: {seconds} s",
                "seeding {cases} cases: {seconds} s",
                result["cases"],
            ).format(
                cases=formatting.number(result["cases"]),
                seconds=formatting.decimal(result["seed_s"], 1),
            ),
            "",
            "",
            "",
        )
        table.add_section()
    return table


def ms_text(seconds: float | None) -> str:
    """Seconds as whole milliseconds for a reader ('1,234' / '1.234'); '—' for none."""
    return formatting.number(None if seconds is None else round(seconds * 1000))


def _ms(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1000:.0f}"


def in_english(build: Callable[[], T]) -> T:
    """`build()` with English messages and figures whatever the run's language: the Markdown
    tables are the README's, which is English."""

    def english() -> T:
        set_language("en")
        return build()

    return contextvars.copy_context().run(english)


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


@contextmanager
def scratch(workdir: Path | None, prefix: str) -> Iterator[Path]:
    """`workdir` (kept, made if missing), or a temporary folder removed afterwards."""
    if workdir is not None:
        workdir.mkdir(parents=True, exist_ok=True)
        yield workdir
        return
    with tempfile.TemporaryDirectory(prefix=prefix) as folder:
        yield Path(folder)


def target_check(target: str, where: str, value: float, limit: float) -> dict[str, Any]:
    """One target of a benchmark: the figure measured where, its limit, and whether it is met."""
    return {"target": target, "where": where, "value": value, "limit": limit, "met": value <= limit}
