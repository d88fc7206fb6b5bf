"""The History dock: every job in the journal (greyed), "Run again" where possible, refresh."""

from __future__ import annotations

import logging

from qtpy.QtCore import QPoint, Qt, Signal
from qtpy.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QMenu,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from labqueue.gui.journal.history_model import HistoryColumn, HistoryTableModel
from labqueue.journal import JobRecord
from labqueue.manager import Manager

__all__ = ["HistoryView"]

logger = logging.getLogger("labqueue")


class HistoryView(QWidget):
    """The journal's jobs (earlier sessions and this one's), newest first, loaded as you scroll; says why
    when there is no history."""

    #: A short text for the status bar (e.g. "Queued 2 jobs again").
    message_signal = Signal(str)

    def __init__(self, manager: Manager, parent: QWidget | None = None):
        super().__init__(parent)
        self.manager = manager
        self.model = HistoryTableModel(manager.history, self)
        self.notice = QLabel(self)
        self.notice.setObjectName("history_notice")
        self.notice.setWordWrap(True)
        self.notice.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.table = QTableView(self)
        self.table.setObjectName("history_table")
        self.table.setModel(self.model)
        self.table.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.table.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.table.setWordWrap(False)
        self.table.verticalHeader().setVisible(False)
        self.table.verticalHeader().setSectionResizeMode(QHeaderView.Fixed)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.setColumnWidth(HistoryColumn.STATUS, 90)
        self.table.setColumnWidth(HistoryColumn.CALL, 320)
        self.table.setColumnWidth(HistoryColumn.QUEUED, 150)
        self.table.setColumnWidth(HistoryColumn.STARTED, 150)
        self.table.setContextMenuPolicy(Qt.CustomContextMenu)
        self.table.customContextMenuRequested.connect(self._context_menu)
        self.run_again_button = QPushButton("Run again", self)
        self.run_again_button.setObjectName("history_run_again")
        self.run_again_button.setToolTip("Queue a copy of the selected jobs (only jobs whose function can be "
                                         "imported: not those defined in the console)")
        self.run_again_button.clicked.connect(self.run_selected_again)
        self.refresh_button = QPushButton("Refresh", self)
        self.refresh_button.setObjectName("history_refresh")
        self.refresh_button.clicked.connect(self.refresh)
        buttons = QHBoxLayout()
        buttons.addWidget(self.run_again_button)
        buttons.addStretch(1)
        buttons.addWidget(self.refresh_button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.notice)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.table.selectionModel().selectionChanged.connect(self._update_buttons)
        manager.history.failed_signal.connect(self.show_state, Qt.QueuedConnection)
        self.show_state()
        self._update_buttons()

    # ----------------------------------------------------------------- state
    def show_state(self, *_: object) -> None:
        """Show why there is no history (no journal, or a journal that cannot be used)."""
        history = self.manager.history
        if history.error:
            self.notice.setText(f"<b>History is not recorded.</b> {history.error}")
            self.notice.setStyleSheet("color: #b35900;")
            self.notice.show()
        elif history.path is None:
            self.notice.setText("No history journal: jobs are kept in memory only.")
            self.notice.setStyleSheet("")
            self.notice.show()
        else:
            self.notice.setText(f"Every job in the journal, newest first; Refresh shows the latest "
                                f"(journal: {history.path}).")
            self.notice.setStyleSheet("")
            self.notice.show()

    def refresh(self) -> None:
        self.model.refresh()

    def selected_records(self) -> list[JobRecord]:
        rows = sorted({index.row() for index in self.table.selectionModel().selectedRows()})
        return [self.model.record(r) for r in rows]

    def _update_buttons(self, *_: object) -> None:
        records = self.selected_records()
        self.run_again_button.setEnabled(bool(records) and all(r.can_requeue for r in records)
                                         and not self.manager.is_shut_down)

    # ----------------------------------------------------------------- actions
    def run_selected_again(self) -> None:
        """Queue copies of the selected jobs (all or none; the status bar says why not)."""
        records = self.selected_records()
        if not records:
            return
        try:
            exps = self.manager.history.requeue(records)
        except (ValueError, RuntimeError) as exc:
            self.message_signal.emit(str(exc))
            return
        self.message_signal.emit(f"Queued {len(exps)} job(s) again.")

    def _context_menu(self, pos: QPoint) -> None:
        index = self.table.indexAt(pos)
        if not index.isValid():
            return
        if not self.table.selectionModel().isRowSelected(index.row(), index.parent()):
            self.table.selectRow(index.row())
        menu = QMenu(self)
        action = menu.addAction("Run again")
        records = self.selected_records()
        action.setEnabled(self.run_again_button.isEnabled())
        if records and not all(r.can_requeue for r in records):
            bad = next(r for r in records if not r.can_requeue)
            action.setToolTip(f"{bad.call} cannot be run again: {bad.rebuild_error}")
            menu.setToolTipsVisible(True)
        action.triggered.connect(self.run_selected_again)
        menu.popup(self.table.viewport().mapToGlobal(pos))
