"""Drag and drop of queued jobs: the MIME payload, drops on the model, and real mouse drags."""

from __future__ import annotations

import pytest
from job_table_support import Gate, noop, real_drag, wait_until_mirrored
from qtpy.QtCore import QMimeData, QModelIndex, QPoint, Qt
from qtpy.QtWidgets import QVBoxLayout, QWidget

from labqueue.gui.job_table_model import MIME_TYPE, JobTableModel
from labqueue.gui.job_table_view import JobTableView
from labqueue.gui.trash_zone import TrashZone
from labqueue.manager import Experiment, ExpStatus


@pytest.fixture
def gate(make_manager):
    g = Gate()
    yield g
    g.open()


def _queue_jobs(manager, n):
    jobs = [Experiment(noop, (i,)) for i in range(n)]
    for exp in jobs:
        manager.job_queue.put(exp)
    return jobs


def _rows(model, *rows):
    return [model.index(r, c) for r in rows for c in range(model.columnCount())]


@pytest.fixture
def history_running_queued(qtbot, make_manager, gate):
    """Manager with rows: 0 finished, 1 running, 2..5 queued (a, b, c, d)."""
    manager = make_manager()
    q = manager.job_queue
    q.put(Experiment(noop, ("done",)))
    q.put(Experiment(gate.job))
    assert gate.started.wait(10)
    return manager, _queue_jobs(manager, 4)


def test_mime_data_carries_only_queued_rows(qtbot, history_running_queued):
    manager, jobs = history_running_queued
    model = JobTableModel(manager.job_queue)
    assert model.mimeTypes() == [MIME_TYPE]
    assert model.supportedDragActions() == Qt.MoveAction and model.supportedDropActions() == Qt.MoveAction
    assert model.mimeData(_rows(model, 0, 1)) is None  # finished and running: nothing to drag
    mime = model.mimeData(_rows(model, 1, 3, 5))
    assert mime.formats() == [MIME_TYPE]
    assert model.dragged_experiments(mime) == [jobs[1], jobs[3]]


def test_drop_reorders_queued_jobs(qtbot, history_running_queued):
    manager, (a, b, c, d) = history_running_queued
    q = manager.job_queue
    model = JobTableModel(q)
    mime = model.mimeData(_rows(model, 5))  # d
    assert model.canDropMimeData(mime, Qt.MoveAction, 3, 0, QModelIndex())
    assert model.dropMimeData(mime, Qt.MoveAction, 3, 0, QModelIndex())  # before b
    assert q.queue[2:] == [a, d, b, c]
    wait_until_mirrored(qtbot, model, q)

    mime = model.mimeData(_rows(model, 2, 3))  # a, d
    assert model.dropMimeData(mime, Qt.MoveAction, -1, -1, QModelIndex())  # on empty space: the end
    assert q.queue[2:] == [b, c, a, d]
    wait_until_mirrored(qtbot, model, q)

    mime = model.mimeData(_rows(model, 4))  # a
    assert model.dropMimeData(mime, Qt.MoveAction, -1, -1, model.index(2, 1))  # "on" b: before it
    assert q.queue[2:] == [a, b, c, d]
    assert all(exp.status is ExpStatus.QUEUED for exp in (a, b, c, d))


def test_drop_onto_running_or_finished_rows_snaps_to_the_first_queued_place(qtbot, history_running_queued):
    manager, (a, b, c, d) = history_running_queued
    q = manager.job_queue
    model = JobTableModel(q)
    finished, running = q.queue[:2]
    assert model.dropMimeData(model.mimeData(_rows(model, 4)), Qt.MoveAction, 0, 0, QModelIndex())
    assert q.queue == [finished, running, c, a, b, d]
    wait_until_mirrored(qtbot, model, q)
    assert model.dropMimeData(model.mimeData(_rows(model, 5)), Qt.MoveAction, 1, 0, QModelIndex())
    assert q.queue == [finished, running, d, c, a, b]


