"""Figures 2, 5 (with the table) and 6: the queue with the real main window attached.

The window is ``MainWindow(manager)`` — table model and view, console, log pane — shown on Qt's
offscreen platform, with the ``labqueue`` logger at INFO as the ``labqueue`` command sets it (its
records go to the log pane and to a stream handler writing to ``os.devnull`` instead of stderr).
Jobs are submitted on the GUI thread, as the console does, or from a script thread (figure 6).
"""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable

from qtpy.QtCore import QEventLoop, QObject, Qt, QTimer, Signal
from qtpy.QtWidgets import QApplication, QMainWindow

from bench_removal import removal_figures
from bench_throughput import time_thread_pool
from figure import Check, Figure
from labqueue.gui.job_table_view import JobTableView
from labqueue.gui.main_window import MainWindow
from labqueue.manager import Experiment, Manager
from timing import QUICK, best_of, clock, noop, percentile, repeats, size

_LOGGER = logging.getLogger("labqueue")


_app: list[QApplication] = []  # keeps the QApplication alive for the process


def application() -> QApplication:
    app = QApplication.instance()
    if app is None:
        app = QApplication(["labqueue-bench"])
        _app.append(app)
    return app


def wait_until(predicate: Callable[[], bool], timeout_s: float = 120.0, poll_ms: int = 2) -> None:
    """Run the Qt event loop until ``predicate()`` is true (checked every ``poll_ms``)."""
    if predicate():
        return
    loop = QEventLoop()
    deadline = clock() + timeout_s
    timed_out = []

    def check() -> None:
        if predicate():
            loop.quit()
        elif clock() > deadline:
            timed_out.append(True)
            loop.quit()

    timer = QTimer()
    timer.timeout.connect(check)
    timer.start(poll_ms)
    loop.exec_()
    timer.stop()
    if timed_out:
        raise TimeoutError(f"the window did not catch up within {timeout_s} s")


class _Sentinel(QObject):
    """Set once a job's done callback has passed through the GUI thread's event queue.

    The queue's signals reach the model through the same queue, so when the sentinel is set every
    change made before that job finished has been applied to the table.
    """

    _reached_signal = Signal()

    def __init__(self, job: Experiment):
        super().__init__()
        self.reached = False
        self._reached_signal.connect(self._on_reached, Qt.QueuedConnection)
        job.add_done_callback(lambda _exp: self._reached_signal.emit())

    def _on_reached(self) -> None:
        self.reached = True


class BenchWindow:
    """The job table shown around ``manager``; a ``bench_removal.View`` too.

    ``full=False``: the main window's table (``JobTableView`` with its ``JobTableModel``) in a
    plain QMainWindow, logging left as it is (off). ``full=True``: the whole ``MainWindow`` —
    table, console, log pane — with the ``labqueue`` logger at INFO and a stream handler, as the
    ``labqueue`` command runs it (the handler writes to ``os.devnull`` instead of stderr).
    """

    def __init__(self, manager: Manager, full: bool = False):
        application()
        self.manager = manager
        self._handler: logging.Handler | None = None
        self._old_level = _LOGGER.level
        if full:
            self._handler = logging.StreamHandler(open(os.devnull, "w"))  # noqa: SIM115 - closed in close()
            self._handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
            _LOGGER.setLevel(logging.INFO)
            _LOGGER.addHandler(self._handler)
            self.window = MainWindow(manager)
            self.table = self.window.table_view
        else:
            self.window = QMainWindow()
            self.window.resize(1100, 650)
            self.table = JobTableView(manager, self.window)
            self.window.setCentralWidget(self.table)
        self.model = self.table.model()
        self.window.show()
        wait_until(self.window.isVisible)

    def settle(self, rows: int) -> None:
        wait_until(lambda: self.model.rowCount() == rows)

    def run_until_done(self, job: Experiment, rows: int) -> None:
        """Run the event loop until ``job`` is done and the table shows it and ``rows`` rows."""
        sentinel = _Sentinel(job)
        wait_until(lambda: sentinel.reached and self.model.rowCount() == rows)

    def close(self) -> None:
        if isinstance(self.window, MainWindow):
            self.window.quit_without_asking()
        else:
            self.window.close()
        wait_until(lambda: not self.window.isVisible())
        self.window.deleteLater()
        QApplication.sendPostedEvents()
        if self._handler is not None:
            _LOGGER.removeHandler(self._handler)
            self._handler.stream.close()
        _LOGGER.setLevel(self._old_level)


def time_window_throughput(view: BenchWindow, n: int) -> float:
    """Seconds to submit ``n`` no-op jobs on the GUI thread and run the loop until the table shows all done."""
    submit = view.manager.queued_exec(noop)
    rows = view.model.rowCount() + n
    start = clock()
    jobs = [submit() for _ in range(n)]
    view.run_until_done(jobs[-1], rows)
    return clock() - start


