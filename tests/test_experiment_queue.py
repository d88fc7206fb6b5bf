"""ExperimentQueue: ordering, signals, removal rules and error behaviour."""

from __future__ import annotations

import queue as queue_module

import pytest

from labqueue.manager import Experiment, ExperimentQueue, ExpStatus


class Recorder:
    """Records every signal of a queue (direct connection: same thread, in emission order)."""

    def __init__(self, q: ExperimentQueue):
        self.events: list[tuple] = []
        q.added_signal.connect(lambda i: self.events.append(("added", i)))
        q.removed_signal.connect(lambda i: self.events.append(("removed", i)))
        q.removed_range_signal.connect(lambda a, b: self.events.append(("range", a, b)))
        q.status_changed_signal.connect(lambda i, s: self.events.append(("status", i, s)))
        q.moved_signal.connect(lambda a, b: self.events.append(("moved", a, b)))


def make_queue(n_done: int = 0, running: bool = False, n_queued: int = 0) -> tuple[ExperimentQueue, list]:
    q = ExperimentQueue()
    exps = [Experiment(print, (i,)) for i in range(n_done + running + n_queued)]
    for exp in exps:
        q.put(exp)
    for _ in range(n_done):
        q.get_next_job()
        q.job_done(ExpStatus.FINISHED)
    if running:
        q.get_next_job()
    return q, exps


def snapshot(q: ExperimentQueue):
    return [(e, e.status) for e in q.queue]


def test_put_appends_and_signals_index():
    q = ExperimentQueue()
    rec = Recorder(q)
    a, b = Experiment(print), Experiment(print)
    q.put(a)
    q.put(b)
    assert q.queue == [a, b]
    assert rec.events == [("added", 0), ("added", 1)]
    assert q.queue is not q.queue  # a snapshot, not the internal list


def test_put_rejects_wrong_type_and_non_queued_and_duplicates():
    q, (done,) = make_queue(n_done=1)
    before = snapshot(q)
    with pytest.raises(TypeError, match="Experiment"):
        q.put(print)
    with pytest.raises(ValueError, match="FINISHED"):
        q.put(done)
    fresh = Experiment(print)
    q.put(fresh)
    with pytest.raises(ValueError, match="already in a queue"):
        ExperimentQueue().put(fresh)
    assert snapshot(q) == before + [(fresh, ExpStatus.QUEUED)]


def test_get_next_job_marks_first_queued_running_and_signals():
    q, exps = make_queue(n_queued=2)
    rec = Recorder(q)
    assert q.get_next_job() is exps[0]
    assert exps[0].status is ExpStatus.RUNNING
    assert rec.events == [("status", 0, ExpStatus.RUNNING)]
    assert q.qsize("running") == 1 and q.qsize("queued") == 1


def test_get_next_job_on_empty_queue_raises_empty():
    q, _ = make_queue(n_done=2)
    with pytest.raises(queue_module.Empty):
        q.get_next_job()


def test_job_done_without_running_job_is_a_runtime_error():
    q, _ = make_queue(n_queued=1)
    with pytest.raises(RuntimeError, match="no job is running"):
        q.job_done(ExpStatus.FINISHED)
    with pytest.raises(ValueError):
        q.job_done(ExpStatus.RUNNING)


def test_job_done_records_status_and_signals():
    q, exps = make_queue(n_done=1, running=True, n_queued=1)
    rec = Recorder(q)
    q.job_done(ExpStatus.ABORTED, "partial")
    assert rec.events == [("status", 1, ExpStatus.ABORTED)]
    assert exps[1].status is ExpStatus.ABORTED and exps[1].return_value == "partial"
    assert (q.qsize("history"), q.qsize("running"), q.qsize("queued"), q.qsize()) == (2, 0, 1, 3)


def test_failed_job_done_stores_exception_and_traceback():
    q, (exp,) = make_queue(running=True)
    try:
        raise OSError("instrument offline")
    except OSError as exc:
        q.job_done(ExpStatus.FAILED, exc)
    assert "instrument offline" in exp.traceback and "Traceback" in exp.traceback
    with pytest.raises(OSError, match="instrument offline"):
        exp.result()