def test_drops_from_another_queue_or_of_other_data_are_refused(qtbot, make_manager):
    one, other = make_manager(), make_manager()
    one.pause_worker()
    other.pause_worker()
    _queue_jobs(one, 3)
    theirs = _queue_jobs(other, 3)
    model, other_model = JobTableModel(one.job_queue), JobTableModel(other.job_queue)
    before = one.job_queue.queue
    foreign = other_model.mimeData(_rows(other_model, 2))
    assert not model.canDropMimeData(foreign, Qt.MoveAction, 0, 0, QModelIndex())
    assert not model.dropMimeData(foreign, Qt.MoveAction, 0, 0, QModelIndex())
    text = QMimeData()
    text.setText("noop(1)")
    assert not model.dropMimeData(text, Qt.MoveAction, 0, 0, QModelIndex())
    own = model.mimeData(_rows(model, 2))
    assert not model.dropMimeData(own, Qt.CopyAction, 0, 0, QModelIndex())
    assert one.job_queue.queue == before and other.job_queue.queue == theirs


@pytest.fixture
def window(qtbot, manager):
    """A view and a trash zone in one shown window, with six queued jobs (worker paused)."""
    manager.pause_worker()
    jobs = _queue_jobs(manager, 6)
    widget = QWidget()
    qtbot.addWidget(widget)
    layout = QVBoxLayout(widget)
    view, trash = JobTableView(manager), TrashZone()
    layout.addWidget(view)
    layout.addWidget(trash)
    widget.resize(700, 420)
    widget.show()
    qtbot.waitExposed(widget)
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    yield manager, view, trash, jobs
    widget.close()  # also keeps the window (which owns view and trash) alive until here: qtbot holds it weakly


def _click_row(qtbot, view, row, modifier=Qt.NoModifier):
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, modifier, view.visualRect(view.model().index(row, 1)).center())


def test_real_drag_onto_the_trash_removes_the_job_exactly_once(qtbot, window):
    manager, view, trash, jobs = window
    q = manager.job_queue
    removals = []
    q.removed_range_signal.connect(lambda first, last: removals.append((first, last)), Qt.DirectConnection)
    dropped = []
    trash.jobs_dropped_signal.connect(dropped.append)
    _click_row(qtbot, view, 3)
    real_drag(view, 3, trash, trash.rect().center())
    assert removals == [(3, 3)] and dropped == [1]
    assert jobs[3].status is ExpStatus.CANCELLED
    assert q.queue == jobs[:3] + jobs[4:]
    wait_until_mirrored(qtbot, view.model(), q)
    assert not trash.drag_active


def test_real_drag_of_a_selection_onto_the_trash_removes_all_of_it(qtbot, window):
    manager, view, trash, jobs = window
    _click_row(qtbot, view, 1)
    _click_row(qtbot, view, 2, Qt.ControlModifier)
    _click_row(qtbot, view, 4, Qt.ControlModifier)
    real_drag(view, 4, trash, trash.rect().center())
    assert manager.job_queue.queue == [jobs[0], jobs[3], jobs[5]]
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)


def test_real_drag_within_the_view_reorders_and_removes_nothing(qtbot, window):
    manager, view, trash, jobs = window
    q = manager.job_queue
    _click_row(qtbot, view, 4)
    top_of_row_1 = view.visualRect(view.model().index(1, 1)).topLeft() + QPoint(30, 3)
    real_drag(view, 4, view.viewport(), top_of_row_1)
    assert q.queue == [jobs[0], jobs[4], jobs[1], jobs[2], jobs[3], jobs[5]]
    assert all(exp.status is ExpStatus.QUEUED for exp in jobs)
    wait_until_mirrored(qtbot, view.model(), q)


def test_real_drag_into_another_managers_table_is_refused(qtbot, window, make_manager):
    manager, view, trash, jobs = window
    other = make_manager()
    other.pause_worker()
    theirs = _queue_jobs(other, 2)
    other_view = JobTableView(other)
    qtbot.addWidget(other_view)
    other_view.move(view.window().geometry().right() + 20, 0)
    other_view.resize(500, 300)
    other_view.show()
    qtbot.waitExposed(other_view)
    _click_row(qtbot, view, 2)
    real_drag(view, 2, other_view.viewport(), other_view.viewport().rect().center())
    assert manager.job_queue.queue == jobs and other.job_queue.queue == theirs
    assert all(exp.status is ExpStatus.QUEUED for exp in jobs + theirs)