def figure_window_throughput(n: int = 20_000, repeats: int = 3, full: bool = False) -> Figure:
    with Manager() as manager:
        view = BenchWindow(manager, full=full)
        try:
            best = best_of(repeats, {
                "window": lambda: time_window_throughput(view, n),
                "tpe": lambda: time_thread_pool(n),
            })
        finally:
            view.close()
    what = "whole MainWindow as `labqueue` runs it (INFO log)" if full else "main window's table shown"
    return Figure(
        "2-app" if full else "2", f"Throughput, {n:,} no-op jobs, {what}, event loop running", "jobs/s",
        n / best["window"], n / best["tpe"], "ThreadPoolExecutor(max_workers=1), headless", "labqueue ÷ TPE",
        [Check("ratio", ">=", 0.5)], details={"jobs": n, "repeats (best of)": repeats},
    ).evaluate()


def short_job() -> None:
    """Stands in for a quick instrument call: 2 ms waiting on I/O (the GIL is released)."""
    time.sleep(0.002)


def tick_gaps(view: BenchWindow, n_jobs: int, idle_s: float = 0.0, job: Callable[[], None] = noop) -> list[float]:
    """Gaps (s) between ticks of a 1 ms GUI timer while ``n_jobs`` jobs stream through (or idle)."""
    ticks: list[float] = []
    timer = QTimer()
    timer.setTimerType(Qt.PreciseTimer)
    timer.timeout.connect(lambda: ticks.append(clock()))
    timer.start(1)
    if n_jobs:
        submit = view.manager.queued_exec(job)
        rows = view.model.rowCount() + n_jobs
        last: list[Experiment] = []

        def script() -> None:  # a script thread queueing jobs while the worker runs them
            for _ in range(n_jobs - 1):
                submit()
            last.append(submit())

        producer = threading.Thread(target=script, name="bench-producer")
        producer.start()
        wait_until(lambda: bool(last))
        producer.join()
        view.run_until_done(last[0], rows)
    else:
        end = clock() + idle_s
        wait_until(lambda: clock() >= end)
    wait_until(lambda: len(ticks) >= 3)  # a tiny --quick stream may end before two gaps were seen
    timer.stop()
    return [b - a for a, b in zip(ticks, ticks[1:], strict=False)]


def figure_responsiveness(n: int = 10_000, full: bool = False, realistic: bool = False) -> list[Figure]:
    with Manager() as manager:
        view = BenchWindow(manager, full=full)
        try:
            start = clock()
            busy = tick_gaps(view, n, job=short_job if realistic else noop)
            idle = tick_gaps(view, 0, idle_s=min(clock() - start, 3.0))
        finally:
            view.close()
    busy_ms = [g * 1e3 for g in busy]
    idle_ms = [g * 1e3 for g in idle]
    what = "the whole MainWindow as `labqueue` runs it (INFO log)" if full else "the main window's table"
    keys = ("6c", "6d") if full else ("6a", "6b")
    if realistic:
        what += ", each job 2 ms of I/O"
        keys = ("6e", "6f")
    details = {"jobs": n, "timer ticks": len(busy), "seconds": round(sum(busy), 2)}
    return [
        Figure(keys[0], f"Event-loop stall p99 (1 ms timer gaps) while {n:,} jobs stream through {what}", "ms",
               percentile(busy_ms, 99), percentile(idle_ms, 99), "idle window p99", "streaming ÷ idle",
               [Check("value", "<", 20.0)], details=details).evaluate(),
        Figure(keys[1], f"Longest event-loop stall (max) while {n:,} jobs stream through {what}", "ms",
               max(busy_ms), max(idle_ms), "idle window max", "streaming ÷ idle", details=details).evaluate(),
    ]


# run.py runs each of these in a fresh process (garbage from one must not slow the next).
def throughput_figures() -> list[Figure]:
    return [figure_window_throughput(size(20_000), repeats(3)), figure_window_throughput(size(20_000), 1, full=True)]


def removal_with_table_figures() -> list[Figure]:
    return removal_figures(size(100_000), repeats(3), view_factory=BenchWindow, keys=("5c", "5d"),
                           where="main window's table shown")


def table_stall_figures() -> list[Figure]:
    return figure_responsiveness(size(10_000))


def app_stall_figures() -> list[Figure]:
    return figure_responsiveness(size(10_000), full=True)


def realistic_stall_figures() -> list[Figure]:
    return figure_responsiveness(size(1_000), full=True, realistic=True)


