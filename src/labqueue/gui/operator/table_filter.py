"""A filter over the job table: text (in the call) and status; Ctrl+F jumps to it.

It hides the rows that do not match instead of putting a proxy model between the table and its
model, so every row number the table, drag and drop and Delete use still names the same job. A
hidden row is never left selected: Delete, drag and the context menu act only on rows you see.
"""

from __future__ import annotations

from qtpy.QtCore import QItemSelection, QItemSelectionModel, Qt
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import QAction, QComboBox, QHBoxLayout, QLineEdit, QWidget

from labqueue.experiment import Experiment, ExpStatus
from labqueue.gui.job_status_style import STATUS_LABELS
from labqueue.gui.job_table_view import JobTableView

__all__ = ["TableFilter"]


class TableFilter(QWidget):
    """``text_edit`` and ``status_combo``; hides the non-matching rows of ``view``."""

    def __init__(self, view: JobTableView, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("table_filter")
        self.view = view
        self.text_edit = QLineEdit(self)
        self.text_edit.setObjectName("filter_text")
        self.text_edit.setPlaceholderText("Filter (Ctrl+F)")
        self.text_edit.setClearButtonEnabled(True)
        self.text_edit.setToolTip("Show only jobs whose call contains this text (not case-sensitive).")
        self.text_edit.setMaximumWidth(150)
        self.status_combo = QComboBox(self)
        self.status_combo.setObjectName("filter_status")
        self.status_combo.addItem("All jobs", None)
        for status in ExpStatus:
            self.status_combo.addItem(STATUS_LABELS[status], status)
        self.status_combo.setToolTip("Show only jobs with this status.")
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.text_edit)
        layout.addWidget(self.status_combo)
        focus = QAction(self)
        focus.setShortcut(QKeySequence.Find)
        focus.setShortcutContext(Qt.WindowShortcut)
        focus.triggered.connect(lambda: (self.text_edit.setFocus(), self.text_edit.selectAll()))
        self.addAction(focus)
        self._text = ""
        self._status: ExpStatus | None = None
        self._trimming = False
        self._any_hidden = False
        self.text_edit.textChanged.connect(self._changed)
        self.status_combo.currentIndexChanged.connect(self._changed)
        model = view.model()
        model.rowsInserted.connect(lambda _p, first, last: self._apply(first, last))
        model.dataChanged.connect(lambda tl, br, _roles=(): self._apply(tl.row(), br.row()))
        for signal in (model.rowsMoved, model.rowsRemoved, model.layoutChanged, model.modelReset):
            signal.connect(lambda *_a: self._apply())
        view.selectionModel().selectionChanged.connect(self._trim_selection)

    @property
    def active(self) -> bool:
        return bool(self._text) or self._status is not None

    def matches(self, exp: Experiment) -> bool:
        if self._status is not None and exp.status is not self._status:
            return False
        return not self._text or self._text in exp.call_text.lower()

    def set_filter(self, text: str = "", status: ExpStatus | None = None) -> None:
        """Set both parts from code (the widgets follow)."""
        self.text_edit.setText(text)
        self.status_combo.setCurrentIndex(max(self.status_combo.findData(status), 0))

    def _changed(self, *_args: object) -> None:
        was_active = self.active
        self._text = self.text_edit.text().strip().lower()
        self._status = self.status_combo.currentData()
        if self.active or was_active:
            self._apply()

    def _apply(self, first: int = 0, last: int | None = None) -> None:
        view, model = self.view, self.view.model()
        n = model.rowCount()
        last = n - 1 if last is None else min(last, n - 1)
        if not self.active:  # no cost at all while no filter is set (jobs may stream in by thousands)
            if self._any_hidden:
                self._any_hidden = False
                for row in range(n):
                    if view.isRowHidden(row):
                        view.setRowHidden(row, False)
            return
        for row in range(first, last + 1):
            hide = not self.matches(model.experiment(row))
            if view.isRowHidden(row) != hide:
                view.setRowHidden(row, hide)
                self._any_hidden = self._any_hidden or hide
        self._trim_selection()

    def _trim_selection(self, *_args: object) -> None:
        """Deselect hidden rows, so that commands act only on what the user sees."""
        if self._trimming or not self.active:
            return
        selection_model = self.view.selectionModel()
        hidden = QItemSelection()
        for index in selection_model.selectedRows():
            if self.view.isRowHidden(index.row()):
                hidden.select(index, index)
        if hidden.isEmpty():
            return
        self._trimming = True
        try:
            selection_model.select(hidden, QItemSelectionModel.Deselect | QItemSelectionModel.Rows)
        finally:
            self._trimming = False

    def visible_rows(self) -> list[int]:
        """Rows shown now (for tests and for "select all visible")."""
        return [r for r in range(self.view.model().rowCount()) if not self.view.isRowHidden(r)]


