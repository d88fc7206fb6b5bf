"""The window's status bar: the running job and its elapsed time, job counts, and a visible "Paused"."""

from __future__ import annotations

from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QLabel, QStatusBar, QWidget

from labqueue.gui.queue_watcher import QueueWatcher
from labqueue.manager import ExpStatus

__all__ = ["QueueStatusBar", "format_elapsed", "MESSAGE_MS"]

#: How long a message (e.g. "Cleared 3 queued job(s).") stays in the status bar.
MESSAGE_MS = 5000

_PAUSED_STYLE = "QLabel { background: #e08a1e; color: white; font-weight: bold; padding: 1px 8px; }"
_STOPPING_STYLE = "QLabel { background: #c9302c; color: white; font-weight: bold; padding: 1px 8px; }"


def format_elapsed(seconds: float | None) -> str:
    """``75.3`` → ``"1:15"``, ``3725`` → ``"1:02:05"``."""
    total = int(seconds or 0)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class QueueStatusBar(QStatusBar):
    """Left: the running job ("Running: sweep(…) 1:15, 40 %"); right: counts and the queue state."""

    def __init__(self, watcher: QueueWatcher, parent: QWidget | None = None):
        super().__init__(parent)
        self.watcher = watcher
        self.job_label = QLabel(self)
        self.job_label.setObjectName("job_label")
        self.counts_label = QLabel(self)
        self.counts_label.setObjectName("counts_label")
        self.state_label = QLabel(self)
        self.state_label.setObjectName("state_label")
        self.addWidget(self.job_label, 1)
        self.addPermanentWidget(self.counts_label)
        self.addPermanentWidget(self.state_label)
        self._stopping_text: str | None = None
        self._tooltip_job = None
        # The elapsed time of the running job ticks once a second (GUI thread only).
        self.clock = QTimer(self)
        self.clock.setInterval(1000)
        self.clock.timeout.connect(self._update_job)
        watcher.changed_signal.connect(self.refresh)
        self.refresh()

    def show_message(self, text: str) -> None:
        """Show ``text`` for :data:`MESSAGE_MS` milliseconds."""
        self.showMessage(text, MESSAGE_MS)

    def set_stopping(self, text: str) -> None:
        """Show that the window is shutting down (e.g. waiting for an aborted job)."""
        self._stopping_text = text
        self.refresh()

    def refresh(self) -> None:
        """Redraw every label from the queue as it is now."""
        self._update_job()
        w = self.watcher
        parts = [f"{w.queued} queued", f"{w.count(ExpStatus.FINISHED)} finished",
                 f"{w.count(ExpStatus.FAILED)} failed", f"{w.count(ExpStatus.ABORTED)} aborted"]
        self.counts_label.setText(" · ".join(parts))
        if self._stopping_text is not None:
            self.state_label.setText(self._stopping_text)
            self.state_label.setStyleSheet(_STOPPING_STYLE)
            self.state_label.setToolTip("")
        elif w.paused:
            self.state_label.setText("Paused")
            self.state_label.setStyleSheet(_PAUSED_STYLE)
            self.state_label.setToolTip("No new job starts until you press Resume.")
        else:
            self.state_label.setText("Running" if w.running_job is not None else "Idle")
            self.state_label.setStyleSheet("QLabel { padding: 1px 8px; }")
            self.state_label.setToolTip("Queued jobs start one after another.")

    def _update_job(self) -> None:
        job = self.watcher.running_job
        if job is None:
            self.clock.stop()
            self.job_label.setText("No job running")
            self.job_label.setToolTip("")
            self._tooltip_job = None
            return
        if not self.clock.isActive():
            self.clock.start()
        text = f"Running: {job.call_text}  {format_elapsed(job.duration)}"
        if job.progress is not None:
            text += f", {job.progress:.0%}"
        if job.progress_message:
            text += f" ({job.progress_message})"
        self.job_label.setText(text)
        if job is not self._tooltip_job:  # the full repr may be long: build it once per job
            self._tooltip_job = job
            self.job_label.setToolTip(job.full_call_text())
