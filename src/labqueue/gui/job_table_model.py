"""The table model of all jobs: :class:`JobTableModel`, a live mirror of an ExperimentQueue.

The model keeps its own list of Experiment references. It is built from ``job_queue.queue`` once
and afterwards changed ONLY by the queue's signals, connected with ``Qt.QueuedConnection``: the
queue emits them while holding its lock, so they arrive here in exactly the order the changes
were made, and the indices they carry are valid when applied.

Actions (remove, reorder, drag and drop) never touch the mirror directly: they find the jobs by
identity through the queue's public edit methods (``remove_jobs``, ``move_jobs``); the resulting signals then
update the mirror.
"""

from __future__ import annotations

import collections
import enum
import json
import os
import time
import uuid
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from qtpy.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QObject, Qt, QTimer, Signal

from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue, contiguous_runs
from labqueue.gui.job_display_text import (
    clock_text,
    duration_text,
    progress_text,
    result_text,
    result_tooltip,
    timestamp_text,
)
from labqueue.gui.job_status_style import STATUS_COLORS, STATUS_LABELS, row_background, status_icon

__all__ = ["Column", "EXPERIMENT_ROLE", "JobTableModel", "MIME_TYPE", "NOT_REMOVABLE_TEXT", "dragged_job_count"]

#: Custom data role: ``model.data(index, EXPERIMENT_ROLE)`` is the row's Experiment.
EXPERIMENT_ROLE = int(Qt.UserRole) + 1
#: MIME type of dragged jobs (payload: source-queue token, then JSON with rows and job ids).
MIME_TYPE = "application/x-labqueue-jobs"
#: Why some rows cannot be removed or dragged (tooltip, status-bar message).
NOT_REMOVABLE_TEXT = "Running and finished jobs cannot be removed."

# Identifies this process in drag payloads, so a drop from another program is refused.
_PROCESS_TOKEN = f"{os.getpid()}-{uuid.uuid4().hex}"


class Column(enum.IntEnum):
    """The table's columns, in display order."""

    STATUS = 0
    CALL = 1
    QUEUED = 2
    STARTED = 3
    DURATION = 4
    RESULT = 5


_HEADERS = {
    Column.STATUS: "Status", Column.CALL: "Call", Column.QUEUED: "Queued", Column.STARTED: "Started",
    Column.DURATION: "Duration", Column.RESULT: "Result / Error",
}
_LAST_COLUMN = max(Column)
#: Seconds of queue changes applied per pass of the event loop (keeps the window responsive).
_SLICE_S = 0.008
_DISPLAY, _DECORATION, _TOOLTIP = int(Qt.DisplayRole), int(Qt.DecorationRole), int(Qt.ToolTipRole)
_BACKGROUND, _FOREGROUND, _ALIGNMENT = int(Qt.BackgroundRole), int(Qt.ForegroundRole), int(Qt.TextAlignmentRole)
_ANSWERED_ROLES = frozenset({_DISPLAY, _DECORATION, _TOOLTIP, _BACKGROUND, _FOREGROUND, _ALIGNMENT, EXPERIMENT_ROLE})
_RIGHT = int(Qt.AlignRight | Qt.AlignVCenter)
_LEFT = int(Qt.AlignLeft | Qt.AlignVCenter)
_ROW_FLAGS = Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemNeverHasChildren
_QUEUED_FLAGS = _ROW_FLAGS | Qt.ItemIsDragEnabled


