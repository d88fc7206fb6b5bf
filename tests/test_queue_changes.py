"""The change stream: every queue change as one record, in order, one ready signal per burst."""

from __future__ import annotations

from qtpy.QtCore import Qt

from labqueue import queue_changes as qc
from labqueue.manager import Experiment, ExperimentQueue, ExpStatus


def _shape(record: qc.Change) -> tuple:
    """A record as (type name, its fields without the times), for comparing sequences."""
    if isinstance(record, qc.StatusChanged):
        return ("StatusChanged", record.index, record.job, record.status)
    if isinstance(record, qc.RemovedRange):
        return (type(record).__name__, record.first, record.last, record.jobs)
    if isinstance(record, qc.Progress):
        return ("Progress", record.index, record.job, record.fraction, record.message)
    if isinstance(record, qc.Moved):
        return ("Moved", record.src, record.dst, record.job)
    return (type(record).__name__, record.index, record.job)


def test_subscription_records_every_change_in_order_and_signals_once_per_burst():
    q = ExperimentQueue()
    snapshot, sub = q.subscribe()
    assert snapshot.jobs == [] and snapshot.paused is False and snapshot.statuses == []
    ready = []
    sub.ready_signal.connect(lambda: ready.append(1), Qt.DirectConnection)
    a, b, c = Experiment(int), Experiment(int), Experiment(int)
    for exp in (a, b, c):
        q.put(exp)
    q.get_next_job()
    q.report_progress(0.5, "half")
    q.job_done(ExpStatus.FINISHED, 0)
    q.move_item(2, 1)
    q.remove_item(2)
    assert ready == [1]  # one signal for the whole burst
    assert [_shape(r) for r in sub.take()] == [
        ("Inserted", 0, a), ("Inserted", 1, b), ("Inserted", 2, c),
        ("StatusChanged", 0, a, ExpStatus.RUNNING), ("Progress", 0, a, 0.5, "half"),
        ("StatusChanged", 0, a, ExpStatus.FINISHED), ("Moved", 2, 1, c), ("RemovedRange", 2, 2, (b,)),
    ]
    assert sub.take() == []
    q.clear()
    assert ready == [1, 1]  # the next change after take() signals again
    assert [_shape(r) for r in sub.take()] == [("RemovedRange", 1, 1, (c,))]
    assert c.status is ExpStatus.CANCELLED


def test_a_closed_subscription_is_forgotten_by_the_queue():
    q = ExperimentQueue()
    _, sub = q.subscribe()
    sub.close()
    q.put(Experiment(int))  # nobody records it, nothing breaks
    assert sub.take() == []
    _, other = q.subscribe()  # subscribing again drops the closed one
    assert q._subscriptions == (other,)
