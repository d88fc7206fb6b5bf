"""JobTableModel: a live, exact mirror of the ExperimentQueue, with the columns a user reads."""

from __future__ import annotations

import re
import threading

import pytest
from job_table_support import Gate, fail, mismatch, noop, wait_until_mirrored
from qtpy.QtCore import QModelIndex, Qt
from qtpy.QtGui import QColor, QIcon

from labqueue.gui.job_table_model import EXPERIMENT_ROLE, NOT_REMOVABLE_TEXT, Column, JobTableModel
from labqueue.manager import Experiment, ExpStatus

CLOCK = re.compile(r"^\d\d:\d\d:\d\d$")


@pytest.fixture
def gate(make_manager):
    """A blocking job; opened before the managers shut down (fixture teardown order)."""
    g = Gate()
    yield g
    g.open()


@pytest.fixture
def populated(qtbot, make_manager, gate):
    """A manager whose queue holds finished, failed, aborted, running and queued jobs."""
    manager = make_manager(pause_on_failure=False)
    q = manager.job_queue

    def partial():
        manager.abort_job()  # as if the operator pressed Abort: the job ends ABORTED, keeps its data
        return [1, 2, 3]

    q.put(Experiment(noop, (42,)))
    q.put(Experiment(fail))
    q.put(Experiment(partial))
    q.put(Experiment(gate.job))
    q.put(Experiment(noop, ("x" * 100,), {"step": 0.5}))
    q.put(Experiment(noop))
    assert gate.started.wait(10)
    return manager


def _text(model, row, column, role=Qt.DisplayRole):
    return model.data(model.index(row, column), role)


def test_qtmodeltester_accepts_a_model_with_every_kind_of_row(qtbot, qtmodeltester, qtlog, populated, gate):
    q = populated.job_queue
    model = JobTableModel(q)
    wait_until_mirrored(qtbot, model, q)
    assert [model.experiment(r).status for r in range(4)] == [
        ExpStatus.FINISHED, ExpStatus.FAILED, ExpStatus.ABORTED, ExpStatus.RUNNING]
    qtmodeltester.check(model, force_py=True)
    qtmodeltester.check(model)  # Qt's C++ tester stays attached and re-checks on every change below
    populated.pause_worker()
    for i in range(5):
        q.put(Experiment(noop, (i,)))
    q.move_item(q.qsize() - 1, q.first_queued_index)
    q.remove_items(q.first_queued_index + 1, q.first_queued_index + 2)
    gate.open()
    qtbot.waitUntil(lambda: q.qsize("running") == 0)
    wait_until_mirrored(qtbot, model, q)
    qtbot.waitUntil(lambda: model.running_row == -1)
    failures = [r.message for r in qtlog.records if "FAIL!" in r.message]  # it reports by qWarning
    assert not failures


def test_every_column_shows_what_the_user_needs(qtbot, populated):
    model = JobTableModel(populated.job_queue)
    wait_until_mirrored(qtbot, model, populated.job_queue)
    headers = [model.headerData(c, Qt.Horizontal) for c in Column]
    assert headers == ["Status", "Call", "Queued", "Started", "Duration", "Result / Error"]

    statuses = [_text(model, r, Column.STATUS) for r in range(6)]
    assert statuses == ["Finished", "Failed", "Aborted", "Running", "Queued", "Queued"]
    assert _text(model, 0, Column.CALL) == "noop(42)"
    assert _text(model, 0, Column.RESULT) == "42"
    assert _text(model, 1, Column.RESULT) == "TimeoutError: instrument not responding"
    assert "Traceback" in _text(model, 1, Column.RESULT, Qt.ToolTipRole)
    assert _text(model, 2, Column.RESULT) == "partial: [1, 2, 3]"
    assert _text(model, 3, Column.RESULT) == ""

    for row in range(4):  # started rows have times and a duration
        assert CLOCK.match(_text(model, row, Column.QUEUED))
        assert CLOCK.match(_text(model, row, Column.STARTED))
        assert _text(model, row, Column.DURATION).endswith(" s")
    assert CLOCK.match(_text(model, 4, Column.QUEUED))
    assert _text(model, 4, Column.STARTED) == _text(model, 4, Column.DURATION) == ""

    long_call = _text(model, 4, Column.CALL)
    full_call = _text(model, 4, Column.CALL, Qt.ToolTipRole)
    assert "..." in long_call and len(long_call) < 80
    assert full_call == model.experiment(4).full_call_text() and "x" * 100 in full_call

    icons = [_text(model, r, Column.STATUS, Qt.DecorationRole) for r in range(5)]
    assert all(isinstance(i, QIcon) and not i.isNull() for i in icons)
    assert len({i.cacheKey() for i in icons}) == 5  # one distinct icon per status
    assert _text(model, 0, Column.CALL, Qt.DecorationRole) is None

    failed_bg = _text(model, 1, Column.CALL, Qt.BackgroundRole)
    assert isinstance(failed_bg, QColor) and failed_bg.alpha() < 255  # a tint, readable on any palette
    assert _text(model, 0, Column.CALL, Qt.BackgroundRole) is None

    assert NOT_REMOVABLE_TEXT in _text(model, 3, Column.STATUS, Qt.ToolTipRole)
    assert NOT_REMOVABLE_TEXT in _text(model, 0, Column.STATUS, Qt.ToolTipRole)
    assert NOT_REMOVABLE_TEXT not in _text(model, 4, Column.STATUS, Qt.ToolTipRole)
    assert model.flags(model.index(4, 0)) & Qt.ItemIsDragEnabled
    assert not model.flags(model.index(3, 0)) & Qt.ItemIsDragEnabled
    assert not model.flags(model.index(0, 0)) & Qt.ItemIsDragEnabled