class JobTableModel(QAbstractTableModel):
    """One row per job of ``job_queue`` (history, running, queued), updated live.

    Queued rows can be dragged (reorder inside the table, remove on a trash zone); running and
    finished rows stay. ``EXPERIMENT_ROLE`` / :meth:`experiment` give a row's Experiment.
    """

    #: The row of the job that started running (emitted once the row is in the model; a burst of
    #: starts within one pass of the event loop announces only the last).
    running_row_changed_signal = Signal(int)
    # Posted to ourselves when deferred work is waiting (see _flush_pending).
    _flush_requested_signal = Signal()

    def __init__(self, job_queue: ExperimentQueue, parent: QObject | None = None):
        super().__init__(parent)
        self._job_queue = job_queue
        self._token = f"{_PROCESS_TOKEN}-{id(job_queue):x}".encode()
        self._pending: list[Experiment] = []  # appended by the queue, not yet inserted as rows
        self._dirty: set[int] = set()  # rows whose status or progress changed, not yet repainted
        self._announce_running = False
        self._flush_posted = False
        self._running_row = -1
        self._result_cache: weakref.WeakKeyDictionary[Experiment, tuple[str, str]] = weakref.WeakKeyDictionary()
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self._refresh_running_row)
        self._flush_requested_signal.connect(self._on_flush_requested, Qt.QueuedConnection)
        # Snapshot and subscribe under the queue's lock: every change before the snapshot is in it,
        # every later change is in the feed, in the order the queue made them. The feed posts one
        # event per burst of changes (not one per change), so a stream of jobs cannot starve the
        # event loop of its timers and repaints.
        with job_queue.changed:
            self._rows: list[Experiment] = job_queue.queue
            if job_queue.running_job() is not None:
                self._running_row = job_queue.first_queued_index - 1
            self._feed = job_queue.change_feed()
            self._feed.ready_signal.connect(self._apply_changes, Qt.QueuedConnection)
        self._backlog: collections.deque[tuple] = collections.deque()  # taken from the feed, not applied yet
        self._continuation_pending = False
        self._handlers = {
            "inserted": self._on_inserted, "removed_range": self._on_removed_range,
            "status_changed": self._on_status_changed, "moved": self._on_moved, "progress": self._on_progress,
            "updated": self._on_updated,
        }
        if self._running_row >= 0:
            self._timer.start()

    # ----------------------------------------------------------------- reading
    @property
    def job_queue(self) -> ExperimentQueue:
        return self._job_queue

    def experiment(self, row: int) -> Experiment:
        """The Experiment shown in ``row`` (IndexError if there is no such row)."""
        if not 0 <= row < len(self._rows):
            raise IndexError(f"row {row} is out of range: the table has {len(self._rows)} row(s)")
        return self._rows[row]

    def experiments(self) -> list[Experiment]:
        """The Experiments of all rows, in row order (a copy)."""
        return list(self._rows)

    def row_of(self, exp: Experiment) -> int:
        """Row showing ``exp``, or -1 (searches from the end, where queued jobs are)."""
        for row in range(len(self._rows) - 1, -1, -1):
            if self._rows[row] is exp:
                return row
        return -1

    @property
    def running_row(self) -> int:
        """Row of the running job, or -1."""
        return self._running_row if self._running_row < len(self._rows) else -1

    # ----------------------------------------------------------------- Qt model API
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008 - Qt's signature
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(Column)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:
        if role != Qt.DisplayRole:
            return None
        if orientation == Qt.Horizontal:
            return _HEADERS[Column(section)] if 0 <= section < len(Column) else None
        return str(section + 1)

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        if not index.isValid():
            return Qt.ItemIsDropEnabled  # drops land between rows, never "on" a job
        if index.row() >= len(self._rows):
            return Qt.NoItemFlags
        exp = self._rows[index.row()]
        return _QUEUED_FLAGS if exp.status is ExpStatus.QUEUED else _ROW_FLAGS

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        # Qt calls this ~1,000 times per repaint (8 roles per visible cell): answer unused roles
        # before touching the index, and compare plain ints.
        if role not in _ANSWERED_ROLES:
            return None
        row = index.row()
        if row < 0 or row >= len(self._rows):  # row() is -1 for an invalid index
            return None
        exp = self._rows[row]
        if role == _DISPLAY:
            return self._display(exp, index.column())
        if role == EXPERIMENT_ROLE:
            return exp
        if role == _BACKGROUND:
            return row_background(exp.status)
        if role == _ALIGNMENT:
            return _RIGHT if index.column() == Column.DURATION else _LEFT
        if role == _DECORATION:
            return status_icon(exp.status) if index.column() == Column.STATUS else None
        if role == _FOREGROUND:
            if exp.status is ExpStatus.FAILED and index.column() == Column.RESULT:
                return STATUS_COLORS[ExpStatus.FAILED]
            return None
        return self._tooltip(exp, index.column())  # _TOOLTIP

    def _display(self, exp: Experiment, column: int) -> str:
        if column == Column.STATUS:
            text = STATUS_LABELS[exp.status]
            if exp.status is ExpStatus.RUNNING and exp.progress is not None:
                text += f" {exp.progress * 100:.0f} %"
            return text
        if column == Column.CALL:
            return exp.call_text
        if column == Column.QUEUED:
            return clock_text(exp.queued_at)
        if column == Column.STARTED:
            return clock_text(exp.started_at)
        if column == Column.DURATION:
            return duration_text(exp.duration)
        return self._result_texts(exp)[0]

    def _tooltip(self, exp: Experiment, column: int) -> str:
        status = exp.status
        if column == Column.STATUS:
            lines = [STATUS_LABELS[status]]
            if status is ExpStatus.RUNNING:
                if exp.progress is not None:
                    lines[0] += ": " + progress_text(exp)
                if exp.progress_message:
                    lines.append(exp.progress_message)
            if status is ExpStatus.QUEUED:
                lines.append("Drag to reorder; Delete or drop on the trash to remove.")
            else:
                lines.append(NOT_REMOVABLE_TEXT)
            return "\n".join(lines)
        if column == Column.CALL:
            text = exp.full_call_text()
            return text if len(text) <= 3000 else text[:2999] + "…"
        if column == Column.QUEUED:
            return timestamp_text(exp.queued_at)
        if column == Column.STARTED:
            return timestamp_text(exp.started_at)
        if column == Column.DURATION:
            return f"Finished {timestamp_text(exp.finished_at)}" if exp.finished_at else ""
        return self._result_texts(exp)[1]

    def _result_texts(self, exp: Experiment) -> tuple[str, str]:
        """(cell text, tooltip) of the result; cached once the job is done (a repr may be slow)."""
        cached = self._result_cache.get(exp)
        if cached is None:
            cached = (result_text(exp), result_tooltip(exp))
            if exp.done():
                self._result_cache[exp] = cached
        return cached

    # ----------------------------------------------------------------- mirroring the queue's signals
    # Work that need not happen at once is deferred to one flush per pass of the event loop: appended
    # jobs (one beginInsertRows for a burst), repaints of changed rows (one dataChanged per run of
    # adjacent rows) and the running-row announcement. Anything that shifts rows flushes first, so
    # deferred row numbers are always applied while still valid.
    def _request_flush(self) -> None:
        if not self._flush_posted:
            self._flush_posted = True
            self._flush_requested_signal.emit()

    def _on_flush_requested(self) -> None:
        self._flush_posted = False
        self._flush_pending()

    def _flush_pending(self) -> None:
        if self._pending:
            pending, self._pending = self._pending, []
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(pending) - 1)
            self._rows.extend(pending)
            self.endInsertRows()
        if self._dirty:
            for first, last in contiguous_runs(sorted(self._dirty)):
                self.dataChanged.emit(self.index(first, 0), self.index(last, _LAST_COLUMN))
            self._dirty.clear()
        if self._announce_running and 0 <= self._running_row < len(self._rows):
            self._announce_running = False
            self.running_row_changed_signal.emit(self._running_row)

    def _apply_changes(self) -> None:
        """Apply the queue's changes since the last batch, in order (``ChangeFeed``).

        At most ~``_SLICE_S`` of work per call: the rest waits for a zero timer, so timers,
        repaints and clicks get their turn while thousands of jobs stream through.
        """
        backlog = self._backlog
        backlog.extend(self._feed.take())
        handlers = self._handlers
        deadline = time.perf_counter() + _SLICE_S
        done = 0
        while backlog:
            kind, *args = backlog.popleft()
            handlers[kind](*args)
            done += 1
            if not done % 32 and backlog and time.perf_counter() > deadline:
                if not self._continuation_pending:
                    self._continuation_pending = True
                    QTimer.singleShot(0, self._continue_changes)
                return

    def _continue_changes(self) -> None:
        self._continuation_pending = False
        self._apply_changes()

    def _on_inserted(self, index: int, exp: Experiment) -> None:
        if index != len(self._rows) + len(self._pending):  # put() always appends; be exact anyway
            self._flush_pending()
            self.beginInsertRows(QModelIndex(), index, index)
            self._rows.insert(index, exp)
            self.endInsertRows()
            return
        self._pending.append(exp)
        self._request_flush()

    def _on_removed_range(self, first: int, last: int) -> None:
        self._flush_pending()
        self.beginRemoveRows(QModelIndex(), first, last)
        del self._rows[first:last + 1]
        self.endRemoveRows()

    def _on_status_changed(self, index: int, status: ExpStatus) -> None:
        # A row still pending needs no repaint: it shows its live status once inserted.
        if status is ExpStatus.RUNNING:
            self._running_row = index
            self._announce_running = True
            if not self._timer.isActive():
                self._timer.start()
        elif index == self._running_row:
            self._running_row = -1  # the timer stops itself at its next tick
            self._announce_running = False
        if index < len(self._rows):
            self._dirty.add(index)
        self._request_flush()

    def _on_moved(self, src: int, dst: int) -> None:
        self._flush_pending()
        destination = dst + 1 if dst > src else dst  # Qt counts the destination before the move
        if self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), destination):
            self._rows.insert(dst, self._rows.pop(src))
            self.endMoveRows()

    def _on_progress(self, index: int, fraction: float, message: str) -> None:
        if index < len(self._rows):
            self._dirty.add(index)
            self._request_flush()

    def _on_updated(self, index: int) -> None:
        """A queued job's arguments changed (``exp.update_arguments``): redraw its row."""
        if index < len(self._rows):
            self._dirty.add(index)
            self._request_flush()

    def _refresh_running_row(self) -> None:
        """Once a second: redraw the running row (live duration, time left)."""
        row = self._running_row
        if row < 0:
            self._timer.stop()
        elif row < len(self._rows):
            self.dataChanged.emit(self.index(row, Column.STATUS), self.index(row, Column.DURATION))

    # ----------------------------------------------------------------- actions on the queue
    def remove_experiments(self, experiments: Iterable[Experiment]) -> int:
        """Remove those of ``experiments`` that are still queued (found by identity); returns how many."""
        return self._job_queue.remove_jobs(experiments)

    def move_experiments(self, experiments: Sequence[Experiment], before: Experiment | None = None) -> bool:
        """Move the queued ones of ``experiments`` just before ``before`` (None: the end); see :func:`move_jobs`."""
        return self._job_queue.move_jobs(experiments, before)

    def move_to_top(self, experiments: Sequence[Experiment]) -> bool:
        """Move the queued ones of ``experiments`` to the front of the queued jobs (run next)."""
        return self._job_queue.move_jobs_to_top(experiments)

    def move_to_bottom(self, experiments: Sequence[Experiment]) -> bool:
        """Move the queued ones of ``experiments`` to the end of the queue (run last)."""
        return self._job_queue.move_jobs(experiments, None)

    def removeRows(self, row: int, count: int, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: B008
        """Remove ``count`` queued rows from ``row`` through the queue (the rows go when its signal arrives).

        Refused (False) if any of them is running or finished.
        """
        if parent.isValid() or count <= 0 or row < 0 or row + count > len(self._rows):
            return False
        exps = self._rows[row:row + count]
        if any(exp.status is not ExpStatus.QUEUED for exp in exps):
            return False
        return self.remove_experiments(exps) > 0

    # ----------------------------------------------------------------- drag and drop
    def supportedDragActions(self) -> Qt.DropActions:
        return Qt.MoveAction

    def supportedDropActions(self) -> Qt.DropActions:
        return Qt.MoveAction

    def mimeTypes(self) -> list[str]:
        return [MIME_TYPE]

    def mimeData(self, indexes: Iterable[QModelIndex]) -> QMimeData | None:
        """The queued rows among ``indexes`` as ``MIME_TYPE`` data; None if none is queued."""
        rows = sorted({i.row() for i in indexes if i.isValid() and i.row() < len(self._rows)})
        rows = [r for r in rows if self._rows[r].status is ExpStatus.QUEUED]
        if not rows:
            return None
        payload = {"rows": rows, "ids": [id(self._rows[r]) for r in rows]}
        mime = QMimeData()
        mime.setData(MIME_TYPE, self._token + b"\n" + json.dumps(payload).encode())
        return mime

    def is_own_drag(self, data: QMimeData | None) -> bool:
        """True if ``data`` carries jobs dragged from a view of this same queue (in this process)."""
        if data is None or not data.hasFormat(MIME_TYPE):
            return False
        return bytes(data.data(MIME_TYPE)).startswith(self._token + b"\n")

    def dragged_experiments(self, data: QMimeData) -> list[Experiment]:
        """The still-queued Experiments a drag of this queue carries, in their dragged order."""
        if not self.is_own_drag(data):
            return []
        ids = _payload_ids(data)
        queued = {}
        for exp in reversed(self._rows):  # queued jobs are the tail: stop at a running or finished one
            status = exp.status
            if status is ExpStatus.QUEUED:
                queued[id(exp)] = exp
            elif status is not ExpStatus.CANCELLED:  # a cancelled row is only waiting for its removal
                break
        return [queued[i] for i in ids if i in queued]

    def canDropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                        parent: QModelIndex) -> bool:
        return action == Qt.MoveAction and self.is_own_drag(data)

    def dropMimeData(self, data: QMimeData, action: Qt.DropAction, row: int, column: int,
                     parent: QModelIndex) -> bool:
        """Reorder: the dragged queued jobs go before ``row`` (the end if -1); other queues refused.

        The jobs are moved, not copied: the dragging view must not remove them afterwards, as
        Qt's default view does after a MoveAction (JobTableView reports IgnoreAction instead).
        """
        if action == Qt.IgnoreAction:
            return True
        if not self.canDropMimeData(data, action, row, column, parent):
            return False
        if row < 0:
            row = parent.row() if parent.isValid() else len(self._rows)
        before = self._rows[row] if row < len(self._rows) else None
        return self.move_experiments(self.dragged_experiments(data), before=before)


def dragged_job_count(data: QMimeData | None) -> int:
    """How many jobs a drag of ``MIME_TYPE`` carries (0 for anything else)."""
    if data is None or not data.hasFormat(MIME_TYPE):
        return 0
    return len(_payload_ids(data))


def _payload_ids(data: QMimeData) -> list[int]:
    """The job ids in a ``MIME_TYPE`` payload (after the token line); [] if malformed."""
    try:
        ids = json.loads(bytes(data.data(MIME_TYPE)).split(b"\n", 1)[1])["ids"]
    except (ValueError, KeyError, IndexError, TypeError):
        return []
    return [i for i in ids if isinstance(i, int)] if isinstance(ids, list) else []
