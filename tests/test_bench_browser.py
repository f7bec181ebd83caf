"""`enlace bench --browser` without a browser: its statistics, the RSS sampler, the targets,
the server's run-time lines and its garbage-collection settings."""

import itertools
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from services.cli import bench as cli_bench
from services.tooling import bench_browser_results as results
from services.tooling import browser_stats as stats
from services.ui import server, server_runs

ROOT = Path(__file__).resolve().parents[1]


def test_median_p95_and_ratio():
    times = [0.1 * i for i in range(1, 21)]  # 0.1 … 2.0
    assert stats.median(times) == pytest.approx(1.05)
    assert stats.p95(times) == pytest.approx(1.9)  # nearest rank: the 19th of 20
    assert stats.p95([0.3, 0.1, 0.2]) == pytest.approx(0.3)  # few values: the largest
    assert stats.median([0.4]) == stats.p95([0.4]) == 0.4
    assert stats.ratio(0.36, 0.18) == 2.0
    assert stats.ratio(0.1, 0.3) == 0.33


@pytest.mark.parametrize("call", [stats.median, stats.p95])
def test_statistics_of_nothing_are_refused(call):
    with pytest.raises(ValueError, match="no values"):
        call([])


def test_a_ratio_to_a_zero_floor_is_refused():
    with pytest.raises(ValueError, match="floor must be a positive"):
        stats.ratio(0.2, 0.0)


def test_summary_divides_median_and_p95_by_the_floor_median():
    figures = stats.summary([0.2, 0.4, 0.3, 1.0], floor_s=0.2)
    assert figures == {
        "clicks": 4,
        "median_s": 0.35,
        "p95_s": 1.0,
        "ratio_median": 1.75,
        "ratio_p95": 5.0,
    }
    assert "ratio_median" not in stats.summary([0.2])


def test_rss_is_read_from_proc(tmp_path):
    (tmp_path / "42").mkdir()
    (tmp_path / "42" / "status").write_text("Name:\tpython\nVmRSS:\t  524288 kB\nThreads: 3\n")
    assert stats.rss_mib(42, proc=tmp_path) == 512.0
    (tmp_path / "43").mkdir()
    (tmp_path / "43" / "status").write_text("Name:\tzombie\n")
    with pytest.raises(ValueError, match="VmRSS"):
        stats.rss_mib(43, proc=tmp_path)
    if Path("/proc/self/status").exists():
        assert stats.rss_mib(os.getpid()) > 10  # this Python process


def test_the_sampler_samples_at_start_in_between_and_at_stop():
    readings = itertools.count(100.0, 10.0)
    ticks = itertools.count(0.0, 5.0)
    sampler = stats.RssSampler(
        7, every_s=0.01, read=lambda pid: next(readings), clock=lambda: next(ticks)
    )
    sampler.start()
    while len(sampler.samples) < 3:
        time.sleep(0.01)
    samples = sampler.stop()
    assert samples[0] == (5.0, 100.0)  # the clock read at start, then at the first sample
    assert len(samples) >= 4  # at start, at least two in between, at stop
    assert [mib for _t, mib in samples] == [100.0 + 10 * i for i in range(len(samples))]
    assert [t for t, _mib in samples] == sorted({t for t, _mib in samples})


def test_the_sampler_stops_quietly_when_the_process_is_gone():
    def gone(pid: int) -> float:
        raise FileNotFoundError(pid)

    sampler = stats.RssSampler(7, every_s=0.01, read=gone).start()
    assert sampler.stop() == []


def test_rss_report_gives_start_end_timeline_and_growth_over_the_last_window():
    samples = [(float(t), 300.0 + (t if t <= 1200 else 1200) / 60) for t in range(0, 1801, 10)]
    report = stats.rss_report(samples, every_s=300, window_s=600)
    assert report["start_mib"] == 300.0 and report["end_mib"] == 320.0
    assert report["max_mib"] == 320.0 and report["seconds"] == 1800.0
    assert [t for t, _mib in report["timeline"]] == [0, 300, 600, 900, 1200, 1500, 1800]
    assert report["growth_last_window_mib"] == 0.0  # flat over the last 10 minutes
    growing = [(float(t), 300.0 + t / 60) for t in range(0, 1801, 10)]
    assert stats.rss_report(growing)["growth_last_window_mib"] == 10.0
    assert stats.rss_report(samples[:5])["growth_last_window_mib"] is None  # too short


def _data(**result_extra):
    page = {"page": "Home", "clicks": 5, "median_s": 0.3, "p95_s": 0.5}
    page |= {"ratio_median": 1.5, "ratio_p95": 2.5, "server_run_ms": 80.0, "server_gc_ms": 3.0}
    slow = page | {"page": "Board", "ratio_median": 2.5, "ratio_p95": 3.5}
    rss = {"start_mib": 250, "end_mib": 400, "max_mib": 410, "seconds": 1800.0}
    rss |= {"timeline": [[0, 250], [1800, 400]], "growth_last_window_mib": 30.0}
    result = {"backend": "sqlite", "rss": rss, "load": None}
    result |= {"roles": [{"role": "manager", "first_page_s": 1.2, "pages": [page, slow]}]}
    return {
        "options": {"size": "16x", "rounds": 5, "streamlit_gc": False, "duration_s": 1800.0},
        "machine": {"load_average": [1.0, 1.0, 1.0]},
        "floor": {"median_s": 0.2, "p95_s": 0.25, "clicks": 10},
        "results": [result | result_extra],
    }


