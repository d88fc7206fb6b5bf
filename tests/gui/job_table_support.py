"""Helpers for the job-table tests: jobs that block until released, and model-vs-queue checks."""

from __future__ import annotations

import threading

from qtpy.QtCore import Qt

from labqueue.gui.job_status_style import STATUS_LABELS
from labqueue.gui.job_table_model import EXPERIMENT_ROLE, Column, JobTableModel
from labqueue.manager import ExperimentQueue


class Gate:
    """A job that blocks until ``open()``; ``started`` is set once it runs. Always open it at teardown."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self._release = threading.Event()

    def job(self, value=None):
        self.started.set()
        self._release.wait(30)  # bounded, so a broken test cannot hang the suite
        return value

    def open(self) -> None:
        self._release.set()


def noop(i=None):
    return i


def fail(message="instrument not responding"):
    raise TimeoutError(message)


def mismatch(model: JobTableModel, job_queue: ExperimentQueue) -> str | None:
    """None if every model row shows the queue's Experiment and status at that index; else why not."""
    queue = job_queue.queue  # a consistent copy
    if model.rowCount() != len(queue):
        return f"model has {model.rowCount()} rows, queue {len(queue)} jobs"
    for row, exp in enumerate(queue):
        index = model.index(row, Column.STATUS)
        shown = model.data(index, EXPERIMENT_ROLE)
        if shown is not exp:
            return f"row {row}: model shows {shown!r}, queue has {exp!r}"
        text = model.data(index)
        if not text.startswith(STATUS_LABELS[exp.status]):
            return f"row {row}: status text {text!r}, queue job is {exp.status.name}"
    return None


def wait_until_mirrored(qtbot, model: JobTableModel, job_queue: ExperimentQueue, timeout: int = 10000) -> None:
    """Process events until the model mirrors the queue exactly (fails with the last difference)."""
    try:
        qtbot.waitUntil(lambda: mismatch(model, job_queue) is None, timeout=timeout)
    except Exception:
        raise AssertionError(mismatch(model, job_queue)) from None


def _send_mouse(widget, kind, pos, button, buttons) -> None:
    from qtpy.QtGui import QMouseEvent
    from qtpy.QtWidgets import QApplication

    QApplication.sendEvent(widget, QMouseEvent(kind, pos, widget.mapToGlobal(pos), button, buttons, Qt.NoModifier))


def real_drag(view, row: int, target, target_pos) -> None:
    """Drag ``row`` of ``view`` with the mouse and release it over ``target`` at ``target_pos``.

    A real Qt drag: press and move on the view's viewport start ``QDrag.exec``, which runs its own
    (blocking) event loop; a timer queued before the drag starts sends the moves and the release
    from inside that loop, where Qt's drag manager receives them as mouse events (over X11, Xvfb
    in the tests). A second timer cancels the drag if the release did not end it, so a broken drag
    fails the test instead of hanging it.
    """
    from qtpy.QtCore import QEvent, QPoint, QTimer
    from qtpy.QtGui import QDrag
    from qtpy.QtTest import QTest

    viewport = view.viewport()
    start = view.visualRect(view.model().index(row, 1)).center()
    released = []

    def move_and_release():
        for dx in (0, 1, 2):  # enter the target, then move over it like a hand does
            _send_mouse(target, QEvent.MouseMove, target_pos + QPoint(dx, 0), Qt.NoButton, Qt.LeftButton)
            QTest.qWait(10)
        _send_mouse(target, QEvent.MouseButtonRelease, target_pos, Qt.LeftButton, Qt.NoButton)
        released.append(True)

    QTimer.singleShot(50, move_and_release)
    cancel = QTimer()
    cancel.setSingleShot(True)
    cancel.timeout.connect(QDrag.cancel)
    cancel.start(5000)
    QTest.mousePress(viewport, Qt.LeftButton, Qt.NoModifier, start)
    _send_mouse(viewport, QEvent.MouseMove, start + QPoint(0, 4), Qt.NoButton, Qt.LeftButton)
    _send_mouse(viewport, QEvent.MouseMove, start + QPoint(0, 40), Qt.NoButton, Qt.LeftButton)  # starts the drag
    cancel.stop()
    assert released, "the drag did not start (no QDrag.exec loop ran the release)"