def test_experiment_role_and_accessor_give_the_rows_job(qtbot, populated):
    model = JobTableModel(populated.job_queue)
    queue = populated.job_queue.queue
    for row, exp in enumerate(queue):
        assert model.experiment(row) is exp
        assert model.data(model.index(row, Column.RESULT), EXPERIMENT_ROLE) is exp
    assert model.running_row == 3
    with pytest.raises(IndexError):
        model.experiment(len(queue))
    assert model.data(QModelIndex(), EXPERIMENT_ROLE) is None


def test_queue_changes_become_minimal_row_changes(qtbot, manager):
    q = manager.job_queue
    manager.pause_worker()
    model = JobTableModel(q)
    inserted, removed, moved, changed, resets = [], [], [], [], []
    model.rowsInserted.connect(lambda parent, first, last: inserted.append((first, last)))
    model.rowsRemoved.connect(lambda parent, first, last: removed.append((first, last)))
    model.rowsMoved.connect(lambda p, first, last, dp, dest: moved.append((first, last, dest)))
    model.dataChanged.connect(lambda tl, br, roles=(): changed.append((tl.row(), br.row())))
    model.modelReset.connect(lambda: resets.append(True))

    jobs = [Experiment(noop, (i,)) for i in range(50)]
    for exp in jobs:  # a burst while the event loop is busy → one block of rows
        q.put(exp)
    wait_until_mirrored(qtbot, model, q)
    assert inserted == [(0, 49)]

    q.remove_items(10, 19)
    wait_until_mirrored(qtbot, model, q)
    assert removed == [(10, 19)]  # one range, not ten rows

    q.move_item(0, 5)
    q.move_item(39, 2)
    wait_until_mirrored(qtbot, model, q)
    assert moved == [(0, 0, 6), (39, 39, 2)]
    assert model.experiment(6) is jobs[0] and model.experiment(2) is jobs[49]  # 0→5, then shifted by 39→2

    last_done = threading.Event()
    q.queue[-1].add_done_callback(lambda _exp: last_done.set())
    manager.resume_worker()
    assert last_done.wait(10)  # the GUI thread blocks until the worker is idle: all 80 status records pile up
    qtbot.waitUntil(lambda: bool(changed))
    assert changed == [(0, 39)]  # exactly the changed rows, adjacent ones in one dataChanged
    wait_until_mirrored(qtbot, model, q)
    q.clear()
    assert not resets


def test_model_made_while_signals_are_in_flight_applies_nothing_twice(qtbot, manager):
    q = manager.job_queue
    manager.pause_worker()
    early = JobTableModel(q)
    for i in range(20):
        q.put(Experiment(noop, (i,)))
    q.remove_items(0, 4)
    q.move_item(5, 14)
    late = JobTableModel(q)  # its snapshot already holds these changes; their signals are still queued
    assert late.rowCount() == 15 and mismatch(late, q) is None
    wait_until_mirrored(qtbot, early, q)
    wait_until_mirrored(qtbot, late, q)


def test_model_made_while_another_thread_puts_jobs_mirrors_the_queue(qtbot, manager):
    q = manager.job_queue
    manager.pause_worker()
    halfway = threading.Event()

    def producer():
        for i in range(600):
            q.put(Experiment(noop, (i,)))
            if i == 150:
                halfway.set()
            if i % 50 == 49:
                q.remove_items(q.qsize() - 3, q.qsize() - 2)

    thread = threading.Thread(target=producer)
    thread.start()
    assert halfway.wait(10)
    model = JobTableModel(q)
    thread.join(10)
    assert not thread.is_alive()
    wait_until_mirrored(qtbot, model, q)


