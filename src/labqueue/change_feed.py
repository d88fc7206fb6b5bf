"""Items made on any thread, delivered to the GUI thread in bursts: :class:`ChangeFeed`.

A view that takes items through one queued signal per item makes the GUI thread run a Python slot
per item; a flood of them leaves Qt no time for timers and painting. A feed collects the items in
order and emits ``ready_signal`` only for the first item after a :meth:`ChangeFeed.take`: one
event per burst, however long the burst. The Messages pane uses it for log records; queue changes
reach views through the queue's change stream (``job_queue.subscribe()``), which works the same way.
"""

from __future__ import annotations

import threading

from qtpy.QtCore import QObject, Signal

__all__ = ["ChangeFeed"]


class ChangeFeed(QObject):
    """Items in the order they were appended, for one reader on the GUI thread.

    Connect ``ready_signal`` with ``Qt.QueuedConnection`` and call :meth:`take` in the slot.
    """

    #: Items are waiting: emitted (on the appending thread) for the first item after take().
    ready_signal = Signal()

    def __init__(self) -> None:
        super().__init__()
        # A lock of its own, held only to append or swap the list: take() never waits for a
        # producer's locks.
        self._lock = threading.Lock()
        self._changes: list = []

    def append(self, change: object) -> None:
        """Add an item (items keep the order of the calls)."""
        with self._lock:
            self._changes.append(change)
            first = len(self._changes) == 1
        if first:
            self.ready_signal.emit()

    def take(self) -> list:
        """All items since the last call, oldest first (the feed is then empty)."""
        with self._lock:
            changes, self._changes = self._changes, []
        return changes
