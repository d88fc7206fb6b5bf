"""Figure 5: removing many queued jobs — ``remove_items`` of 10,000 out of 100,000, and ``clear()``.

Timed headless here, and with the main window attached in ``bench_gui.py`` (a ``ViewFactory``
whose view's ``settle(rows)`` waits until the table shows that many rows). The baseline is the same operation
on a queue half the size: linear work gives a ratio near 2, a quadratic one near 4.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

from figure import Check, Figure
from labqueue.manager import Experiment, Manager
from timing import clock, noop, repeats, size


class View(Protocol):
    """Something showing a Manager's queue: ``settle(rows)`` returns once it shows ``rows`` rows."""

    def settle(self, rows: int) -> None: ...

    def close(self) -> None: ...


#: Makes a View of a Manager (None: headless).
ViewFactory = Callable[[Manager], View]


def time_remove_and_clear(n: int, view_factory: ViewFactory | None = None) -> tuple[float, float]:
    """Seconds to remove the middle tenth of ``n`` queued jobs, then to clear the rest (paused worker)."""
    manager = Manager()
    manager.pause_worker()
    view = view_factory(manager) if view_factory is not None else None
    try:
        queue = manager.job_queue
        put = queue.put
        for _ in range(n):
            put(Experiment(noop))
        if view is not None:
            view.settle(n)
        k = n // 10
        first = n // 2 - k // 2
        start = clock()
        queue.remove_items(first, first + k - 1)
        if view is not None:
            view.settle(n - k)
        removed = clock() - start
        start = clock()
        queue.clear()
        if view is not None:
            view.settle(0)
        cleared = clock() - start
        assert len(queue) == 0
        return removed, cleared
    finally:
        if view is not None:
            view.close()
        manager.shutdown(wait=True)


def removal_figures(n: int = 100_000, repeats: int = 3, view_factory: ViewFactory | None = None,
                    keys: tuple[str, str] = ("5a", "5b"), where: str = "headless",
                    limit_s: float = 0.5) -> list[Figure]:
    """The remove_items and clear figures for ``n`` jobs, each against the same at ``n // 2``."""
    results: dict[int, list[tuple[float, float]]] = {n: [], n // 2: []}
    for _ in range(repeats):  # interleaved, like timing.best_of
        for jobs in results:
            results[jobs].append(time_remove_and_clear(jobs, view_factory))
    full = [min(r[i] for r in results[n]) for i in (0, 1)]
    half = [min(r[i] for r in results[n // 2]) for i in (0, 1)]
    checks = [Check("value", "<", limit_s * 1e3), Check("ratio", "<=", 3.0)]
    details = {"queued jobs": n, "repeats (best of)": repeats}
    return [
        Figure(keys[0], f"remove_items of {n // 10:,} of {n:,} queued, {where}", "ms", full[0] * 1e3,
               half[0] * 1e3, f"same at {n // 2:,}", "n ÷ n/2 (linear ≈ 2)", checks, details=details).evaluate(),
        Figure(keys[1], f"clear() of {n:,} queued, {where}", "ms", full[1] * 1e3, half[1] * 1e3,
               f"same at {n // 2:,}", "n ÷ n/2 (linear ≈ 2)", checks, details=details).evaluate(),
    ]


def figures() -> list[Figure]:
    return removal_figures(size(100_000), repeats(3))
