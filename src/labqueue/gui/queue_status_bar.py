"""The window's status bar: the running job and its elapsed time, job counts, and a visible "Paused".

Everything it shows comes from the window's :class:`~labqueue.gui.queue_mirror.QueueMirror`,
refreshed in the same frame as the table, so the two always agree: the same progress, the same
elapsed time (both tick on the mirror's clock), the same counts.
"""

from __future__ import annotations

from qtpy.QtWidgets import QLabel, QStatusBar, QWidget

from labqueue.display_format import duration_text
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.manager import ExpStatus

__all__ = ["QueueStatusBar", "MESSAGE_MS"]

#: How long a message (e.g. "Cleared 3 queued jobs.") stays in the status bar.
MESSAGE_MS = 5000

_PAUSED_STYLE = "QLabel { background: #e08a1e; color: white; font-weight: bold; padding: 1px 8px; }"
_STOPPING_STYLE = "QLabel { background: #c9302c; color: white; font-weight: bold; padding: 1px 8px; }"
_PLAIN_STYLE = "QLabel { padding: 1px 8px; }"


class QueueStatusBar(QStatusBar):
    """Left: the running job ("Running: sweep(…) 12.0 s, 40 %"); right: counts and the queue state."""

    def __init__(self, mirror: QueueMirror, parent: QWidget | None = None):
        super().__init__(parent)
        self.mirror = mirror
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
        self._shut_down = False
        self._tooltip_job = None
        self._shown_paused = mirror.paused
        mirror.changed_signal.connect(self.refresh)
        mirror.tick_signal.connect(self._update_job)
        self.refresh()

    def show_message(self, text: str) -> None:
        """Show ``text`` for :data:`MESSAGE_MS` milliseconds."""
        self.showMessage(text, MESSAGE_MS)

    def set_stopping(self, text: str) -> None:
        """Show that the window is shutting down (e.g. waiting for an aborted job)."""
        self._stopping_text = text
        self.refresh()

    def set_shut_down(self) -> None:
        """Show that the manager was shut down: no job will run in this window again."""
        self._shut_down = True
        self.refresh()

    def refresh(self) -> None:
        """Redraw every label from the mirror."""
        self._update_job()
        m = self.mirror
        parts = [f"{m.queued} queued", f"{m.count(ExpStatus.FINISHED)} finished",
                 f"{m.count(ExpStatus.FAILED)} failed", f"{m.count(ExpStatus.ABORTED)} aborted"]
        self.counts_label.setText(" · ".join(parts))
        if m.paused != self._shown_paused:
            # A message about the old state ("Resumed: ...") must not stand next to the new one.
            self._shown_paused = m.paused
            self.clearMessage()
        if self._stopping_text is not None:
            self._set_state(self._stopping_text, _STOPPING_STYLE, "")
        elif self._shut_down:
            self._set_state("Shut down", _STOPPING_STYLE,
                            "manager.shutdown() was called: no job runs here any more. Restart labqueue.")
        elif m.paused:
            reason = m.pause_reason
            self._set_state(f"Paused: {reason}" if reason else "Paused", _PAUSED_STYLE,
                            "No new job starts until you press Resume.")
        else:
            self._set_state("Running" if m.running_job is not None else "Idle", _PLAIN_STYLE,
                            "Queued jobs start one after another.")

    def _set_state(self, text: str, style: str, tooltip: str) -> None:
        if len(text) > 80:
            tooltip, text = text + ("\n" + tooltip if tooltip else ""), text[:79] + "…"
        self.state_label.setText(text)
        self.state_label.setStyleSheet(style)
        self.state_label.setToolTip(tooltip)

    def _update_job(self) -> None:
        m = self.mirror
        job = m.running_job
        if job is None:
            self.job_label.setText("No job running")
            self.job_label.setToolTip("")
            self._tooltip_job = None
            return
        text = f"Running: {job.call_text}  {duration_text(m.elapsed(job))}"
        fraction, message = m.progress
        if fraction is not None:
            text += f", {fraction * 100:.0f} %"
        if message:
            text += f" ({message})"
        self.job_label.setText(text)
        if job is not self._tooltip_job:  # the full repr may be long: build it once per job
            self._tooltip_job = job
            self.job_label.setToolTip(job.full_call_text())


