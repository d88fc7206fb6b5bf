"""ChangeFeed: a view's ordered record of queue changes, one ready signal per burst."""

from __future__ import annotations

import gc

from qtpy.QtCore import Qt

from labqueue.manager import Experiment, ExperimentQueue, ExpStatus


def test_feed_records_every_change_in_order_and_signals_once_per_burst():
    q = ExperimentQueue()
    feed = q.change_feed()
    ready = []
    feed.ready_signal.connect(lambda: ready.append(1), Qt.DirectConnection)
    a, b, c = Experiment(int), Experiment(int), Experiment(int)
    for exp in (a, b, c):
        q.put(exp)
    q.get_next_job()
    q.report_progress(0.5, "half")
    q.job_done(ExpStatus.FINISHED, 0)
    q.move_item(2, 1)
    q.remove_item(2)
    assert ready == [1]  # one signal for the whole burst
    assert feed.take() == [
        ("inserted", 0, a), ("inserted", 1, b), ("inserted", 2, c),
        ("status_changed", 0, ExpStatus.RUNNING), ("progress", 0, 0.5, "half"),
        ("status_changed", 0, ExpStatus.FINISHED), ("moved", 2, 1), ("removed_range", 2, 2),
    ]
    assert feed.take() == []
    q.clear()
    assert ready == [1, 1]  # the next change after take() signals again
    assert feed.take() == [("removed_range", 1, 1)]


def test_a_dropped_feed_is_forgotten_by_the_queue():
    q = ExperimentQueue()
    feed = q.change_feed()
    del feed
    gc.collect()
    q.put(Experiment(int))  # nobody records it, nothing breaks
    assert all(ref() is None for ref in q._feeds)
