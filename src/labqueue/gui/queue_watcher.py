"""Watches a Manager's queue for the window's controls and status bar: counts and a calm change signal.

The queue emits a signal per change, possibly thousands per second. The watcher receives them
with ``Qt.QueuedConnection`` (in the order they were made), keeps the finished / failed / aborted
counts, and emits :attr:`QueueWatcher.changed_signal` at most every :data:`COALESCE_MS`, so
buttons and labels are redrawn a few times a second however busy the queue is.
"""

from __future__ import annotations

from qtpy.QtCore import QObject, Qt, QTimer, Signal

from labqueue.manager import Experiment, ExpStatus, Manager

__all__ = ["QueueWatcher", "COALESCE_MS"]

#: Longest delay between a queue change and ``changed_signal``.
COALESCE_MS = 50

_COUNTED = (ExpStatus.FINISHED, ExpStatus.FAILED, ExpStatus.ABORTED)


class QueueWatcher(QObject):
    """Counts jobs by outcome and announces queue or pause changes (GUI thread only)."""

    #: The queue or the paused state changed (coalesced).
    changed_signal = Signal()

    def __init__(self, manager: Manager, parent: QObject | None = None):
        super().__init__(parent)
        self.manager = manager
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.setInterval(COALESCE_MS)
        self._timer.timeout.connect(self.changed_signal)
        q = manager.job_queue
        # Count and connect under the queue lock: every change after the snapshot arrives as a signal,
        # none before it does.
        with q.changed:
            self._counts = {status: 0 for status in _COUNTED}
            for exp in q.queue[:q.first_queued_index]:
                if exp.status in self._counts:
                    self._counts[exp.status] += 1
            q.status_changed_signal.connect(self._status_changed, Qt.QueuedConnection)
            q.inserted_signal.connect(self._schedule, Qt.QueuedConnection)
            q.removed_range_signal.connect(self._schedule, Qt.QueuedConnection)
            q.moved_signal.connect(self._schedule, Qt.QueuedConnection)
        manager.running_changed_signal.connect(self._schedule, Qt.QueuedConnection)

    def count(self, status: ExpStatus) -> int:
        """How many jobs ended FINISHED, FAILED or ABORTED (as far as the GUI has been told)."""
        return self._counts[status]

    @property
    def queued(self) -> int:
        """Number of jobs waiting to run."""
        return self.manager.job_queue.qsize("queued")

    @property
    def running_job(self) -> Experiment | None:
        """The job running now, or None."""
        return self.manager.job_queue.running_job()

    @property
    def paused(self) -> bool:
        """True when no new job will start (``manager.running`` is cleared)."""
        return not self.manager.running.is_set()

    def notify_now(self) -> None:
        """Emit ``changed_signal`` at once (after the user's own command, so the answer is instant)."""
        self._timer.stop()
        self.changed_signal.emit()

    def _status_changed(self, _index: int, status: ExpStatus) -> None:
        if status in self._counts:
            self._counts[status] += 1
        self._schedule()

    def _schedule(self, *_args: object) -> None:
        if not self._timer.isActive():
            self._timer.start()