# ----------------------------------------------------------------- figure 9: a click's wait, as a person feels it
def click_wait_percentile(gaps_s: list[float], p: float) -> float:
    """The ``p``-th percentile (0..100) of the wait of a click at a uniformly random moment.

    A click lands in an event-loop gap with probability proportional to the gap's length and waits
    the rest of it (uniform on [0, gap]). So P(wait > w) = sum(max(0, g - w)) / sum(g); solved for w.
    Counting timer ticks instead (as figure 6 does) gives a 1 s freeze the weight of one 1 ms tick.
    """
    total = sum(gaps_s)
    if total <= 0:
        return 0.0
    target = (1.0 - p / 100.0) * total  # the time, summed over gaps, a click still waits beyond w
    lo, hi = 0.0, max(gaps_s)
    for _ in range(60):
        mid = (lo + hi) / 2
        if sum(g - mid for g in gaps_s if g > mid) > target:
            lo = mid
        else:
            hi = mid
    return hi


class _GapRecorder:
    """Times between ticks of a 1 ms precise timer on the GUI thread: the event loop's gaps."""

    def __init__(self) -> None:
        self.ticks: list[float] = []
        self._timer = QTimer()
        self._timer.setTimerType(Qt.PreciseTimer)
        self._timer.timeout.connect(lambda: self.ticks.append(clock()))

    def start(self) -> None:
        self.ticks = [clock()]
        self._timer.start(1)

    def stop(self) -> list[float]:
        self._timer.stop()
        self.ticks.append(clock())
        return [b - a for a, b in zip(self.ticks, self.ticks[1:], strict=False)]


def stream_through_window(view: BenchWindow, n_jobs: int, paused: bool) -> tuple[list[float], float]:
    """Event-loop gaps while a script thread queues ``n_jobs`` no-op jobs; and seconds until the table showed all.

    ``paused``: the queue is paused, the jobs only pile up (and are cleared afterwards).
    """
    manager = view.manager
    if paused:
        manager.pause_worker()
    submit = manager.queued_exec(noop)
    rows = view.model.rowCount() + n_jobs
    last: list[Experiment] = []

    def script() -> None:
        for _ in range(n_jobs - 1):
            submit()
        last.append(submit())

    recorder = _GapRecorder()
    recorder.start()
    start = clock()
    producer = threading.Thread(target=script, name="bench-script")
    producer.start()
    wait_until(lambda: bool(last))
    producer.join()
    if paused:
        wait_until(lambda: view.model.rowCount() == rows)
    else:
        view.run_until_done(last[0], rows)
    seconds = clock() - start
    gaps = recorder.stop()
    if paused:
        manager.job_queue.clear()
        wait_until(lambda: view.model.rowCount() == rows - n_jobs)
        manager.resume_worker()
    return gaps, seconds


def figure_click_wait(n: int = 20_000) -> list[Figure]:
    with Manager() as manager:
        view = BenchWindow(manager, full=True)
        try:
            settle_until = clock() + (0.2 if QUICK else 2.0)  # the console's kernel starts, first paints
            wait_until(lambda: clock() >= settle_until)
            idle_recorder = _GapRecorder()
            idle_recorder.start()
            idle_until = clock() + (0.2 if QUICK else 1.0)
            wait_until(lambda: clock() >= idle_until)
            idle = idle_recorder.stop()
            running, seconds = stream_through_window(view, n, paused=False)
            piling, _ = stream_through_window(view, n, paused=True)
        finally:
            view.close()
    tpe_s = time_thread_pool(n)
    ms = [g * 1e3 for g in running]
    paused_ms = [g * 1e3 for g in piling]
    idle_ms = [g * 1e3 for g in idle]
    what = f"{n:,} no-op jobs queued by a script thread into the whole MainWindow (INFO log)"
    details = {"jobs": n, "gaps": len(running), "seconds": round(seconds, 2)}
    return [
        Figure("9a", f"Click wait p99 (time-weighted) while {what}", "ms",
               click_wait_percentile(ms, 99), click_wait_percentile(idle_ms, 99), "idle window, same measure",
               "streaming ÷ idle", [Check("value", "<", 20.0)], details=details).evaluate(),
        Figure("9b", f"Longest freeze while {what}", "ms", max(ms), max(idle_ms), "idle window max",
               "streaming ÷ idle", [Check("value", "<", 100.0)], details=details).evaluate(),
        Figure("9c", f"Throughput while {what}", "jobs/s", n / seconds, n / tpe_s,
               "ThreadPoolExecutor(max_workers=1), headless, same run", "labqueue ÷ TPE",
               [Check("ratio", ">=", 0.5)], details=details).evaluate(),
        Figure("9d", f"Click wait p99 (time-weighted) while {n:,} jobs are queued into the paused whole MainWindow",
               "ms", click_wait_percentile(paused_ms, 99), click_wait_percentile(idle_ms, 99),
               "idle window, same measure", "paused ÷ idle", [Check("value", "<", 50.0)],
               details={"jobs": n, "gaps": len(piling)}).evaluate(),
        Figure("9e", f"Longest freeze while {n:,} jobs are queued into the paused whole MainWindow", "ms",
               max(paused_ms), max(idle_ms), "idle window max", "paused ÷ idle",
               details={"jobs": n}).evaluate(),
    ]


def click_wait_figures() -> list[Figure]:
    return figure_click_wait(size(20_000))
