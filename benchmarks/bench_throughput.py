"""Figure 1: headless throughput of no-op jobs (submit all, then wait for all).

labqueue's ``Manager`` against ``concurrent.futures.ThreadPoolExecutor(max_workers=1)`` — the
standard library's one-worker queue — and, for reference, a bare ``queue.Queue`` drained by one
thread, which is about the fastest a one-worker queue can be in Python.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

from figure import Check, Figure
from labqueue.manager import Manager
from timing import clock, median_of, noop, repeats, size, voluntary_switches


def time_batch(manager: Manager, n: int) -> float:
    """Seconds to submit ``n`` no-op jobs to ``manager`` and wait for all of them."""
    submit = manager.queued_exec(noop)
    start = clock()
    jobs = [submit() for _ in range(n)]
    for job in jobs:
        job.result()
    return clock() - start


def time_labqueue(n: int) -> float:
    """Seconds to submit ``n`` no-op jobs to a fresh Manager and wait for all of them."""
    with Manager() as manager:
        return time_batch(manager, n)


def time_thread_pool(n: int) -> float:
    """Seconds to submit ``n`` no-op calls to a one-worker ThreadPoolExecutor and wait for all."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        pool.submit(noop).result()  # start its thread outside the timing, as Manager() does
        start = clock()
        futures = [pool.submit(noop) for _ in range(n)]
        for future in futures:
            future.result()
        return clock() - start


def time_bare_queue(n: int) -> float:
    """Seconds for one thread to drain ``n`` no-op calls from a ``queue.Queue`` (the practical limit)."""
    jobs: queue.Queue = queue.Queue()
    all_done = threading.Event()

    def loop() -> None:
        while (func := jobs.get()) is not None:
            func()
        all_done.set()

    thread = threading.Thread(target=loop, name="bare-queue-loop")
    thread.start()
    start = clock()
    for _ in range(n):
        jobs.put(noop)
    jobs.put(None)
    all_done.wait()
    elapsed = clock() - start
    thread.join()
    return elapsed


def _counted(run: Callable[[int], float], n: int) -> Callable[[], tuple[float, float]]:
    """``run(n)`` as (seconds, voluntary context switches per 1,000 jobs)."""
    def measured() -> tuple[float, float]:
        before = voluntary_switches()
        seconds = run(n)
        return seconds, (voluntary_switches() - before) * 1000 / n
    return measured


def figures() -> list[Figure]:
    n, runs = size(20_000), repeats(3)
    median = median_of(runs, {
        "labqueue": _counted(time_labqueue, n),
        "tpe": _counted(time_thread_pool, n),
        "bare": _counted(time_bare_queue, n),
    })
    rate = {name: n / seconds for name, (seconds, _) in median.items()}
    switches = {name: round(per_1000, 1) for name, (_, per_1000) in median.items()}
    details = {"jobs": n, "runs (median of)": runs,
               "voluntary context switches per 1,000 jobs": switches}
    return [
        Figure("1", f"Throughput, {n:,} no-op jobs, headless", "jobs/s", rate["labqueue"], rate["tpe"],
               "ThreadPoolExecutor(max_workers=1)", "labqueue ÷ TPE",
               [Check("ratio", ">=", 1.5)], details=details).evaluate(),
        Figure("1-ref", "Throughput, bare queue.Queue + one thread (reference)", "jobs/s", rate["bare"],
               rate["tpe"], "ThreadPoolExecutor(max_workers=1)", "bare ÷ TPE", details=details).evaluate(),
    ]
