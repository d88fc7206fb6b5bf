"""Operator features of the engine: loop mode, pause inside a job, timed start, editing a queued job."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import CancelledError

import pytest

from labqueue import queue_changes as qc
from labqueue.manager import Experiment, ExpStatus
from labqueue.scheduled_start import to_datetime


def blocker():
    """A job that runs until released; returns (job, started, release)."""
    started, release = threading.Event(), threading.Event()

    def job(value="done"):
        started.set()
        assert release.wait(10), "test never released the job"
        return value

    return job, started, release


# ----------------------------------------------------------------- loop
def test_loop_requeues_only_finished_jobs(manager, qtbot):
    manager.pause_worker()
    manager.worker.pause_on_failure = False
    manager.loop = True
    runs = []

    def ok(i):
        runs.append(i)
        if len(runs) >= 4:  # the loop would go on forever: stop it from inside
            manager.loop = False
        return i

    def broken():
        raise RuntimeError("broken")

    bad = manager.queued_exec(broken)()
    first = manager.queued_exec(ok)(1)
    manager.resume_worker()
    assert first.result(timeout=5) == 1
    q = manager.job_queue
    qtbot.waitUntil(lambda: not manager.loop and not q.qsize("queued") and not q.qsize("running"), timeout=5000)
    jobs = q.queue
    assert bad.status is ExpStatus.FAILED
    # The failed job ran once; the finished one was repeated, as new copies, until loop went off.
    assert sum(1 for j in jobs if j.func is broken) == 1
    assert runs == [1, 1, 1, 1]
    assert len({j.job_id for j in jobs if j.func is ok}) == 4
    assert all(j.status is ExpStatus.FINISHED for j in jobs if j.func is ok)


def test_loop_does_not_requeue_aborted_or_cancelled(manager, qtbot):
    job, started, release = blocker()
    manager.loop = True
    exp = manager.queued_exec(job)()
    assert started.wait(5)
    manager.pause_worker()
    queued = manager.queued_exec(lambda: 1)()
    assert queued.cancel()
    manager.abort_job()
    release.set()
    with pytest.raises(CancelledError):
        exp.result(timeout=5)
    assert exp.status is ExpStatus.ABORTED
    assert manager.job_queue.qsize("queued") == 0


def test_loop_signal_and_default(manager, qtbot):
    assert manager.loop is False
    with qtbot.waitSignal(manager.loop_changed_signal) as blocker_:
        manager.loop = True
    assert blocker_.args == [True]


# ----------------------------------------------------------------- checkpoints
def test_checkpoint_outside_a_job_and_without_request_returns_at_once(manager):
    manager.checkpoint()  # outside a job: nothing
    exp = manager.queued_exec(lambda: (manager.checkpoint(), "passed")[1])()
    assert exp.result(timeout=5) == "passed"


def _checkpointed_job(manager):
    """A job that waits for `go`, then calls checkpoint(); records whether abort was set after it."""
    at_checkpoint, go, after = threading.Event(), threading.Event(), {}

    def job():
        at_checkpoint.set()
        assert go.wait(10)
        manager.checkpoint()
        after["abort"] = manager.abort.is_set()
        return "ran on"

    return job, at_checkpoint, go, after


def test_pause_now_blocks_at_checkpoint_until_resume(manager, qtbot):
    job, started, go, after = _checkpointed_job(manager)
    exp = manager.queued_exec(job)()
    assert started.wait(5)
    waiting = []
    manager.checkpoint_signal.connect(waiting.append)
    manager.pause_worker(now=True)
    assert not manager.running.is_set()
    go.set()
    qtbot.waitUntil(lambda: manager.checkpoint_job is exp, timeout=5000)
    assert exp.status is ExpStatus.RUNNING
    assert waiting == [exp]
    manager.resume_worker()
    assert exp.result(timeout=5) == "ran on"
    assert after == {"abort": False}
    assert manager.checkpoint_job is None
    qtbot.waitUntil(lambda: waiting == [exp, None], timeout=5000)


def test_abort_releases_checkpoint_with_abort_set_and_queue_stays_paused(manager, qtbot):
    job, started, go, after = _checkpointed_job(manager)
    exp = manager.queued_exec(job)()
    nxt = manager.queued_exec(lambda: 2)()
    assert started.wait(5)
    manager.pause_worker(now=True)
    go.set()
    qtbot.waitUntil(lambda: manager.checkpoint_job is exp, timeout=5000)
    assert manager.abort_job()
    with pytest.raises(CancelledError):
        exp.result(timeout=5)
    assert after == {"abort": True}
    assert exp.status is ExpStatus.ABORTED
    assert not manager.running.is_set() and nxt.status is ExpStatus.QUEUED


def test_plain_pause_does_not_stop_at_checkpoint(manager):
    job, started, go, after = _checkpointed_job(manager)
    exp = manager.queued_exec(job)()
    nxt = manager.queued_exec(lambda: 2)()
    assert started.wait(5)
    manager.pause_worker()
    go.set()
    assert exp.result(timeout=5) == "ran on"
    assert nxt.status is ExpStatus.QUEUED


def test_shutdown_releases_a_job_waiting_at_a_checkpoint(make_manager, qtbot):
    manager = make_manager()
    job, started, go, after = _checkpointed_job(manager)
    exp = manager.queued_exec(job)()
    assert started.wait(5)
    manager.pause_worker(now=True)
    go.set()
    qtbot.waitUntil(lambda: manager.checkpoint_job is exp, timeout=5000)
    assert manager.shutdown(wait=True, timeout=5)
    assert exp.status is ExpStatus.FINISHED


# ----------------------------------------------------------------- timed start
def test_resume_at_seconds_pauses_then_resumes(manager, qtbot):
    exp_started = threading.Event()
    manager.pause_worker()
    with qtbot.waitSignal(manager.resume_at_changed_signal) as sig:
        manager.resume_worker(at=1.0)
    assert isinstance(manager.resume_at, dt.datetime) and sig.args == [manager.resume_at]
    assert not manager.running.is_set()
    exp = manager.queued_exec(exp_started.set)()
    assert exp.status is ExpStatus.QUEUED or manager.resume_at is None  # (unless a stalled machine took 1 s)
    qtbot.waitUntil(manager.running.is_set, timeout=10000)
    assert exp_started.wait(5)
    assert manager.resume_at is None


def test_pause_cancels_timed_start(manager, qtbot):
    manager.resume_worker(at=dt.datetime.now() + dt.timedelta(hours=1))
    at = manager.resume_at
    assert at is not None and at > dt.datetime.now()
    manager.pause_worker()
    assert manager.resume_at is None
    assert manager._scheduled_start._thread is None


def test_resume_now_cancels_timed_start(manager):
    manager.resume_worker(at=3600)
    manager.resume_worker()
    assert manager.resume_at is None and manager.running.is_set()


def test_timed_start_with_an_injected_clock(manager):
    now = [1_000_000.0]
    manager._scheduled_start.clock = lambda: now[0]
    manager.resume_worker(at=7200)
    assert manager.resume_at == dt.datetime.fromtimestamp(1_000_000.0 + 7200)
    assert manager._scheduled_start.seconds_left() == 7200
    now[0] += 7000
    assert manager._scheduled_start.seconds_left() == 200
    manager.pause_worker()
    assert manager.resume_at is None and manager._scheduled_start.seconds_left() is None


def test_to_datetime_accepts_datetime_timedelta_and_seconds():
    clock = lambda: 1_000_000.0  # noqa: E731
    naive = dt.datetime(2030, 1, 2, 3, 4)
    assert to_datetime(naive, clock) is naive
    assert to_datetime(60, clock) == dt.datetime.fromtimestamp(1_000_060.0)
    assert to_datetime(dt.timedelta(minutes=1), clock) == dt.datetime.fromtimestamp(1_000_060.0)
    with pytest.raises(TypeError):
        to_datetime("02:40", clock)
    with pytest.raises(TypeError):
        to_datetime(True, clock)


# ----------------------------------------------------------------- update_arguments
def sweep(start, stop, steps=10):
    return (start, stop, steps)


def test_update_arguments_changes_a_queued_job_and_publishes_job_updated(manager):
    manager.pause_worker()
    exp = manager.queued_exec(sweep)(0, 1)
    snapshot, sub = manager.job_queue.subscribe()
    try:
        exp.update_arguments(2, 3, steps=5)
        records = sub.take()
    finally:
        sub.close()
    assert exp.args == (2, 3) and exp.kwargs == {"steps": 5}
    assert exp.call_text == "sweep(2, 3, steps=5)"
    assert records == [qc.JobUpdated(snapshot.jobs.index(exp), exp)]
    manager.resume_worker()
    assert exp.result(timeout=5) == (2, 3, 5)


def test_update_arguments_refuses_arguments_that_do_not_fit(manager):
    manager.pause_worker()
    exp = manager.queued_exec(sweep)(0, 1)
    with pytest.raises(TypeError, match="steps"):
        exp.update_arguments(0, 1, 2, steps=3)
    with pytest.raises(TypeError):
        exp.update_arguments(0)
    assert exp.args == (0, 1) and exp.kwargs == {}


def test_update_arguments_refuses_a_job_that_is_no_longer_queued(manager):
    exp = manager.queued_exec(sweep)(0, 1)
    assert exp.result(timeout=5) == (0, 1, 10)
    with pytest.raises(ValueError, match="FINISHED"):
        exp.update_arguments(1, 2)
    cancelled = Experiment(sweep, (0, 1))
    cancelled.cancel()
    with pytest.raises(ValueError, match="CANCELLED"):
        cancelled.update_arguments(1, 2)


def test_update_arguments_of_a_job_in_no_queue():
    exp = Experiment(sweep, (0, 1))
    exp.update_arguments(start=4, stop=5)
    assert exp.args == () and exp.kwargs == {"start": 4, "stop": 5}


def test_a_timed_start_on_a_paused_queue_publishes_the_new_reason(manager):
    manager.pause_worker()
    snapshot, sub = manager.job_queue.subscribe()
    try:
        manager.resume_worker(at=3600)
        manager.pause_worker()  # no new reason: nothing new to say
        records = [r for r in sub.take() if isinstance(r, qc.PauseChanged)]
    finally:
        sub.close()
    assert snapshot.paused
    assert len(records) == 1 and records[0].paused and records[0].reason.startswith("starts at ")


def test_leaving_with_manager_waits_for_a_timed_start_and_runs_the_jobs(qtbot):
    from labqueue.manager import Manager

    ran = threading.Event()
    with Manager() as manager:
        manager.resume_worker(at=0.3)
        exp = manager.queued_exec(ran.set)()
    assert ran.is_set() and exp.status is ExpStatus.FINISHED
    assert manager.resume_at is None


def test_shutdown_that_cancels_does_not_wait_for_a_timed_start(manager):
    manager.resume_worker(at=3600)
    exp = manager.queued_exec(lambda: 1)()
    assert manager.shutdown(wait=True, timeout=10)
    assert exp.status is ExpStatus.CANCELLED and manager.resume_at is None
