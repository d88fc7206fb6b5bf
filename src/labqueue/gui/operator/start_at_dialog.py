"""Queue → "Start at…": pause now and start the queue at a chosen time (``resume_worker(at=...)``)."""

from __future__ import annotations

import datetime as dt

from qtpy.QtCore import QDateTime, QObject, Qt, Signal
from qtpy.QtWidgets import (
    QAction,
    QDateTimeEdit,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QVBoxLayout,
    QWidget,
)

from labqueue.gui.operator.eta_status import span_text
from labqueue.gui.resources import icon
from labqueue.manager import Manager

__all__ = ["StartAtDialog", "StartAtActions"]


def _default_start(now: dt.datetime) -> dt.datetime:
    """The next full hour, at least 30 minutes away."""
    start = (now + dt.timedelta(minutes=30)).replace(minute=0, second=0, microsecond=0)
    return start + dt.timedelta(hours=1)


class StartAtDialog(QDialog):
    """Asks for a date and time; OK pauses the queue now and resumes it then."""

    def __init__(self, manager: Manager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("start_at_dialog")
        self.setWindowTitle("Start the queue at…")
        self.manager = manager
        now = dt.datetime.now()
        initial = manager.resume_at or _default_start(now)
        self.edit = QDateTimeEdit(QDateTime(initial), self)
        self.edit.setObjectName("start_at_edit")
        self.edit.setDisplayFormat("yyyy-MM-dd HH:mm")
        self.edit.setCalendarPopup(True)
        self.hint = QLabel(self)
        self.hint.setObjectName("start_at_hint")
        self.error = QLabel(self)
        self.error.setObjectName("start_at_error")
        self.error.setStyleSheet("color: #c9302c;")
        self.error.hide()
        buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        buttons.button(QDialogButtonBox.Ok).setText("Start then")
        buttons.accepted.connect(self.accept)
        buttons.rejected.connect(self.reject)
        self.buttons = buttons
        layout = QVBoxLayout(self)
        intro = QLabel("The queue pauses now (the running job finishes) and starts at:", self)
        layout.addWidget(intro)
        layout.addWidget(self.edit)
        layout.addWidget(self.hint)
        layout.addWidget(self.error)
        layout.addWidget(buttons)
        self.edit.dateTimeChanged.connect(self._update_hint)
        self._update_hint()

    def chosen(self) -> dt.datetime:
        return self.edit.dateTime().toPyDateTime().replace(second=0, microsecond=0)

    def _update_hint(self) -> None:
        seconds = (self.chosen() - dt.datetime.now()).total_seconds()
        self.hint.setText(f"in {span_text(seconds)}" if seconds > 0 else "That time has passed.")

    def accept(self) -> None:
        when = self.chosen()
        if when <= dt.datetime.now():
            self.error.setText("Choose a time in the future (or press Resume to start now).")
            self.error.show()
            return
        self.manager.resume_worker(at=when)
        super().accept()


class StartAtActions(QObject):
    """``start_at_action`` (opens the dialog) and ``cancel_action`` (drops a pending timed start)."""

    message_signal = Signal(str)

    def __init__(self, manager: Manager, parent: QWidget):
        super().__init__(parent)
        self.manager = manager
        self._parent = parent
        self.dialog: StartAtDialog | None = None
        self.start_at_action = QAction(icon("start-at"), "&Start at…", parent)
        self.start_at_action.setObjectName("start_at_action")
        self.start_at_action.setToolTip("Pause now and start the queue at a time you choose.")
        self.start_at_action.triggered.connect(self.open_dialog)
        self.cancel_action = QAction("Cancel timed start", parent)
        self.cancel_action.setObjectName("cancel_start_at_action")
        self.cancel_action.setToolTip("Keep the queue paused and forget the start time.")
        self.cancel_action.triggered.connect(self.cancel)
        manager.resume_at_changed_signal.connect(self._refresh, Qt.QueuedConnection)
        self._refresh()

    def open_dialog(self) -> None:
        dialog = StartAtDialog(self.manager, self._parent)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.accepted.connect(self._started)
        dialog.finished.connect(lambda _r: setattr(self, "dialog", None))
        self.dialog = dialog
        dialog.open()

    def _started(self) -> None:
        at = self.manager.resume_at
        if at is not None:
            self.message_signal.emit(f"The queue starts at {at:%H:%M} (press Resume to start now).")
        self._refresh()

    def cancel(self) -> None:
        if self.manager.resume_at is not None:
            self.manager.pause_worker()
            self.message_signal.emit("Timed start cancelled; the queue stays paused.")
        self._refresh()

    def _refresh(self, *_args: object) -> None:
        self.cancel_action.setEnabled(self.manager.resume_at is not None)
