"""Figures of `enlace bench --browser`: medians, 95th percentiles, ratios to the floor, and
the app server's resident memory sampled over time."""

import math
import statistics
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path


def median(values: Sequence[float]) -> float:
    if not values:
        raise ValueError("no values to take the median of")
    return float(statistics.median(values))


def p95(values: Sequence[float]) -> float:
    """The 95th percentile, nearest rank: the smallest value at least 95 % of them reach
    (with fewer than 20 values, the largest)."""
    if not values:
        raise ValueError("no values to take the 95th percentile of")
    ordered = sorted(values)
    return float(ordered[math.ceil(0.95 * len(ordered)) - 1])


def ratio(value: float, floor: float) -> float:
    """value ÷ floor, rounded to hundredths."""
    if not floor > 0:
        raise ValueError(f"the floor must be a positive time, not {floor}")
    return round(value / floor, 2)


def summary(seconds: Sequence[float], floor_s: float | None = None) -> dict[str, float | int]:
    """clicks, median_s, p95_s and, given the floor's median, ratio_median and ratio_p95 (both
    divided by the floor's median)."""
    figures: dict[str, float | int] = {
        "clicks": len(seconds),
        "median_s": round(median(seconds), 3),
        "p95_s": round(p95(seconds), 3),
    }
    if floor_s is not None:
        figures["ratio_median"] = ratio(figures["median_s"], floor_s)
        figures["ratio_p95"] = ratio(figures["p95_s"], floor_s)
    return figures


def rss_mib(pid: int, proc: Path = Path("/proc")) -> float:
    """The resident memory of process `pid` in MiB, from /proc/<pid>/status (VmRSS)."""
    for line in (proc / str(pid) / "status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return round(int(line.split()[1]) / 1024, 1)
    raise ValueError(f"no VmRSS line for process {pid}")


class RssSampler:
    """Samples a process's resident memory every `every_s` seconds in a thread:
    `samples` is [(seconds since start, MiB)], the first taken at start, the last at stop."""

    def __init__(
        self,
        pid: int,
        every_s: float = 10.0,
        read: Callable[[int], float] = rss_mib,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.pid, self.every_s, self._read, self._clock = pid, every_s, read, clock
        self.samples: list[tuple[float, float]] = []
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0

    def sample(self) -> None:
        try:
            value = self._read(self.pid)
        except (OSError, ValueError):  # the process has exited
            return
        self.samples.append((round(self._clock() - self._started, 1), value))

    def start(self) -> "RssSampler":
        self._started = self._clock()
        self.sample()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def _run(self) -> None:
        while not self._stop.wait(self.every_s):
            self.sample()

    def stop(self) -> list[tuple[float, float]]:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()
        self.sample()
        return self.samples


def rss_report(
    samples: Sequence[tuple[float, float]], every_s: float = 300.0, window_s: float = 600.0
) -> dict[str, object]:
    """start, end and max MiB; one sample about every `every_s` seconds (first and last
    included); growth over the last `window_s` seconds (end minus the last sample taken at
    least `window_s` before the end), None when the run was shorter."""
    if not samples:
        raise ValueError("no memory samples")
    end_t, end_mib = samples[-1]
    timeline = [samples[0]]
    for t, mib in samples[1:-1]:
        if t - timeline[-1][0] >= every_s:
            timeline.append((t, mib))
    if len(samples) > 1:
        timeline.append(samples[-1])
    before = [mib for t, mib in samples if t <= end_t - window_s]
    return {
        "start_mib": samples[0][1],
        "end_mib": end_mib,
        "max_mib": max(mib for _t, mib in samples),
        "seconds": end_t,
        "timeline": [[t, mib] for t, mib in timeline],
        "growth_last_window_mib": round(end_mib - before[-1], 1) if before else None,
        "window_s": window_s,
    }
