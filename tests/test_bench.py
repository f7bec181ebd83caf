"""A smoke run of `enlace bench` at a tiny size: valid JSON with every page, no timings."""

import json

import pytest
from typer.testing import CliRunner

from services.cli import bench as cli_bench
from services.platform.access import PAGE_ROLES
from services.tooling import bench, bench_results


def test_bench_at_a_tiny_size_writes_every_page(tmp_path, monkeypatch):
    monkeypatch.delenv(bench.BENCH_DATABASE_ENV, raising=False)
    out = tmp_path / "bench.json"
    result = CliRunner().invoke(
        cli_bench.app,
        ["bench", "--sizes", "0.02x", "--runs", "1", "--out", str(out), "--workdir", str(tmp_path)],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    (size,) = data["results"]
    assert size["size"] == "0.02x" and size["backend"] == "sqlite"
    assert size["rows"]["referral_case"] == 125
    pages = {page["page"]: page for page in size["pages"]}
    assert set(pages) == set(PAGE_ROLES)
    for page in pages.values():
        assert page["error"] is None, page
        assert page["warm_s"] > 0 and page["cold_s"] > 0 and page["queries_cold"] >= 0
        assert page["elements"] > 3  # a title, filters, charts or tables: not an empty page
        assert page["ratio_warm"] is not None
    kinds = {item["kind"] for item in size["exports"]}
    assert kinds == {"png", "xlsx"}
    assert all(item["seconds"] >= 0 for item in size["exports"]), size["exports"]
    assert data["checks"] and {"target", "where", "value", "limit", "met"} <= set(data["checks"][0])
    assert "targets met" in result.output


@pytest.mark.parametrize("text", ["", "x", "0x", "-1x", "4"])
def test_sizes_must_look_like_1x(text):
    with pytest.raises(ValueError):
        bench_results.parse_sizes(text)


def test_sizes_are_parsed():
    assert bench_results.parse_sizes("1x, 4x,16x") == ["1x", "4x", "16x"]
    assert bench_results.size_factor("0.5x") == 0.5
