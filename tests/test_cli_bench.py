"""`enlace bench --cli` at a tiny size: each command timed in fresh processes, the seeding
timed as the command prints it, the JSON and the README's tables (timings not asserted)."""

import json

from typer.testing import CliRunner

from services.cli import bench as cli_bench
from services.tooling import bench, cli_timing


def test_bench_cli_times_the_commands_and_the_seeding(tmp_path, monkeypatch):
    monkeypatch.delenv(bench.BENCH_DATABASE_ENV, raising=False)
    out = tmp_path / "bench.json"
    tables = tmp_path / "cli.md"
    result = CliRunner().invoke(
        cli_bench.app,
        [
            "bench",
            "--cli",
            "--sizes",
            "0.01x",
            "--runs",
            "2",
            "--out",
            str(out),
            "--markdown",
            str(tables),
            "--workdir",
            str(tmp_path),
        ],
    )
    assert result.exit_code == 0, result.output
    assert not out.exists()  # the page benchmark's results are not overwritten
    data = json.loads((tmp_path / "bench-cli.json").read_text())
    assert [row["command"] for row in data["commands"]] == [
        "enlace --help",
        "enlace courses list",
    ]
    for row in data["commands"]:
        assert len(row["runs_s"]) == 2 and 0 < row["min_s"] <= row["median_s"] <= row["max_s"]
        assert row["cpu_median_s"] > 0 and row["target_s"] == 0.8
        assert row["met"] == (row["median_s"] <= 0.8)
    (seeded,) = data["seed_scale"]
    assert seeded["size"] == "0.01x" and seeded["db"] == "sqlite"
    assert seeded["participants"] == 12 and seeded["cases"] == 62
    assert seeded["seed_s"] is not None and 0 <= seeded["seed_s"] <= seeded["wall_s"]
    assert seeded["target_s"] is None and seeded["met"] is None  # the target is at 16x
    markdown = tables.read_text()
    assert (
        "| `enlace courses list` | 2 |" in markdown and "| 0.01x | sqlite | 12 | 62 |" in markdown
    )
    assert "enlace --help" in result.output and "results in" in result.output


def test_a_failing_command_is_named(tmp_path):
    try:
        cli_timing._run(["courses", "list"], f"sqlite:///{tmp_path / 'no-schema.db'}")
    except RuntimeError as error:
        assert "`enlace courses list` failed (1)" in str(error)
        assert "no schema yet" in str(error)
    else:
        raise AssertionError("a failing command must raise")
