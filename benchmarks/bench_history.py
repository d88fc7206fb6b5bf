"""Figures 4 and 7: what a long history costs — time per job, and memory per finished job.

Figure 4 runs the same batch of no-op jobs on a Manager whose history holds 100,000 finished jobs
and on one with an empty history: equal per-job times mean nothing scans the history per job.
Figure 7 counts, with tracemalloc, the bytes each finished no-op job keeps in the history, against
a finished ``concurrent.futures.Future`` kept in a list.
"""

from __future__ import annotations

import gc
import tracemalloc
from concurrent.futures import ThreadPoolExecutor

from bench_throughput import time_batch, time_labqueue
from figure import Check, Figure
from labqueue.manager import Experiment, ExpStatus, Manager
from timing import best_of, noop, repeats, size


def fill_history(manager: Manager, n: int) -> None:
    """Give ``manager`` ``n`` finished jobs quickly: run them on this thread while the worker is paused."""
    queue = manager.job_queue
    manager.pause_worker()
    for _ in range(n):
        queue.put(Experiment(noop))
        queue.get_next_job()
        queue.job_done(ExpStatus.FINISHED)
    manager.resume_worker()



def figure_history_cost(history: int = 100_000, batch: int = 5_000, repeats: int = 3) -> Figure:
    with Manager() as long_manager:
        fill_history(long_manager, history)
        best = best_of(repeats, {
            "long": lambda: time_batch(long_manager, batch),
            "empty": lambda: time_labqueue(batch),
        })
    per_job_us = {name: seconds / batch * 1e6 for name, seconds in best.items()}
    return Figure(
        "4", f"Per-job cost with {history:,} finished jobs in history", "µs/job", per_job_us["long"],
        per_job_us["empty"], "same with an empty history", "long ÷ empty history", [Check("ratio", "<=", 1.2)],
        details={"history": history, "batch": batch, "repeats (best of)": repeats},
    ).evaluate()


def _bytes_per_job_labqueue(n: int) -> float:
    with Manager() as manager:
        submit = manager.queued_exec(noop)
        submit().result()  # first-use allocations outside the count
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(n - 1):
            submit()
        submit().result()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        assert manager.job_queue.qsize("history") == n + 1
    return (after - before) / n


def _bytes_per_job_futures(n: int) -> float:
    with ThreadPoolExecutor(max_workers=1) as pool:
        kept = [pool.submit(noop)]
        kept[0].result()
        gc.collect()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        kept += [pool.submit(noop) for _ in range(n)]
        kept[-1].result()
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
    return (after - before) / n


def figure_memory(n: int = 20_000) -> Figure:
    ours = _bytes_per_job_labqueue(n)
    theirs = _bytes_per_job_futures(n)
    return Figure(
        "7", "Memory per finished no-op job in history", "bytes", ours, theirs,
        "a finished concurrent.futures.Future in a list", "labqueue ÷ Future", [Check("value", "<", 2048)],
        details={"jobs": n},
    ).evaluate()


def figures() -> list[Figure]:
    return [figure_history_cost(size(100_000), size(5_000), repeats(3)), figure_memory(size(20_000))]
