"""Stress: the table stays an exact mirror of the queue under bursts and three-way races.

Indices in the queue's change records are only right if the model applies them in the order the
queue made them; any slip shows up here as a row that holds the wrong job or status.
"""

from __future__ import annotations

import random
import threading

from job_table_support import noop, wait_until_mirrored
from qtpy.QtWidgets import QApplication

from labqueue.gui.job_table_view import JobTableView
from labqueue.manager import Experiment, ExpStatus


def _shown_view(qtbot, manager):
    view = JobTableView(manager)
    qtbot.addWidget(view)
    view.resize(800, 300)
    view.show()
    qtbot.waitExposed(view)
    return view


def _wait_idle(qtbot, q):
    qtbot.waitUntil(lambda: q.qsize("queued") == 0 and q.qsize("running") == 0, timeout=30000)


def test_a_burst_of_1000_jobs_running_through_keeps_every_row_exact(qtbot, manager):
    q = manager.job_queue
    view = _shown_view(qtbot, manager)
    jobs = [Experiment(noop, (i,)) for i in range(1000)]
    for exp in jobs:  # the worker starts and finishes them while we put
        q.put(exp)
    _wait_idle(qtbot, q)
    wait_until_mirrored(qtbot, view.model(), q)
    assert view.model().experiments() == jobs
    assert all(exp.status is ExpStatus.FINISHED for exp in jobs)


def test_race_of_worker_console_thread_and_gui_removals_leaves_an_exact_mirror(qtbot, make_manager):
    manager = make_manager(pause_on_failure=False)
    q = manager.job_queue
    view = _shown_view(qtbot, manager)
    model = view.model()
    put: list[Experiment] = []
    errors: list[BaseException] = []
    # The GUI grants the console thread batches of steps. On even rounds it waits for the batch, so it
    # then acts on rows whose changes are still on their way as signals (the dangerous case); on
    # odd rounds both run at once. The worker runs jobs all the time.
    grants = threading.Semaphore(0)
    batch_done = threading.Event()
    stop = threading.Event()

    def console():
        """Like a user script in the console: puts, removes by index, clears, moves."""
        rng = random.Random(7)
        try:
            while grants.acquire(timeout=10) and not stop.is_set():
                for _ in range(10):
                    _console_step(q, rng, put)
                batch_done.set()
        except BaseException as exc:  # noqa: BLE001 - reported by the test
            errors.append(exc)

    thread = threading.Thread(target=console, name="console-race")
    thread.start()
    rng = random.Random(11)
    gui_changes = 0
    try:
        for round_ in range(400):
            if round_ % 40 == 10:
                manager.pause_worker()  # let queued jobs pile up for a while, so there is more to race on
            elif round_ % 40 == 0:
                manager.resume_worker()
            batch_done.clear()
            grants.release()
            if round_ % 2 == 0:
                assert batch_done.wait(10)
            gui_changes += _gui_step(model, rng)
            if round_ % 2 == 1:
                # Let the window's mirror apply a frame of changes while the console thread goes on.
                with qtbot.waitSignal(model.mirror.changed_signal, timeout=500, raising=False):
                    QApplication.processEvents()
        manager.resume_worker()
    finally:
        stop.set()
        grants.release()
        thread.join(30)
    assert not thread.is_alive() and not errors, errors

    _wait_idle(qtbot, q)
    wait_until_mirrored(qtbot, model, q)
    assert len(put) > 1000 and gui_changes > 100  # all three really raced
    # Nothing lost: every job either ran (and is in the table) or was cancelled (and is not).
    in_queue = set(q.queue)
    assert len(in_queue) > 100
    for exp in put:
        expected = ExpStatus.FINISHED if exp in in_queue else ExpStatus.CANCELLED
        assert exp.status is expected, exp


def _console_step(q, rng, put) -> None:
    r = rng.random()
    if r < 0.6:
        exp = Experiment(noop, (len(put),))
        put.append(exp)
        q.put(exp)
        return
    first, n = q.first_queued_index, len(q)
    try:
        if r < 0.85 and n > first:
            i = rng.randrange(first, n)
            q.remove_items(i, min(n - 1, i + rng.randrange(3)))
        elif r < 0.853:
            q.clear()
        elif n > first:
            q.move_item(rng.randrange(first, n), rng.randrange(first, n))
    except (IndexError, ValueError):
        pass  # the worker or the GUI got there first: expected in a race


def _gui_step(model, rng) -> int:
    """What the table does for a user, on queued rows that may be stale; returns 1 if it changed the queue."""
    exps = model.experiments()
    first = len(exps)
    while first and exps[first - 1].status in (ExpStatus.QUEUED, ExpStatus.CANCELLED):
        first -= 1  # the model's queued tail (cancelled rows: removals still on their way)
    n = len(exps)
    if first == n:
        return 0
    row = rng.randrange(first, n)
    r = rng.random()
    if r < 0.4:
        return int(model.removeRows(row, min(n - row, rng.randint(1, 3))))
    if r < 0.7:
        return int(model.remove_experiments([exps[row]]) > 0)
    if r < 0.85:
        return int(model.move_to_top([exps[row]]))
    return int(model.move_experiments([exps[row]], before=exps[rng.randrange(first, n)]))
