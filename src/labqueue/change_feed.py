"""Items made on any thread, delivered to the GUI thread in bursts: :class:`ChangeFeed`.

A view that mirrors an ExperimentQueue through one queued signal per change makes the GUI thread
run a Python slot per change. While a worker streams thousands of jobs, those events arrive as
fast as the GUI thread can handle them, so Qt never gets to its timers and painting: the window
freezes until the stream ends. A feed instead collects the changes (in the order the queue made
them, under its lock) and emits ``ready_signal`` only when the first change arrives after a
:meth:`ChangeFeed.take`: one event per burst, however long the burst. The log pane uses a
feed of the same kind for log records.
"""

from __future__ import annotations

import threading

from qtpy.QtCore import QObject, Signal

__all__ = ["ChangeFeed"]


class ChangeFeed(QObject):
    """Changes of one ExperimentQueue, in order, for one view; make it with ``queue.change_feed()``.

    Each change is a tuple: ``("inserted", index, exp)``, ``("removed_range", first, last)``,
    ``("status_changed", index, status)``, ``("moved", src, dst)`` or
    ``("progress", index, fraction, message)`` — the arguments of the queue's signals of those names.
    Connect ``ready_signal`` with ``Qt.QueuedConnection`` and call :meth:`take` in the slot.
    """

    #: Changes are waiting: emitted (on the thread that changed the queue) for the first change after take().
    ready_signal = Signal()

    def __init__(self) -> None:
        super().__init__()
        # A lock of its own, held only to append or swap the list: take() must not wait for the
        # queue's lock, which a worker running short jobs holds most of the time.
        self._lock = threading.Lock()
        self._changes: list = []

    def append(self, change: object) -> None:
        """Add an item; the queue calls it under its lock, so changes keep the queue's order."""
        with self._lock:
            self._changes.append(change)
            first = len(self._changes) == 1
        if first:
            self.ready_signal.emit()

    def append_record(self, record: object) -> None:
        """Transitional adapter: a ``queue_changes`` record as the tuple the table model expects."""
        from labqueue import queue_changes as qc

        if isinstance(record, qc.Inserted):
            self.append(("inserted", record.index, record.job))
        elif isinstance(record, qc.RemovedRange):
            self.append(("removed_range", record.first, record.last))
        elif isinstance(record, qc.StatusChanged):
            self.append(("status_changed", record.index, record.status))
        elif isinstance(record, qc.Moved):
            self.append(("moved", record.src, record.dst))
        elif isinstance(record, qc.Progress):
            self.append(("progress", record.index, record.fraction, record.message))

    def take(self) -> list:
        """All changes since the last call, oldest first (the feed is then empty)."""
        with self._lock:
            changes, self._changes = self._changes, []
        return changes
