"""`enlace bench --browser` end to end at a tiny size (figures checked for shape and
consistency, never against a time), and the served app's garbage-collection settings."""

import json
import os
import re
import subprocess

import pytest

from tests.e2e.support import ENLACE, ROOT

pytestmark = pytest.mark.browser


def test_the_browser_benchmark_reports_every_page_against_the_floor(tmp_path):
    out, markdown = tmp_path / "browser.json", tmp_path / "browser.md"
    env = {k: v for k, v in os.environ.items() if k != "ENLACE_BENCH_DATABASE_URL"}
    command = [ENLACE, "bench", "--browser", "--sizes", "0.01x", "--runs", "1"]
    command += ["--roles", "coordinator,partner", "--sessions", "2"]
    command += ["--out", str(out), "--markdown", str(markdown), "--workdir", str(tmp_path)]
    done = subprocess.run(
        command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, check=False
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    data = json.loads(out.read_text())

    floor = data["floor"]
    assert floor["pages"] == ["One", "Two"]
    assert floor["clicks"] == 4  # one round before the app, one after
    assert 0 < floor["median_s"] <= floor["p95_s"]
    (result,) = data["results"]
    assert result["backend"] == "sqlite" and result["rows_seeded"] > 0
    assert [role["role"] for role in result["roles"]] == ["coordinator", "partner"]
    for role in result["roles"]:
        assert role["first_page_s"] > 0
        assert len(role["pages"]) >= 3, role  # every sidebar page of the role
        for page in role["pages"]:
            assert page["clicks"] == len(page["seconds"]) == 1
            assert 0 < page["median_s"] <= page["p95_s"], page
            assert page["ratio_median"] == pytest.approx(
                page["median_s"] / floor["median_s"], abs=0.01
            )
            assert page["ratio_p95"] == pytest.approx(page["p95_s"] / floor["median_s"], abs=0.01)
            # the server's own time, from the run lines it logs for the benchmark
            assert page["server_run_ms"] > 0 and page["server_gc_ms"] >= 0, page
    load = result["load"]
    assert load["sessions"] == 2 and load["clicks"] > 0
    assert load["clicks_per_s"] == pytest.approx(load["clicks"] / load["seconds"], rel=0.05)
    assert 0 < load["p50_s"] <= load["p95_s"]
    rss = result["rss"]
    assert 50 < rss["start_mib"] <= rss["max_mib"] and rss["end_mib"] > 50
    assert rss["growth_last_window_mib"] is None  # too short to say
    targets = {check["target"] for check in data["checks"]}
    assert {"ratio_median", "ratio_p95", "first_page_s", "load_p95_s"} <= targets
    assert data["options"]["streamlit_gc"] is False
    text = markdown.read_text()
    assert "| db | role | page | median ms |" in text and "Floor (trivial two-page app)" in text
    assert "Browser benchmark done" in done.stdout


def test_the_served_app_freezes_its_start_up_heap_and_skips_the_post_run_collection(live_app):
    """Read from the process `enlace serve` started: the GC change cannot silently regress."""
    log = live_app.log_path.read_text()
    frozen = re.search(r"Garbage collection: (\d+) objects frozen at start-up", log)
    assert frozen, log[-2000:]
    assert int(frozen.group(1)) > 100_000
    assert "no full collection after each run" in log
