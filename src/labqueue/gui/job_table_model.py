"""The table model of all jobs: :class:`JobTableModel`, the rows of the window's QueueMirror.

The model keeps its own list of Experiment references. It starts from the mirror's snapshot of
the queue and afterwards changes ONLY by the change records the mirror hands it, in the order the
queue made them, once per frame: so the indices the records carry are valid when applied.

Actions (remove, reorder, drag and drop) never touch the rows directly: they name the jobs
themselves to the queue's public edit methods (``remove_jobs``, ``move_jobs``); the resulting
records then update the rows.
"""

from __future__ import annotations

import enum
import json
import os
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from qtpy.QtCore import QAbstractTableModel, QMimeData, QModelIndex, QObject, Qt, Signal

from labqueue import queue_changes as qc
from labqueue.display_format import duration_text
from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue, contiguous_runs
from labqueue.gui.job_display_text import clock_text, progress_text, timestamp_text
from labqueue.gui.job_status_style import STATUS_COLORS, STATUS_LABELS, row_background, status_icon
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.gui.result_texts import PENDING, CellTexts

__all__ = ["Column", "EXPERIMENT_ROLE", "JobTableModel", "MIME_TYPE", "NOT_REMOVABLE_TEXT", "PAUSED_INSIDE_TEXT",
           "dragged_job_count"]

#: Custom data role: ``model.data(index, EXPERIMENT_ROLE)`` is the row's Experiment.
EXPERIMENT_ROLE = int(Qt.UserRole) + 1
#: MIME type of dragged jobs (payload: source-queue token, then JSON with the stable job ids).
MIME_TYPE = "application/x-labqueue-jobs"
#: Why some rows cannot be removed or dragged (tooltip, status-bar message).
NOT_REMOVABLE_TEXT = "Running and finished jobs cannot be removed."
#: Status text of a running job that waits at a checkpoint (Pause > Inside this job).
PAUSED_INSIDE_TEXT = "Paused inside"

