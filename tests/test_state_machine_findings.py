"""Defects the queue state machine (tests/test_queue_state_machine.py) found, each as a plain test.

Each failed on the code before its fix.
"""

from __future__ import annotations

import queue
import threading

from labqueue import queue_changes as qc
from labqueue.experiment import ExpStatus
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


class _ClearReportingEvent(threading.Event):
    """``running`` that tells the test when someone clears it."""

    def __init__(self) -> None:
        super().__init__()
        self.cleared = threading.Event()

    def clear(self) -> None:
        super().clear()
        self.cleared.set()


def test_resume_while_a_failed_job_is_being_recorded_leaves_a_consistent_pause(make_manager):
    """The worker clears ``running`` as soon as a job raised, then records the failure and publishes
    the pause under the queue lock. A resume in between used to leave the queue announced as
    paused while ``running`` was set and the next job started anyway."""
    manager = make_manager()  # pause_on_failure
    q = manager.job_queue
    running = _ClearReportingEvent()
    running.set()
    manager.worker.running = manager.running = running
    go, started = threading.Event(), threading.Event()

    def broken():
        started.set()
        go.wait(10)
        raise RuntimeError("instrument not responding")

    failing = manager.queued_exec(broken)()
    after = manager.queued_exec(lambda: "next")()
    assert started.wait(10)
    with q:  # the worker must wait for the lock to record the failure
        go.set()
        assert running.cleared.wait(10)  # it saw the failure and paused
        manager.resume_worker()  # the operator presses Resume, before the failure is recorded
    assert failing.exception(timeout=10) is not None
    with q:
        state = (q.paused, running.is_set(), after.status)
    assert state in [(True, False, ExpStatus.QUEUED), (False, True, ExpStatus.RUNNING),
                     (False, True, ExpStatus.FINISHED)], f"paused, running set, next job: {state}"