def test_running_row_duration_refreshes_every_second(qtbot, manager, gate):
    q = manager.job_queue
    q.put(Experiment(noop))
    q.put(Experiment(gate.job))
    assert gate.started.wait(10)
    model = JobTableModel(q)
    wait_until_mirrored(qtbot, model, q)
    before = _text(model, 1, Column.DURATION)

    def running_row_duration(top, bottom, roles=()):
        return top.row() == bottom.row() == 1 and top.column() <= Column.DURATION <= bottom.column()

    with qtbot.waitSignal(model.dataChanged, timeout=3000, check_params_cb=running_row_duration):
        pass
    assert _text(model, 1, Column.DURATION) != before


def test_progress_shows_percent_time_left_and_message(qtbot, manager, gate):
    def ramp():
        manager.report_progress(0.5, "ramping to 4 K")
        gate.job()

    q = manager.job_queue
    model = JobTableModel(q)
    q.put(Experiment(ramp))
    qtbot.waitUntil(lambda: model.rowCount() == 1 and _text(model, 0, Column.STATUS) == "Running 50 %")
    tooltip = _text(model, 0, Column.STATUS, Qt.ToolTipRole)
    assert "ramping to 4 K" in tooltip and "50 %" in tooltip and "left" in tooltip


def test_remove_rows_goes_through_the_queue_and_spares_running_jobs(qtbot, manager, gate):
    q = manager.job_queue
    q.put(Experiment(gate.job))
    jobs = [Experiment(noop, (i,)) for i in range(5)]
    assert gate.started.wait(10)
    for exp in jobs:
        q.put(exp)
    model = JobTableModel(q)
    assert not model.removeRows(0, 2)  # includes the running job: refused, nothing removed
    assert model.removeRows(2, 2)
    wait_until_mirrored(qtbot, model, q)
    assert [exp.status for exp in jobs] == [ExpStatus.QUEUED, ExpStatus.CANCELLED, ExpStatus.CANCELLED,
                                            ExpStatus.QUEUED, ExpStatus.QUEUED]
    assert model.rowCount() == 4


def test_removal_finds_jobs_by_identity_when_the_model_lags_behind(qtbot, manager):
    q = manager.job_queue
    manager.pause_worker()
    jobs = [Experiment(noop, (i,)) for i in range(10)]
    for exp in jobs:
        q.put(exp)
    model = JobTableModel(q)
    q.remove_items(0, 2)  # e.g. from the console thread; the model has not seen it yet
    assert model.rowCount() == 10
    assert model.remove_experiments([model.experiment(5), model.experiment(6), model.experiment(8)]) == 3
    wait_until_mirrored(qtbot, model, q)
    assert [exp.status for exp in jobs].count(ExpStatus.CANCELLED) == 6
    assert q.queue == [jobs[3], jobs[4], jobs[7], jobs[9]]


def test_move_to_top_bottom_and_before_a_job(qtbot, manager):
    q = manager.job_queue
    manager.pause_worker()
    a, b, c, d, e = jobs = [Experiment(noop, (i,)) for i in range(5)]
    for exp in jobs:
        q.put(exp)
    model = JobTableModel(q)
    assert model.move_to_top([d, b])
    assert q.queue == [d, b, a, c, e]
    assert model.move_to_bottom([d, a])
    assert q.queue == [b, c, e, d, a]
    assert model.move_experiments([a], before=c)
    assert q.queue == [b, a, c, e, d]
    wait_until_mirrored(qtbot, model, q)
    q.remove_item(0)
    assert not model.move_to_top([b])  # no longer queued: nothing to move
    wait_until_mirrored(qtbot, model, q)


def test_update_arguments_repaints_the_row_with_the_new_call(qtbot, manager):
    manager.pause_worker()
    q = manager.job_queue

    def sweep(start, stop):
        return start, stop

    exp = manager.queued_exec(sweep)(0, 1)
    model = JobTableModel(q)
    wait_until_mirrored(qtbot, model, q)
    assert _text(model, 0, Column.CALL) == "sweep(0, 1)"
    with qtbot.waitSignal(model.dataChanged) as changed:
        exp.update_arguments(2, stop=3)
    assert changed.args[0].row() == 0
    assert _text(model, 0, Column.CALL) == "sweep(2, stop=3)"
