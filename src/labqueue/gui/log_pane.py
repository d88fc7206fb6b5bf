"""The message log pane: :class:`LogPane` shows labqueue's and jobs' log records as they come.

Job started / finished / failed / aborted, queue paused / resumed, and whatever a job logs, with
time, level and message; a level filter hides the chatter; warnings and errors are highlighted.
Records reach the pane through :class:`~labqueue.gui.log_signal_handler.LogSignalHandler`, which is
attached while the pane exists and removed by :meth:`LogPane.shutdown` (or when it is closed).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from qtpy.QtCore import QAbstractTableModel, QModelIndex, QObject, Qt, QTimer
from qtpy.QtGui import QColor, QFont
from qtpy.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labqueue.gui.log_signal_handler import LogEntry, LogSignalHandler

__all__ = ["LogPane", "LogEntryModel", "LEVEL_CHOICES"]

#: The level filter's choices: label → lowest level shown.
LEVEL_CHOICES = {"Debug": logging.DEBUG, "Info": logging.INFO, "Warning": logging.WARNING, "Error": logging.ERROR}

_WARNING_BACKGROUND = QColor(255, 170, 0, 70)
_ERROR_BACKGROUND = QColor(230, 40, 40, 90)


class LogEntryModel(QAbstractTableModel):
    """The last ``max_entries`` LogEntry objects, oldest first: time, level, message.

    Rows are the entries at or above :attr:`min_level` (the pane's "Show:" filter). The model
    filters itself: a filter proxy would call Python once per inserted row, and a flood of job
    records inserts thousands of rows a second.
    """

    COLUMNS = ("Time", "Level", "Message")

    def __init__(self, max_entries: int = 5000, parent: QObject | None = None):
        super().__init__(parent)
        self.max_entries = max_entries
        self.min_level = logging.NOTSET
        self._entries: list[LogEntry] = []  # every kept entry
        self._shown: list[LogEntry] = []  # those at or above min_level: the rows

    def entries(self) -> list[LogEntry]:
        """Every kept entry, shown or filtered out, oldest first."""
        return list(self._entries)

    def append(self, entry: LogEntry) -> None:
        """Add an entry at the end; drops the oldest ones beyond ``max_entries``."""
        self.extend([entry])

    def extend(self, entries: list[LogEntry]) -> None:
        """Add entries at the end in one insertion; drops the oldest beyond ``max_entries``."""
        entries = entries[-self.max_entries:]
        if not entries:
            return
        excess = len(self._entries) + len(entries) - self.max_entries
        if excess > 0:
            drop = min(len(self._entries), max(excess, self.max_entries // 10))  # in batches, not per record
            level = self.min_level
            hidden_rows = sum(1 for entry in self._entries[:drop] if entry.levelno >= level)
            del self._entries[:drop]
            if hidden_rows:
                self.beginRemoveRows(QModelIndex(), 0, hidden_rows - 1)
                del self._shown[:hidden_rows]
                self.endRemoveRows()
        self._entries.extend(entries)
        level = self.min_level
        shown = [entry for entry in entries if entry.levelno >= level]
        if shown:
            row = len(self._shown)
            self.beginInsertRows(QModelIndex(), row, row + len(shown) - 1)
            self._shown.extend(shown)
            self.endInsertRows()

    def set_min_level(self, level: int) -> None:
        """Show only the entries at or above ``level``."""
        self.beginResetModel()
        self.min_level = level
        self._shown = [entry for entry in self._entries if entry.levelno >= level]
        self.endResetModel()

    def clear(self) -> None:
        self.beginResetModel()
        self._entries.clear()
        self._shown.clear()
        self.endResetModel()

    def entry(self, row: int) -> LogEntry:
        """The entry shown in ``row``."""
        return self._shown[row]

    # ----------------------------------------------------------------- Qt model interface
    def rowCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self._shown)

    def columnCount(self, parent: QModelIndex = QModelIndex()) -> int:  # noqa: N802, B008 - Qt API
        return 0 if parent.isValid() else len(self.COLUMNS)

    def headerData(self, section: int, orientation: Qt.Orientation, role: int = Qt.DisplayRole) -> Any:  # noqa: N802
        if orientation == Qt.Horizontal and role == Qt.DisplayRole and 0 <= section < len(self.COLUMNS):
            return self.COLUMNS[section]
        return None

    def data(self, index: QModelIndex, role: int = Qt.DisplayRole) -> Any:
        if not index.isValid() or not 0 <= index.row() < len(self._shown):
            return None
        entry = self._shown[index.row()]
        column = index.column()
        if role == Qt.DisplayRole:
            if column == 0:
                return time.strftime("%H:%M:%S", time.localtime(entry.created))
            if column == 1:
                return entry.levelname
            first_line = entry.message.splitlines()[0] if entry.message else ""
            return first_line + (" […]" if entry.details or "\n" in entry.message else "")
        if role == Qt.ToolTipRole:
            stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(entry.created))
            text = f"{stamp}  {entry.levelname}  {entry.logger_name}\n{entry.message}"
            return text + (f"\n\n{entry.details}" if entry.details else "")
        if role == Qt.BackgroundRole:
            if entry.levelno >= logging.ERROR:
                return _ERROR_BACKGROUND
            if entry.levelno >= logging.WARNING:
                return _WARNING_BACKGROUND
            return None
        if role == Qt.FontRole and entry.levelno >= logging.ERROR:
            font = QFont()
            font.setBold(True)
            return font
        if role == Qt.UserRole:
            return entry
        return None


class LogPane(QWidget):
    """Time-stamped log of the queue and its jobs, with a level filter.

    ``manager`` (optional) lets records that jobs log with their own loggers show too.
    """

    #: Milliseconds between two takes of records while they stream in.
    FRAME_MS = 100

    def __init__(self, manager: Any = None, parent: QWidget | None = None, max_entries: int = 5000):
        super().__init__(parent)
        self.model = LogEntryModel(max_entries, self)
        self.model.set_min_level(logging.INFO)

        self.level_combo = QComboBox(self)
        self.level_combo.addItems(list(LEVEL_CHOICES))
        self.level_combo.setCurrentText("Info")
        self.level_combo.setToolTip("Show messages of this level and above")
        self.level_combo.currentTextChanged.connect(self._level_chosen)
        self.clear_button = QPushButton("Clear", self)
        self.clear_button.setToolTip("Remove all messages from this pane (log files keep them)")
        self.clear_button.clicked.connect(self.model.clear)

        self.view = QTableView(self)
        self.view.setModel(self.model)
        self.view.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.view.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.view.setWordWrap(False)
        self.view.verticalHeader().hide()
        self.view.verticalHeader().setDefaultSectionSize(self.view.fontMetrics().height() + 4)
        header = self.view.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeToContents)
        header.setStretchLastSection(True)

        bar = QHBoxLayout()
        bar.addWidget(QLabel("Show:", self))
        bar.addWidget(self.level_combo)
        bar.addStretch(1)
        bar.addWidget(self.clear_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(2, 2, 2, 2)
        layout.addLayout(bar)
        layout.addWidget(self.view)

        self.handler = LogSignalHandler(manager.notifications if manager is not None else None, self)
        # Queued always, also for records logged on this thread: entries stay in logging order.
        self.handler.entries_ready_signal.connect(self._on_entries_ready, Qt.QueuedConnection)
        # While records stream in, the pane takes them at most every FRAME_MS: each take inserts
        # rows and repaints the pane, and a flood of job records must not repaint it per record.
        self._frame = QTimer(self)
        self._frame.setInterval(self.FRAME_MS)
        self._frame.timeout.connect(self._on_frame)
        self.handler.attach()

    def visible_entries(self) -> list[LogEntry]:
        """The entries the filter lets through, top to bottom."""
        return [self.model.entry(row) for row in range(self.model.rowCount())]

    def _level_chosen(self, label: str) -> None:
        self.model.set_min_level(LEVEL_CHOICES.get(label, logging.INFO))

    def _on_entries_ready(self) -> None:
        if self._frame.isActive():
            return  # the running frame timer takes them
        self._add_entries()  # the first record after a quiet spell shows at once
        self._frame.start()

    def _on_frame(self) -> None:
        if not self._add_entries():
            self._frame.stop()

    def _add_entries(self) -> bool:
        """Show the records that arrived; False if there were none."""
        entries = self.handler.take_entries()
        if not entries:
            return False
        bar = self.view.verticalScrollBar()
        at_bottom = bar.value() >= bar.maximum() - 2
        self.model.extend(entries)
        if at_bottom:
            self.view.scrollToBottom()
        return True

    def shutdown(self) -> None:
        """Stop receiving records (removes the logging handlers)."""
        self._frame.stop()
        self.handler.detach()

    def closeEvent(self, event: Any) -> None:  # noqa: N802 - Qt override
        self.shutdown()
        super().closeEvent(event)
