"""Manager(history_limit=N) and job_queue.clear_history(): done jobs leave memory, the journal keeps them."""

from __future__ import annotations

import gc
import logging
import weakref

import pytest
from qtpy.QtCore import Qt

from labqueue import queue_changes as qc
from labqueue.manager import Experiment, ExpStatus


def ident(x):
    return x


def test_only_the_newest_done_jobs_stay_in_the_queue(make_manager, tmp_path):
    manager = make_manager(history_limit=3, history_file=tmp_path / "j.sqlite")
    jobs = [manager.queued_exec(ident)(i) for i in range(10)]
    jobs[-1].result(timeout=10)
    _after_the_last_job_is_done(manager.job_queue)
    assert manager.job_queue.queue == jobs[-3:]
    assert manager.job_queue.qsize("history") == 3
    assert [r.call for r in manager.history.records()] == [f"ident({i})" for i in range(10)]


def _after_the_last_job_is_done(queue) -> None:
    """result() returns while the worker still holds the queue's lock, before it trims: wait for the lock."""
    with queue.changed:
        pass


@pytest.fixture
def quiet_log():
    """INFO log records name the job (extra={"experiment": ...}) and pytest keeps them: log less."""
    logger = logging.getLogger("labqueue")
    level = logger.level
    logger.setLevel(logging.WARNING)
    yield
    logger.setLevel(level)


def test_trimmed_jobs_are_freed(make_manager, quiet_log):
    manager = make_manager(history_limit=1)

    class Payload:
        pass

    first = manager.queued_exec(ident)(Payload())
    ref = weakref.ref(first.result(timeout=10))
    manager.queued_exec(ident)(0).result(timeout=10)
    _after_the_last_job_is_done(manager.job_queue)
    assert first not in manager.job_queue.queue
    del first
    manager.notifications.flush()  # the event log holds the last records until its next batch
    while not manager.result_queue.empty():  # results also go there; the script would take them
        manager.result_queue.get()
    gc.collect()
    assert ref() is None


def test_trimming_is_published_as_history_trimmed_and_signalled_as_a_removal(make_manager):
    manager = make_manager(history_limit=2)
    queue = manager.job_queue
    manager.pause_worker()
    _, sub = queue.subscribe()
    removed = []
    queue.removed_signal.connect(removed.append, Qt.DirectConnection)
    jobs = [manager.queued_exec(ident)(i) for i in range(4)]
    manager.resume_worker()
    jobs[-1].result(timeout=10)
    _after_the_last_job_is_done(queue)
    trims = [r for r in sub.take() if isinstance(r, qc.HistoryTrimmed)]
    sub.close()
    assert [(t.first, t.last, t.jobs) for t in trims] == [(0, 0, (jobs[0],)), (0, 0, (jobs[1],))]
    assert removed == [0, 0]


def test_clear_history_removes_every_done_job_and_keeps_running_and_queued(make_manager):
    manager = make_manager()
    queue = manager.job_queue
    done = [manager.queued_exec(ident)(i) for i in range(3)]
    done[-1].result(timeout=10)
    _after_the_last_job_is_done(queue)
    manager.pause_worker()
    waiting = manager.queued_exec(ident)(9)
    assert queue.clear_history() == 3
    assert queue.queue == [waiting] and queue.qsize("history") == 0
    assert queue.clear_history() == 0


def test_a_running_job_is_never_trimmed(make_manager):
    manager = make_manager()
    queue = manager.job_queue
    manager.pause_worker()
    for i in range(2):
        queue.put(Experiment(ident, (i,)))
    queue.get_next_job()
    queue.job_done(ExpStatus.FINISHED, 0)
    running = queue.get_next_job()
    assert queue.clear_history() == 1
    assert queue.queue == [running] and queue.running_job() is running
    queue.job_done(ExpStatus.FINISHED, 1)


def test_setting_a_lower_limit_trims_at_once_and_bad_limits_are_refused(make_manager):
    manager = make_manager()
    jobs = [manager.queued_exec(ident)(i) for i in range(5)]
    jobs[-1].result(timeout=10)
    _after_the_last_job_is_done(manager.job_queue)
    manager.history_limit = 2
    assert manager.job_queue.queue == jobs[-2:]
    assert manager.job_queue.history_limit == 2
    manager.history_limit = None
    with pytest.raises(ValueError, match="history_limit"):
        manager.history_limit = -1
    with pytest.raises(ValueError, match="history_limit"):
        make_manager(history_limit="10")

