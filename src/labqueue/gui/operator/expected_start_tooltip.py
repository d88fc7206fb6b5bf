"""Tooltips of queued rows say when the job is expected to start ("Expected start ≈ 02:10, in 25 min").

An event filter on the table's viewport adds the line to the model's own tooltip, so neither the
model nor the view needs to know about estimates.
"""

from __future__ import annotations

import datetime as dt
import time

from qtpy.QtCore import QEvent, QObject, Qt
from qtpy.QtWidgets import QTableView, QToolTip

from labqueue.experiment import Experiment, ExpStatus
from labqueue.gui.job_table_model import EXPERIMENT_ROLE
from labqueue.gui.operator.eta_status import clock_at_text, span_text
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.manager import Manager

__all__ = ["ExpectedStartTooltips", "expected_start_line"]


def expected_start_line(manager: Manager, job: Experiment, paused: bool, now: float | None = None) -> str:
    """One line for the tooltip of the queued ``job`` (empty if it is not queued)."""
    now = time.time() if now is None else now
    resume_at = manager.resume_at
    delay = max(resume_at.timestamp() - now, 0.0) if resume_at is not None else 0.0
    start = manager.eta.expected_start(job, delay=delay)
    if start is None:
        return ""
    now_dt = dt.datetime.fromtimestamp(now)
    at = clock_at_text(now_dt + dt.timedelta(seconds=start.seconds), now_dt)
    line = f"Expected start ≈ {at} (in {span_text(start.seconds)})"
    if not start.exact:
        line += ", or later: an earlier job has never run before"
    if paused and resume_at is None:
        line += ", once the queue is resumed"
    return line


class ExpectedStartTooltips(QObject):
    """Installed on ``view.viewport()``: queued rows' tooltips get their expected start."""

    def __init__(self, view: QTableView, manager: Manager, mirror: QueueMirror):
        super().__init__(view)
        self.view = view
        self.manager = manager
        self.mirror = mirror
        view.viewport().installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        if event.type() != QEvent.ToolTip:
            return False
        index = self.view.indexAt(event.pos())
        exp = index.data(EXPERIMENT_ROLE) if index.isValid() else None
        if exp is None or exp.status is not ExpStatus.QUEUED:
            return False
        line = expected_start_line(self.manager, exp, self.mirror.paused)
        if not line:
            return False
        tip = index.data(Qt.ToolTipRole) or index.data()
        text = "\n".join(t for t in (tip, line) if t)
        QToolTip.showText(event.globalPos(), text, self.view.viewport(), self.view.visualRect(index))
        return True
