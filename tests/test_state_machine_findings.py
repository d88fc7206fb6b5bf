"""Defects the queue state machine (tests/test_queue_state_machine.py) found, each as a plain test.

Each failed on the code before its fix.
"""

from __future__ import annotations

import queue
import threading

from labqueue import queue_changes as qc
from labqueue.experiment_queue import ExperimentQueue
from labqueue.worker import Worker, WorkerThread


class _ReportingEvent(threading.Event):
    """``running`` that tells the test each time the worker starts waiting on it (it is paused)."""

    def __init__(self) -> None:
        super().__init__()
        self.waits = queue.Queue()

    def wait(self, timeout=None):
        self.waits.put(threading.get_ident())
        return super().wait(timeout)


def test_pause_right_after_resume_is_not_undone_by_the_waking_worker():
    """Resume, then pause at once: the worker woken by the resume used to publish 'resumed' (and the
    log said "Queue resumed") after the pause; the queue looked running until it went round again."""
    q = ExperimentQueue()
    worker = Worker(q, queue.Queue(), [threading.Event()])
    worker.running = _ReportingEvent()  # cleared: the worker starts paused and waits on it
    thread = WorkerThread(worker)
    _, sub = q.subscribe()
    thread.start()
    try:
        worker.running.waits.get(timeout=10)  # the worker sleeps, paused
        sub.take()
        with q:  # the woken worker must wait for the lock until both commands are done
            q.set_paused(False)  # resume_worker()
            worker.running.set()
            worker.running.clear()  # pause_worker()
            q.set_paused(True)
        worker.running.waits.get(timeout=10)  # it went round and sleeps again
        pauses = [r.paused for r in sub.take() if isinstance(r, qc.PauseChanged)]
        assert pauses == [False, True], f"published pause states: {pauses}"
        assert q.paused
    finally:
        worker.stop()
        assert thread.wait(10000)
        sub.close()