def test_targets_name_each_miss():
    data = _data(
        load={
            "sessions": 20,
            "clicks": 100,
            "seconds": 50.0,
            "clicks_per_s": 2.0,
            "p50_s": 0.5,
            "p95_s": 1.4,
            "failed_clicks": 0,
        }
    )
    checks = results.check_targets(data)
    missed = {(c["target"], c["where"]) for c in checks if not c["met"]}
    assert missed == {
        ("first_page_s", "sqlite manager"),
        ("ratio_median", "sqlite manager Board"),
        ("ratio_p95", "sqlite manager Board"),
        ("load_p95_s", "sqlite 20 sessions"),
        ("rss_growth_last_10min_mib", "sqlite"),
    }
    met = {c["target"] for c in checks if c["met"]}
    assert met == {"ratio_median", "ratio_p95", "rss_end_mib"}
    data["checks"] = checks
    text = results.markdown(data)
    assert "| sqlite | manager | Board | 300 | 500 | 2.50 | 3.50 | 80 | 3 |" in text
    assert "Targets: 3 of 8 met." in text and "20 sessions at once" in text


def test_only_a_long_run_of_sessions_makes_a_memory_claim():
    data = _data()
    data["options"]["duration_s"] = None
    assert not {"rss_end_mib", "rss_growth_last_10min_mib"} & {
        c["target"] for c in results.check_targets(data)
    }


def test_run_lines_of_the_server_log_are_parsed():
    line = "2026-12-01 10:00:00,000 enlace.runs run_ms=412.5 gc_ms=301.0 ended=1796119200.250"
    assert server_runs.parse_run_line(line) == (412.5, 301.0, 1796119200.25)
    assert server_runs.parse_run_line("enlace.runs run_ms=412.5 gc_ms=301.0") is None
    assert server_runs.parse_run_line("2026-12-01 enlace.server started") is None
    assert server_runs.parse_run_line("run_ms=abc gc_ms=1") is None


@pytest.mark.parametrize(
    ("text", "seconds"), [("90s", 90), ("30m", 1800), ("1h", 3600), ("45", 45)]
)
def test_durations(text, seconds):
    assert cli_bench.parse_duration(text) == seconds


@pytest.mark.parametrize("text", ["", "m", "-5m", "0s", "soon"])
def test_bad_durations_are_refused(text):
    with pytest.raises(ValueError, match="not a duration"):
        cli_bench.parse_duration(text)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (["--browser", "--sizes", "1x,16x"], "one size at a time"),
        (["--browser", "--duration", "5m"], "--duration needs --sessions 2"),
        (["--browser", "--roles", "coordinator,janitor"], "Invalid --roles ['janitor']"),
        (["--browser", "--duration", "later", "--sessions", "8"], "not a duration"),
        (["--sessions", "8"], "go with --browser"),
    ],
)
def test_browser_options_are_checked_before_anything_starts(arguments, message):
    result = CliRunner().invoke(cli_bench.app, ["bench", *arguments])
    assert result.exit_code == 2
    assert message in result.output


def test_the_server_turns_streamlits_collection_after_every_run_off(monkeypatch):
    monkeypatch.delenv(server_runs.STREAMLIT_GC_ENV, raising=False)
    config = server.production_config(port=1, address="127.0.0.1", secrets_files=[])
    assert config["runner.postScriptGC"] is False
    monkeypatch.setenv(server_runs.STREAMLIT_GC_ENV, "1")
    config = server.production_config(port=1, address="127.0.0.1", secrets_files=[])
    assert config["runner.postScriptGC"] is True


def test_start_up_freezes_the_imported_app_and_tunes_the_thresholds():
    """In a fresh interpreter (a freeze is for the life of the process)."""
    script = (
        "import gc, sys\n"
        "from services.ui import server_runs\n"
        "frozen = server_runs.prepare_gc()\n"
        "used = ('services.reporting.dashboard', 'services.ui.runtime', 'pandas', 'altair')\n"
        "print(frozen, gc.get_freeze_count(), all(m in sys.modules for m in used),"
        " *gc.get_threshold())\n"
    )
    env = {k: v for k, v in os.environ.items() if k != server_runs.STREAMLIT_GC_ENV}
    done = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    frozen, count, imported, *threshold = done.stdout.split()
    assert int(frozen) > 100_000  # Streamlit, pandas, SQLAlchemy and the app
    assert int(count) > 100_000
    assert imported == "True"  # what a run imports is imported before the freeze
    assert tuple(map(int, threshold)) == server_runs.GC_THRESHOLDS


def test_a_page_whose_clicks_were_all_lost_is_shown_without_figures():
    data = _data()
    lost = {"page": "Admin", "seconds": [], "lost_clicks": 5}
    lost |= {"server_run_ms": None, "server_gc_ms": None}
    data["results"][0]["roles"][0]["pages"].append(lost)
    data["checks"] = results.check_targets(data)
    assert not [c for c in data["checks"] if c["where"].endswith("Admin")]
    text = results.markdown(data)
    assert "| sqlite | manager | Admin | — | — | — | — | — | — |" in text
    assert "5 page clicks lost" in text
