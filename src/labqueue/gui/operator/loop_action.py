"""The Loop toggle (toolbar and Queue menu): shows and switches ``manager.loop``."""

from __future__ import annotations

from qtpy.QtCore import QObject, Qt
from qtpy.QtWidgets import QAction, QWidget

from labqueue.gui.resources import icon
from labqueue.manager import Manager

__all__ = ["LoopAction"]


class LoopAction(QObject):
    """A checkable ``action`` that follows ``manager.loop``, also when a script switches it."""

    def __init__(self, manager: Manager, parent: QWidget):
        super().__init__(parent)
        self.manager = manager
        self.action = QAction(icon("loop"), "&Loop", parent)
        self.action.setObjectName("loop_action")
        self.action.setCheckable(True)
        self.action.toggled.connect(self._toggled)
        manager.loop_changed_signal.connect(self._show, Qt.QueuedConnection)
        self._show(manager.loop)

    def _toggled(self, on: bool) -> None:
        self.manager.loop = on
        self._show(on)

    def _show(self, _on: bool = False) -> None:
        on = self.manager.loop  # the state now, whatever order the signals came in
        if self.action.isChecked() != on:
            self.action.blockSignals(True)
            self.action.setChecked(on)
            self.action.blockSignals(False)
        self.action.setText("&Loop: on" if on else "&Loop")
        self.action.setToolTip("Loop is on: every job that finishes is queued again at the end. Click to stop."
                               if on else "Loop: queue every job that finishes again at the end "
                               "(failed and aborted ones are not repeated).")