#: A drag of 100,000 jobs is ~3 MB; anything bigger is not ours.
_MAX_PAYLOAD_BYTES = 16_000_000
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
_NO_TEXTS = CellTexts("", "")
_PENDING_TEXTS = CellTexts(PENDING, "The result's text is being made…")
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

    def __init__(self, source: ExperimentQueue | QueueMirror, parent: QObject | None = None):
        super().__init__(parent)
        # The window passes its QueueMirror (its one subscription); a model made for a bare queue
        # (tests, a second view) follows one of its own.
        mirror = source if isinstance(source, QueueMirror) else QueueMirror(source, self)
        self._mirror = mirror
        self._job_queue = mirror.job_queue
        self._token = f"{_PROCESS_TOKEN}-{id(self._job_queue):x}".encode()
        self._pending: list[Experiment] = []  # appended by the queue, not yet inserted as rows
        self._dirty: set[int] = set()  # rows whose status or progress changed, not yet repainted
        self._announce_running = False
        self._rows: list[Experiment] = mirror.take_initial_rows(self)
        self._running_row = mirror.initial_running_row
        mirror.tick_signal.connect(self._refresh_running_row)
        mirror.result_texts.ready_signal.connect(self._refresh_results)

    @property
    def mirror(self) -> QueueMirror:
        """The QueueMirror the rows follow."""
        return self._mirror

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

    # ----------------------------------------------------------------- paused inside a job (operator features)
    #: The running job that waits at a checkpoint (``manager.checkpoint_signal``), shown as such.
    paused_inside_job: Experiment | None = None

    def set_paused_inside_job(self, exp: Experiment | None) -> None:
        """Show ``exp`` as waiting at a checkpoint (None: no job waits); redraws the rows concerned."""
        old, self.paused_inside_job = self.paused_inside_job, exp
        for job in {old, exp} - {None}:
            row = self._running_row if 0 <= self._running_row < len(self._rows) else -1
            if row < 0 or self._rows[row] is not job:
                row = next((r for r in range(len(self._rows) - 1, -1, -1) if self._rows[r] is job), -1)
            if row >= 0:
                self.dataChanged.emit(self.index(row, Column.STATUS), self.index(row, Column.STATUS))

    def _display(self, exp: Experiment, column: int) -> str:
        if column == Column.STATUS:
            if exp is self.paused_inside_job and exp.status is ExpStatus.RUNNING:
                return PAUSED_INSIDE_TEXT
            text = STATUS_LABELS[exp.status]
            if exp.status is ExpStatus.RUNNING:
                fraction = self._progress_of(exp)[0]
                if fraction is not None:
                    text += f" {fraction * 100:.0f} %"
            return text
        if column == Column.CALL:
            return exp.call_text
        if column == Column.QUEUED:
            return clock_text(exp.queued_at)
        if column == Column.STARTED:
            return clock_text(exp.started_at)
        if column == Column.DURATION:
            return duration_text(self._mirror.elapsed(exp))
        return self._result_texts(exp).cell

    def _progress_of(self, exp: Experiment) -> tuple[float | None, str]:
        """What the status bar shows too: the progress the mirror applied, for the running job."""
        mirror = self._mirror
        return mirror.progress if exp is mirror.running_job else (exp.progress, exp.progress_message)

    def _tooltip(self, exp: Experiment, column: int) -> str:
        status = exp.status
        if column == Column.STATUS:
            lines = [STATUS_LABELS[status]]
            if exp is self.paused_inside_job and status is ExpStatus.RUNNING:
                lines.append("Paused inside the job, at a checkpoint: Resume lets it go on, Abort stops it.")
            if status is ExpStatus.RUNNING:
                fraction, message = self._progress_of(exp)
                if fraction is not None:
                    lines[0] += ": " + progress_text(fraction, self._mirror.elapsed(exp))
                if message:
                    lines.append(message)
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
        return self._result_texts(exp).tooltip

    def _result_texts(self, exp: Experiment) -> CellTexts:
        """(cell text, tooltip) of a done job's result; made off the GUI thread when user code is involved."""
        if not exp.done():
            return _NO_TEXTS
        texts = self._mirror.result_texts.cell(exp)
        return _PENDING_TEXTS if texts is None else texts

    def progress_text(self, exp: Experiment) -> str:
        """``42 % · 1 min 20 s left`` for the running job (the progress bar's text), else empty."""
        fraction = self._progress_of(exp)[0]
        return "" if fraction is None else progress_text(fraction, self._mirror.elapsed(exp))

    def progress_fraction(self, exp: Experiment) -> float | None:
        """The progress (0..1) the view draws for ``exp``, or None."""
        return self._progress_of(exp)[0]

    # ----------------------------------------------------------------- following the mirror
    # The mirror hands over the records of one frame in order, then calls end_slice. Appended jobs
    # (one beginInsertRows for a burst), repaints of changed rows (one dataChanged per run of
    # adjacent rows) and the running-row announcement wait for end_slice; anything that shifts
    # rows flushes first, so deferred row numbers are always applied while still valid.
    def apply_record(self, record: qc.Change) -> None:
        """Apply one record of the queue's change stream (called by the QueueMirror, in order)."""
        kind = type(record)
        if kind is qc.StatusChanged:
            self._on_status_changed(record.index, record.status)
        elif kind is qc.Inserted:
            self._on_inserted(record.index, record.job)
        elif kind is qc.Progress or kind is qc.JobUpdated:
            if record.index < len(self._rows):
                self._dirty.add(record.index)
        elif kind is qc.RemovedRange or kind is qc.HistoryTrimmed:
            self._on_removed_range(record.first, record.last)
        elif kind is qc.Moved:
            self._on_moved(record.src, record.dst)

    def end_slice(self) -> None:
        """The mirror's frame ends: insert the appended rows, repaint changed ones, announce the running row."""
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

    def _on_inserted(self, index: int, exp: Experiment) -> None:
        if index != len(self._rows) + len(self._pending):  # put() always appends; be exact anyway
            self.end_slice()
            self.beginInsertRows(QModelIndex(), index, index)
            self._rows.insert(index, exp)
            self.endInsertRows()
            if 0 <= self._running_row and index <= self._running_row:
                self._running_row += 1
            return
        self._pending.append(exp)

    def _on_removed_range(self, first: int, last: int) -> None:
        self.end_slice()
        self.beginRemoveRows(QModelIndex(), first, last)
        del self._rows[first:last + 1]
        self.endRemoveRows()
        if self._running_row > last:  # history trimmed above the running job
            self._running_row -= last - first + 1
        elif self._running_row >= first:
            self._running_row = -1

    def _on_status_changed(self, index: int, status: ExpStatus) -> None:
        # A row still pending needs no repaint: it shows its live status once inserted.
        if status is ExpStatus.RUNNING:
            self._running_row = index
            self._announce_running = True
        elif index == self._running_row:
            self._running_row = -1
            self._announce_running = False
        if index < len(self._rows):
            self._dirty.add(index)

    def _on_moved(self, src: int, dst: int) -> None:
        self.end_slice()
        destination = dst + 1 if dst > src else dst  # Qt counts the destination before the move
        if self.beginMoveRows(QModelIndex(), src, src, QModelIndex(), destination):
            self._rows.insert(dst, self._rows.pop(src))
            self.endMoveRows()

    def _refresh_running_row(self) -> None:
        """Once a second (the mirror's tick): redraw the running row (live duration, time left)."""
        row = self._running_row
        if 0 <= row < len(self._rows):
            self.dataChanged.emit(self.index(row, Column.STATUS), self.index(row, Column.DURATION))

    def _refresh_results(self) -> None:
        """Result texts arrived from the helper thread: repaint the Result column (visible cells only cost)."""
        if self._rows:
            self.dataChanged.emit(self.index(0, Column.RESULT), self.index(len(self._rows) - 1, Column.RESULT))

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
        payload = {"ids": [self._rows[r].job_id for r in rows]}
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
                queued[exp.job_id] = exp
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


def _payload_ids(data: QMimeData) -> list[str]:
    """The job ids (``Experiment.job_id``) in a ``MIME_TYPE`` payload (after the token line); [] if malformed."""
    raw = bytes(data.data(MIME_TYPE)).split(b"\n", 1)
    if len(raw) != 2 or len(raw[1]) > _MAX_PAYLOAD_BYTES:
        return []
    try:
        ids = json.loads(raw[1])["ids"]
    except (ValueError, KeyError, IndexError, TypeError, RecursionError):  # e.g. [[[[... a million deep
        return []
    return [i for i in ids if isinstance(i, str)] if isinstance(ids, list) else []
