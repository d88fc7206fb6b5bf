"""The bar above the table: "N jobs did not finish last time" (Re-queue / Dismiss), or why history is off."""

from __future__ import annotations

import time

from qtpy.QtCore import Qt, Signal
from qtpy.QtWidgets import QFrame, QHBoxLayout, QLabel, QPushButton, QSizePolicy, QWidget

from labqueue.display_format import count_text
from labqueue.journal import JobRecord
from labqueue.manager import Manager

__all__ = ["UnfinishedBar"]

_STYLE = ("QFrame#unfinished_bar { background: palette(alternate-base); border: 1px solid #d9a400; "
          "border-radius: 3px; }")


class UnfinishedBar(QFrame):
    """Shown when earlier sessions left jobs unfinished (crash, kill, power cut), or history is unavailable."""

    #: A short text for the status bar.
    message_signal = Signal(str)
    #: Jobs were re-queued or dismissed (the history view may refresh).
    handled_signal = Signal()

    def __init__(self, manager: Manager, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("unfinished_bar")
        self.setStyleSheet(_STYLE)
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Maximum)
        self.manager = manager
        self.records: list[JobRecord] = []
        self.label = QLabel(self)
        self.label.setObjectName("unfinished_text")
        self.label.setWordWrap(True)
        self.requeue_button = QPushButton("Re-queue", self)
        self.requeue_button.setObjectName("unfinished_requeue")
        self.requeue_button.clicked.connect(self.requeue)
        self.dismiss_button = QPushButton("Dismiss", self)
        self.dismiss_button.setObjectName("unfinished_dismiss")
        self.dismiss_button.clicked.connect(self.dismiss)
        self.close_button = QPushButton("Close", self)
        self.close_button.setObjectName("unfinished_close")
        self.close_button.clicked.connect(self.hide)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label, 1)
        for button in (self.requeue_button, self.dismiss_button, self.close_button):
            layout.addWidget(button)
        manager.history.failed_signal.connect(self._history_failed, Qt.QueuedConnection)
        self.reload()

    def reload(self) -> None:
        """Look at the journal again and show what needs the operator (or hide)."""
        history = self.manager.history
        if history.error:
            self._show_error(history.error)
            return
        self.records = history.unfinished()
        if not self.records:
            self.hide()
            return
        n = len(self.records)
        started = min((r.queued_at for r in self.records if r.queued_at is not None), default=None)
        when = f" (queued {time.strftime('%Y-%m-%d %H:%M', time.localtime(started))})" if started else ""
        blocked = [r for r in self.records if not r.can_requeue]
        text = f"<b>{count_text(n, 'job')} did not finish last time</b>{when}."
        if blocked:
            text += (f" {count_text(len(blocked), 'job')} cannot be run again "
                     f"({blocked[0].call}: {blocked[0].rebuild_error}).")
        self.label.setText(text)
        self.label.setToolTip("\n".join(f"{r.status.name.lower()}: {r.call}" for r in self.records[:40]))
        self.requeue_button.setEnabled(len(blocked) < n)
        self.requeue_button.setToolTip(f"Queue the {count_text(n - len(blocked), 'job')} that can be run again "
                                       "at the end of the queue")
        self.requeue_button.show()
        self.dismiss_button.show()
        self.close_button.hide()
        self.show()

    def _show_error(self, error: str) -> None:
        self.records = []
        self.label.setText(f"<b>History is not recorded.</b> {error}")
        self.label.setToolTip(error)
        self.requeue_button.hide()
        self.dismiss_button.hide()
        self.close_button.show()
        self.show()

    def _history_failed(self, reason: str) -> None:
        self._show_error(reason)
        self.message_signal.emit("History is not recorded any more: " + reason)

    def requeue(self) -> None:
        """Queue again the unfinished jobs that can be rebuilt; the others stay listed."""
        can = [r for r in self.records if r.can_requeue]
        try:
            exps = self.manager.history.requeue(can)
        except (ValueError, RuntimeError) as exc:
            self.message_signal.emit(str(exc))
            return
        self.message_signal.emit(f"Re-queued {count_text(len(exps), 'job')} of the last session.")
        self.handled_signal.emit()
        self.reload()

    def dismiss(self) -> None:
        """Forget the unfinished jobs (they stay in the history)."""
        self.manager.history.dismiss(self.records)
        self.message_signal.emit(f"Dismissed {count_text(len(self.records), 'unfinished job')}.")
        self.handled_signal.emit()
        self.reload()
