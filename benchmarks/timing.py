"""Small measuring helpers shared by the benchmark files: a no-op job, percentiles, best-of runs."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable

#: ``run.py --quick`` sets this: sizes shrink to a few dozen jobs and each figure runs once, so the
#: smoke test walks every code path in seconds. Quick figures mean nothing.
QUICK = os.environ.get("LABQUEUE_BENCH_QUICK") == "1"


def size(n: int) -> int:
    """``n``, or a small stand-in in quick mode."""
    return max(20, n // 1000) if QUICK else n


def repeats(n: int) -> int:
    """``n`` repetitions, or one in quick mode."""
    return 1 if QUICK else n


def noop() -> None:
    """The job every throughput figure runs: it does nothing, so only the queue's cost is measured."""
    return None


def percentile(samples: list[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of ``samples``, interpolated."""
    if len(samples) == 1:
        return samples[0]
    return statistics.quantiles(samples, n=1000, method="inclusive")[round(p * 10) - 1]


def best_of(repeats: int, contenders: dict[str, Callable[[], float]]) -> dict[str, float]:
    """Run each contender ``repeats`` times, interleaved; keep each one's smallest result (seconds).

    Interleaving spreads any slow spell of a shared machine over all contenders alike.
    """
    best = {name: float("inf") for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            best[name] = min(best[name], run())
    return best


def median_of(repeats: int, contenders: dict[str, Callable[[], tuple[float, float]]]
              ) -> dict[str, tuple[float, float]]:
    """Run each contender ``repeats`` times, interleaved; each returns (seconds, voluntary context
    switches). Keep each one's median run, so one lucky or unlucky run decides nothing."""
    runs: dict[str, list[tuple[float, float]]] = {name: [] for name in contenders}
    for _ in range(repeats):
        for name, run in contenders.items():
            runs[name].append(run())
    return {name: sorted(results)[len(results) // 2] for name, results in runs.items()}


def voluntary_switches() -> int:
    """Voluntary context switches of this process so far (a thread that blocks and wakes)."""
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_nvcsw


def clock() -> float:
    return time.perf_counter()
