"""Figures J1-J3: what the history journal costs — throughput, window start-up, memory.

J1 runs the same batch of no-op jobs on a Manager writing a journal and on one without (same run,
interleaved, best of N), and notes how long the journal took to catch up after the last job.
J2 starts the ``labqueue`` window (a new process) on a journal of 100,000 earlier jobs until the
History dock shows its first page, against the same start on an empty journal. J3 runs jobs with
``history_limit`` and a journal, and compares traced memory after 4x as many jobs.

    python bench_journal.py child JOURNAL   # J2's child: start the window, print READY, quit
"""

from __future__ import annotations

import gc
import os
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from bench_throughput import time_batch
from figure import Check, Figure
from labqueue.manager import Experiment, ExpStatus, Manager
from timing import best_of, clock, noop, repeats, size

READY = "READY"


# ----------------------------------------------------------------- J1: throughput
def _time_with_journal(n: int, folder: Path, lags: list[float]) -> float:
    with Manager(history_file=folder / f"j{len(lags)}.sqlite") as manager:
        seconds = time_batch(manager, n)
        start = clock()
        manager.history.flush(60)
        lags.append(clock() - start)
        return seconds


def _time_without(n: int) -> float:
    with Manager() as manager:
        return time_batch(manager, n)


def figure_throughput(n: int, runs: int) -> Figure:
    lags: list[float] = []
    with tempfile.TemporaryDirectory(prefix="labqueue-journal-") as tmp:
        best = best_of(runs, {"on": lambda: _time_with_journal(n, Path(tmp), lags),
                              "off": lambda: _time_without(n)})
    rate = {name: n / seconds for name, seconds in best.items()}
    return Figure(
        "J1", f"Throughput, {n:,} no-op jobs, history journal on", "jobs/s", rate["on"], rate["off"],
        "same without a journal", "journal on ÷ off", [Check("ratio", ">=", 0.8)],
        details={"jobs": n, "repeats (best of)": runs,
                 "journal catching up after the last job (s)": [round(lag, 3) for lag in lags]},
    ).evaluate()


# ----------------------------------------------------------------- J2: window start-up
def fill_journal(path: Path, n: int) -> None:
    """Give the journal at ``path`` ``n`` finished jobs of an earlier session (run inline, worker paused)."""
    with Manager(history_file=path) as manager:
        queue = manager.job_queue
        manager.pause_worker()
        for i in range(n):
            queue.put(Experiment(noop, (i,)))
            queue.get_next_job()
            queue.job_done(ExpStatus.FINISHED)
            if i % 5000 == 4999:
                queue.clear_history()  # keep this process small; the journal keeps them
        manager.resume_worker()
        manager.history.flush(120)


def run_child(journal: str) -> int:
    """Start the window on ``journal``; print READY when the History dock shows its first page."""
    from qtpy.QtCore import QTimer
    from qtpy.QtWidgets import QApplication

    from labqueue.gui.app import main

    app = QApplication.instance() or QApplication(sys.argv[:1])

    def poll() -> None:
        window = next((w for w in QApplication.topLevelWidgets()
                       if type(w).__name__ == "MainWindow" and w.isVisible()), None)
        if window is not None:
            view = window.journal_ui.history_view
            view.parentWidget().show()
            view.parentWidget().raise_()
            model = view.model
            if model.canFetchMore():
                model.fetchMore()
            if model.rowCount() > 0 or not model.canFetchMore():
                print(READY, model.rowCount(), flush=True)
                window.quit_without_asking()
                return
        QTimer.singleShot(2, poll)

    QTimer.singleShot(0, poll)
    code = main(["--history", journal])
    del app
    return code


def time_window_start(journal: Path, timeout_s: float = 60.0) -> tuple[float, int]:
    """Seconds from launching the child to its READY line, and the rows it showed."""
    start = clock()
    proc = subprocess.Popen([sys.executable, str(Path(__file__).resolve()), "child", str(journal)],
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    try:
        for line in proc.stdout:
            if line.startswith(READY):
                elapsed = clock() - start
                rows = int(line.split()[1])
                break
        else:
            raise RuntimeError(f"window start-up ended (exit {proc.wait()}) without becoming ready")
        proc.stdout.read()
        proc.wait(timeout=timeout_s)
        return elapsed, rows
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def figure_startup(n: int, runs: int) -> Figure:
    with tempfile.TemporaryDirectory(prefix="labqueue-journal-") as tmp:
        big, empty = Path(tmp) / "big.sqlite", Path(tmp) / "empty.sqlite"
        started = clock()
        fill_journal(big, n)
        fill_s = clock() - started
        fill_journal(empty, 0)
        times: dict[str, list[float]] = {"big": [], "empty": []}
        rows = 0
        for _ in range(runs):
            for name, path in (("big", big), ("empty", empty)):
                seconds, shown = time_window_start(path)
                times[name].append(seconds)
                rows = shown if name == "big" else rows
        size_mb = big.stat().st_size / 1e6
    return Figure(
        "J2", f"Window start-up with {n:,} jobs of history (window shown, History's first page)", "s",
        min(times["big"]), min(times["empty"]), "same with an empty journal", "full ÷ empty journal",
        [Check("value", "<", 2.0)],
        details={"history rows": n, "journal size (MB)": round(size_mb, 1), "rows on the first page": rows,
                 "filling the journal took (s)": round(fill_s, 1), "repeats (best of)": runs,
                 "all starts (s)": [round(t, 3) for t in times["big"]]},
    ).evaluate()


# ----------------------------------------------------------------- J3: memory with history_limit
def figure_memory(limit: int, n: int) -> Figure:
    with tempfile.TemporaryDirectory(prefix="labqueue-journal-") as tmp:
        with Manager(history_file=Path(tmp) / "j.sqlite", history_limit=limit) as manager:
            submit = manager.queued_exec(noop)

            def run(count: int) -> int:
                jobs = [submit() for _ in range(count)]
                jobs[-1].result()
                del jobs
                manager.history.flush(60)
                # Other subscribers (log records, e-mail) drain on threads of their own: what they hold
                # for a moment is not kept. The least of a few looks is what stays.
                least = None
                for _ in range(5):
                    time.sleep(0.2)
                    gc.collect()
                    now = tracemalloc.get_traced_memory()[0]
                    least = now if least is None else min(least, now)
                return least

            run(limit * 2)  # the limit is reached; first-use allocations done
            tracemalloc.start()
            after_n = run(n)
            for _ in range(3):  # the same bursts again: only the number of jobs run grows
                after_4n = run(n)
            tracemalloc.stop()
            kept = manager.job_queue.qsize("history")
    return Figure(
        "J3", f"Memory after {4 * n:,} vs {n:,} no-op jobs, history_limit={limit:,}, journal on", "bytes",
        after_4n, after_n, f"traced memory after {n:,} jobs", "after 4x the jobs ÷ after 1x",
        [Check("ratio", "<=", 1.1)], details={"history_limit": limit, "done jobs kept in memory": kept},
    ).evaluate()


def figures() -> list[Figure]:
    return [figure_throughput(size(20_000), repeats(5)), figure_startup(size(100_000), repeats(2)),
            figure_memory(max(10, size(10_000)), size(10_000))]


if __name__ == "__main__":
    if sys.argv[1:2] == ["child"]:
        sys.exit(run_child(sys.argv[2]))
    for fig in figures():
        print(fig.key, fig.title, fig.value, fig.baseline, fig.ratio, fig.passed, fig.details)

