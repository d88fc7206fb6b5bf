"""The jobs in the journal (earlier sessions, and this one's as written) as a read-only table, loaded a
page at a time: :class:`HistoryTableModel`.

The journal may hold hundreds of thousands of jobs; the model asks it for one page (newest first)
when the view needs rows (``canFetchMore`` / ``fetchMore``), so opening the window costs one small
query whatever the journal's size.
"""

from __future__ import annotations

import enum
from typing import Any

from qtpy.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt
from qtpy.QtGui import QColor, QPalette
from qtpy.QtWidgets import QApplication

from labqueue.display_format import duration_text
from labqueue.gui.job_display_text import timestamp_text
from labqueue.gui.job_status_style import status_icon
from labqueue.journal import History, JobRecord

__all__ = ["HistoryColumn", "HistoryTableModel", "PAGE_SIZE", "RECORD_ROLE"]

#: Rows fetched from the journal per page.
PAGE_SIZE = 500
#: ``model.data(index, RECORD_ROLE)`` is the row's JobRecord.
RECORD_ROLE = int(Qt.UserRole) + 11


class HistoryColumn(enum.IntEnum):
    STATUS = 0
    CALL = 1
    QUEUED = 2
    STARTED = 3
    DURATION = 4
    RESULT = 5


_HEADERS = ("Status", "Call", "Queued", "Started", "Duration", "Result / Error")


def _result_text(rec: JobRecord) -> str:
    if rec.error:
        lines = [line for line in rec.error.strip().splitlines() if line.strip()]
        return lines[-1] if lines else "failed"
    return rec.result or ""


class HistoryTableModel(QAbstractTableModel):
    """Jobs in the journal, newest first, greyed; rows arrive page by page as the view scrolls.

    A snapshot: :meth:`refresh` reads the journal again (this session's jobs change while it runs).
    """

    def __init__(self, history: History, parent: QObject | None = None):
        super().__init__(parent)
        self._history = history
        self._rows: list[JobRecord] = []
        self._exhausted = history.path is None
        self._resetting = False
        app = QApplication.instance()
        self._grey = app.palette().color(QPalette.Disabled, QPalette.Text) if app is not None else QColor("gray")

    @property
    def history(self) -> History:
        return self._history

    def record(self, row: int) -> JobRecord:
        return self._rows[row]

    def refresh(self) -> None:
        """Forget the loaded rows and start again from the newest (e.g. after a re-queue or dismiss)."""
        self._history.flush(1.0)  # this session's latest changes too
        self.beginResetModel()
        self._exhausted = self._history.path is None
        # The first page comes with the reset, and nothing more is fetched while the reset is being
        # announced: rows inserted inside the reset would break it for its other listeners (Qt 6's
        # model tester calls fetchMore then); a view fetches the next page when it scrolls there.
        self._rows = self._read_page(None)
        self._resetting = True
        try:
            self.endResetModel()
        finally:
            self._resetting = False

    # ----------------------------------------------------------------- lazy loading
    def canFetchMore(self, parent: QModelIndex = QModelIndex()) -> bool:  # noqa: N802, B008 - Qt's API
        return not parent.isValid() and not self._exhausted and not self._resetting

    def fetchMore(self, parent: QModelIndex = QModelIndex()) -> None:  # noqa: N802, B008 - Qt's API
        if not self.canFetchMore(parent):  # Qt's model tester calls fetchMore without asking
            return
        page = self._read_page(self._rows[-1].seq if self._rows else None)
        if page:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
            self._rows += page
            self.endInsertRows()

    def _read_page(self, before: int | None) -> list[JobRecord]:
        """The next page of records older than ``before``; marks the journal exhausted at its end."""
        if self._exhausted:
            return []
        try:
            page = self._history.page(before, PAGE_SIZE)
        except Exception:  # noqa: BLE001 - a damaged journal must not break the window
            page = []
        if len(page) < PAGE_SIZE:
            self._exhausted = True
        return page

    # ----------------------------------------------------------------- Qt model API
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt's API
        return 0 if parent.isValid() else len(_HEADERS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole and 0 <= section < len(_HEADERS):
            return _HEADERS[section]
        return None

    def flags(self, index: QModelIndex) -> Qt.ItemFlags:
        if not index.isValid():
            return Qt.NoItemFlags
        return Qt.ItemIsEnabled | Qt.ItemIsSelectable | Qt.ItemNeverHasChildren

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._rows):
            return None
        rec = self._rows[index.row()]
        col = index.column()
        if role == RECORD_ROLE:
            return rec
        if role == Qt.DisplayRole:
            return self._display(rec, col)
        if role == Qt.DecorationRole and col == HistoryColumn.STATUS:
            return status_icon(rec.status)
        if role == Qt.ForegroundRole:
            return self._grey
        if role == Qt.ToolTipRole:
            return self._tooltip(rec, col)
        return None

    @staticmethod
    def _display(rec: JobRecord, col: int) -> str:
        if col == HistoryColumn.STATUS:
            return rec.status.name.lower()
        if col == HistoryColumn.CALL:
            return rec.call
        if col == HistoryColumn.QUEUED:
            return timestamp_text(rec.queued_at)
        if col == HistoryColumn.STARTED:
            return timestamp_text(rec.started_at)
        if col == HistoryColumn.DURATION:
            if rec.started_at is None or rec.finished_at is None:
                return ""
            return duration_text(rec.finished_at - rec.started_at)
        return _result_text(rec)

    @staticmethod
    def _tooltip(rec: JobRecord, col: int) -> str:
        if col == HistoryColumn.RESULT and rec.error:
            return rec.error
        if col == HistoryColumn.RESULT and rec.result:
            return rec.result
        why = "" if rec.can_requeue else f"\nCannot be run again: {rec.rebuild_error}"
        return f"{rec.call}\n{rec.func} · session {rec.session_id[:8]}{why}"
