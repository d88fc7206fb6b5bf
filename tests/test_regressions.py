"""Regression tests for defects of the original implementation labqueue must never have.

Numbers follow the engine issue's list.
"""

from __future__ import annotations

import random
import sys
import threading
import time
from concurrent.futures import CancelledError

import pytest
from qtpy.QtCore import QObject, QThread, Slot

from labqueue.manager import Experiment, ExperimentQueue, ExpStatus


def _job_waiting_for(event: threading.Event, started: threading.Event):
    def job():
        started.set()
        assert event.wait(10), "the abort event was never set"
        return "stopped early"

    return job


def test_1_registered_abort_events_are_honoured(manager):
    own_event, started = threading.Event(), threading.Event()
    manager.abort_events = [own_event]
    exp = manager.queued_exec(_job_waiting_for(own_event, started))()
    assert started.wait(5)
    assert manager.abort_job()
    with pytest.raises(CancelledError):
        exp.result(timeout=5)
    assert exp.status is ExpStatus.ABORTED
    assert not own_event.is_set() and not manager.abort.is_set()


def test_1b_a_job_setting_a_registered_event_itself_ends_aborted(manager):
    own_event = threading.Event()
    manager.abort_events = [own_event]
    exp = manager.queued_exec(own_event.set)()
    with pytest.raises(CancelledError):
        exp.result(timeout=5)
    assert exp.status is ExpStatus.ABORTED


def test_2_abort_while_idle_does_not_abort_the_next_job(manager):
    assert manager.queued_exec(int)().result(timeout=5) == 0  # worker is idle now
    assert manager.abort_job() is False
    assert not manager.abort.is_set()
    manager.abort.set()  # even a stray set() while idle must not hit the next job
    exp = manager.queued_exec(lambda: "fine")()
    assert exp.result(timeout=5) == "fine"
    assert exp.status is ExpStatus.FINISHED


def _spin_then_return(barrier: threading.Barrier, seconds: float) -> None:
    barrier.wait()
    end = time.perf_counter() + seconds
    while time.perf_counter() < end:  # holds the GIL: the caller gets it back after a switch interval
        pass


def test_3_abort_racing_a_finishing_job_never_leaks_into_the_next(manager):
    """abort_job() fired while the job returns: either it aborts that job, or nothing at all.

    The job returns after a random spin around Python's thread switch interval, so abort_job()
    lands sometimes before and sometimes after the job's end.
    """
    outcomes = set()
    spin = sys.getswitchinterval()
    for _ in range(120):
        barrier = threading.Barrier(2)
        exp = manager.queued_exec(_spin_then_return)(barrier, random.uniform(0, 3 * spin))
        follower = manager.queued_exec(int)()
        barrier.wait()  # releases the job: it returns while we call abort_job
        requested = manager.abort_job(exp)
        follower.result(timeout=5)  # jobs run in order: exp is done too
        outcomes.add(requested)
        assert exp.status is (ExpStatus.ABORTED if requested else ExpStatus.FINISHED)
        assert follower.status is ExpStatus.FINISHED
        assert not manager.abort.is_set()
    assert outcomes == {True, False}, "the race was not exercised"


def test_4_abort_events_are_cleared_after_a_failed_job(manager):
    own_event = threading.Event()
    manager.abort_events = [own_event]
    started = threading.Event()

    def fails_after_abort():
        started.set()
        assert manager.abort.wait(10)
        raise RuntimeError("stage jammed while stopping")

    exp = manager.queued_exec(fails_after_abort)()
    assert started.wait(5)
    manager.abort_job()
    with pytest.raises(RuntimeError):
        exp.result(timeout=5)
    assert exp.status is ExpStatus.FAILED
    assert not manager.abort.is_set() and not own_event.is_set()


def test_5_removed_and_cleared_experiments_resolve_with_cancelled_error(manager):
    manager.pause_worker()
    removed, cleared, cancelled = (manager.queued_exec(int)() for _ in range(3))
    manager.job_queue.remove_item(0)
    assert cancelled.cancel()
    manager.clear_all_jobs()
    for exp in (removed, cleared, cancelled):
        assert exp.done() and exp.status is ExpStatus.CANCELLED
        with pytest.raises(CancelledError):
            exp.result(timeout=5)


def test_6_two_managers_are_independent(make_manager):
    first, second = make_manager(), make_manager()
    assert first.job_queue is not second.job_queue
    assert first.abort is not second.abort and first.running is not second.running
    release, started = threading.Event(), threading.Event()
    blocked = first.queued_exec(_job_waiting_for(release, started))()
    assert started.wait(5)
    first.pause_worker()
    # the second manager runs while the first is busy and paused
    assert second.queued_exec(lambda: 2)().result(timeout=5) == 2
    assert second.running.is_set()
    assert second.abort_job() is False  # nothing runs there
    assert not first.abort.is_set()
    release.set()
    assert blocked.result(timeout=5) == "stopped early"
    assert first.result_queue.get(timeout=1) == "stopped early"
    assert second.result_queue.get(timeout=1) == 2
    assert first.result_queue.empty() and second.result_queue.empty()


class _ThreadRecorder(QObject):
    """Lives on the main thread; records on which thread its slots run."""

    def __init__(self):
        super().__init__()
        self.threads: list = []

    @Slot(int)
    def on_added(self, _index):
        self.threads.append(QThread.currentThread())

    @Slot(int, object)
    def on_status(self, _index, _status):
        self.threads.append(QThread.currentThread())


def test_7_signals_reach_main_thread_receivers_on_the_main_thread(manager, qtbot):
    receiver = _ThreadRecorder()
    manager.job_queue.added_signal.connect(receiver.on_added)
    manager.job_queue.status_changed_signal.connect(receiver.on_status)
    # put from a non-GUI thread too
    t = threading.Thread(target=lambda: manager.queued_exec(int)())
    t.start()
    t.join(5)
    manager.queued_exec(int)().result(timeout=5)
    qtbot.waitUntil(lambda: len(receiver.threads) == 6)  # 2 added + 2 x (RUNNING, FINISHED)
    main = QThread.currentThread()
    assert all(thread is main for thread in receiver.threads)
    assert manager.job_queue.thread() is main


def test_8_remove_items_on_an_empty_queue_is_a_clear_index_error():
    q = ExperimentQueue()
    with pytest.raises(IndexError, match="out of range"):
        q.remove_items(0, 3)
    with pytest.raises(IndexError, match="out of range"):
        q.remove_item(-1)
    q.clear()
    assert q.queue == [] and q.qsize() == 0


def test_8b_remove_items_never_leaves_a_half_removed_range():
    q = ExperimentQueue()
    exps = [Experiment(int) for _ in range(3)]
    for exp in exps:
        q.put(exp)
    q.get_next_job()
    with pytest.raises(ValueError):
        q.remove_items(0, 2)
    assert q.queue == exps and [e.status for e in exps[1:]] == [ExpStatus.QUEUED] * 2
