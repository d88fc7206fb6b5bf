"""Figure 3: idle pick-up latency — from submitting a job to its first line running, worker idle.

Each sample submits one job to an idle worker and waits for it; the job notes the time it starts.
A short pause between samples lets the worker go back to sleep, so every sample measures a wake-up.
The baseline is the same measurement on a one-worker ThreadPoolExecutor.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from figure import Check, Figure
from labqueue.manager import Manager
from timing import clock, percentile, size

_IDLE_GAP_S = 0.001  # let the worker return to its wait between samples


def _sample(submit: Callable[[Callable[[], None]], Any], samples: int) -> list[float]:
    started: list[float] = []

    def job() -> None:
        started.append(clock())

    latencies = []
    for _ in range(samples):
        time.sleep(_IDLE_GAP_S)
        submitted = clock()
        submit(job).result()
        latencies.append(started[-1] - submitted)
    return latencies


def latencies_labqueue(samples: int) -> list[float]:
    """Pick-up latencies (s) of a Manager's idle worker."""
    with Manager() as manager:
        return _sample(lambda job: manager.queued_exec(job)(), samples)


def latencies_thread_pool(samples: int) -> list[float]:
    """Pick-up latencies (s) of an idle one-worker ThreadPoolExecutor."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(lambda: None).result()
        return _sample(pool.submit, samples)


def figures() -> list[Figure]:
    samples = size(1000)
    ours = latencies_labqueue(samples)
    theirs = latencies_thread_pool(samples)
    details = {"samples": samples, "max (ms)": max(ours) * 1e3}
    out = []
    for key, p, limit in (("3a", 50, 1.0), ("3b", 99, 10.0)):
        out.append(Figure(
            key, f"Idle pick-up latency p{p}", "ms", percentile(ours, p) * 1e3, percentile(theirs, p) * 1e3,
            f"ThreadPoolExecutor p{p}", "labqueue ÷ TPE", [Check("value", "<", limit)], details=details,
        ).evaluate())
    return out