def test_qsize_unknown_status_is_value_error():
    q, _ = make_queue(n_queued=1)
    with pytest.raises(ValueError, match="'queued'"):
        q.qsize("pending")


def test_remove_items_emits_descending_indices_and_cancels():
    q, exps = make_queue(n_done=1, running=True, n_queued=4)
    rec = Recorder(q)
    q.remove_items(3, 5)
    assert [e for e in rec.events if e[0] == "removed"] == [("removed", 5), ("removed", 4), ("removed", 3)]
    assert ("range", 3, 5) in rec.events
    assert q.queue == exps[:3]
    assert all(e.status is ExpStatus.CANCELLED for e in exps[3:])


def test_remove_item_single_and_negative_index():
    q, exps = make_queue(n_queued=3)
    q.remove_item(-1)
    q.remove_item(0)
    assert q.queue == [exps[1]]


@pytest.mark.parametrize("args", [(7,), (2, 9), (-8,)])
def test_remove_items_out_of_range_is_index_error_and_removes_nothing(args):
    q, _ = make_queue(n_done=1, n_queued=3)
    before = snapshot(q)
    with pytest.raises(IndexError, match="out of range"):
        q.remove_items(*args)
    assert snapshot(q) == before


@pytest.mark.parametrize("first,last", [(0, 0), (1, 1), (1, 3), (0, 4)])
def test_removing_running_or_done_is_value_error_and_removes_nothing(first, last):
    q, _ = make_queue(n_done=1, running=True, n_queued=3)
    rec = Recorder(q)
    before = snapshot(q)
    with pytest.raises(ValueError, match="only queued jobs"):
        q.remove_items(first, last)
    assert snapshot(q) == before
    assert rec.events == []


def test_remove_items_on_empty_queue_is_index_error():
    q = ExperimentQueue()
    with pytest.raises(IndexError, match="holds 0 job"):
        q.remove_items(0)
    with pytest.raises(IndexError):
        q.remove_item(0)


def test_remove_items_rejects_non_int_and_reversed_range():
    q, _ = make_queue(n_queued=3)
    with pytest.raises(TypeError, match="int"):
        q.remove_item("1")
    with pytest.raises(TypeError):
        q.remove_items(0, 1.0)
    with pytest.raises(ValueError, match="before"):
        q.remove_items(2, 1)
    assert q.qsize("queued") == 3


def test_clear_removes_only_queued_jobs_descending():
    q, exps = make_queue(n_done=2, running=True, n_queued=3)
    rec = Recorder(q)
    q.clear()
    assert q.queue == exps[:3]
    assert [e for e in rec.events if e[0] == "removed"] == [("removed", 5), ("removed", 4), ("removed", 3)]
    assert exps[2].status is ExpStatus.RUNNING
    q.clear()  # nothing queued: no error, no signal
    assert len(rec.events) == 4


def test_move_item_reorders_queued_jobs_only():
    q, exps = make_queue(n_done=1, n_queued=3)
    rec = Recorder(q)
    q.move_item(3, 1)
    assert q.queue == [exps[0], exps[3], exps[1], exps[2]]
    assert rec.events == [("moved", 3, 1)]
    with pytest.raises(ValueError):
        q.move_item(0, 2)  # finished job
    with pytest.raises(ValueError):
        q.move_item(2, 0)  # into the history
    with pytest.raises(IndexError):
        q.move_item(1, 9)
    assert q.queue == [exps[0], exps[3], exps[1], exps[2]]


def test_report_progress_needs_a_running_job_and_clamps():
    q, (exp,) = make_queue(running=True)
    seen = []
    q.progress_signal.connect(lambda i, f, m: seen.append((i, f, m)))
    q.report_progress(1.7, "almost")
    assert seen == [(0, 1.0, "almost")] and exp.progress == 1.0
    with pytest.raises(ValueError):
        q.report_progress(float("nan"))
    q.job_done(ExpStatus.FINISHED)
    with pytest.raises(RuntimeError):
        q.report_progress(0.5)
