"""The window's queue controls as QActions: Pause/Resume (one toggle), Abort current job, Clear queued.

The actions live in the toolbar and in the "Queue" menu alike, so both always agree. Their state
follows the window's :class:`~labqueue.gui.queue_mirror.QueueMirror`, whoever changes the queue: a
button, the console, a script, or the worker pausing itself after a failure.
"""

from __future__ import annotations

import logging

from qtpy.QtCore import QObject, Signal
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import QAction, QMessageBox, QWidget

from labqueue.display_format import count_text
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.gui.resources import icon
from labqueue.manager import Experiment, Manager

logger = logging.getLogger("labqueue")

__all__ = ["QueueControls", "CONFIRM_CLEAR_ABOVE", "PAUSE_SHORTCUT", "ABORT_SHORTCUT", "CLEAR_SHORTCUT"]

#: Clearing more queued jobs than this asks for confirmation first.
CONFIRM_CLEAR_ABOVE = 5

PAUSE_SHORTCUT = "Ctrl+P"
# Not Esc: one stray key press must not end a night's acquisition.
ABORT_SHORTCUT = "Ctrl+."
CLEAR_SHORTCUT = "Ctrl+Shift+Del"


def _shortcut_text(shortcut: str) -> str:
    return QKeySequence(shortcut).toString(QKeySequence.NativeText)


class QueueControls(QObject):
    """Owns ``pause_action``, ``abort_action`` and ``clear_action`` and keeps them in sync."""

    #: A short message for the status bar (e.g. "Abort requested: sweep(1, 2)").
    message_signal = Signal(str)

    def __init__(self, manager: Manager, mirror: QueueMirror, parent_widget: QWidget):
        super().__init__(parent_widget)
        self.manager = manager
        self.mirror = mirror
        self._parent_widget = parent_widget
        self._shown_running: Experiment | None = None
        self._frozen = False

        self.pause_action = QAction(parent_widget)
        self.pause_action.setShortcut(QKeySequence(PAUSE_SHORTCUT))
        self.pause_action.setObjectName("pause_resume_action")
        self.pause_action.triggered.connect(self.toggle_pause)

        self.abort_action = QAction(icon("abort"), "&Abort current job", parent_widget)
        self.abort_action.setShortcut(QKeySequence(ABORT_SHORTCUT))
        self.abort_action.setObjectName("abort_action")
        self.abort_action.setToolTip(
            f"Abort the running job ({_shortcut_text(ABORT_SHORTCUT)}).\n"
            "It stops when it next checks manager.abort; the queue then goes on.")
        self.abort_action.triggered.connect(self.abort_current)

        self.clear_action = QAction(icon("clear"), "&Clear queued jobs", parent_widget)
        self.clear_action.setShortcut(QKeySequence(CLEAR_SHORTCUT))
        self.clear_action.setObjectName("clear_action")
        self.clear_action.setToolTip(
            f"Remove every job that has not started yet ({_shortcut_text(CLEAR_SHORTCUT)}).\n"
            "The running job goes on; finished jobs stay in the table.")
        self.clear_action.triggered.connect(self.clear_queued)

        mirror.changed_signal.connect(self.refresh)
        self.refresh()

    @property
    def actions(self) -> list[QAction]:
        """The three actions in toolbar order."""
        return [self.pause_action, self.abort_action, self.clear_action]

    # ----------------------------------------------------------------- state
    def refresh(self) -> None:
        """Update texts, icons and enabled states from the queue as it is now."""
        paused = self.mirror.paused
        pause_keys = _shortcut_text(PAUSE_SHORTCUT)
        if paused:
            self.pause_action.setText("&Resume")
            self.pause_action.setIcon(icon("resume"))
            self.pause_action.setToolTip(f"The queue is paused. Resume running queued jobs ({pause_keys}).")
        else:
            self.pause_action.setText("&Pause")
            self.pause_action.setIcon(icon("pause"))
            self.pause_action.setToolTip(
                f"Pause the queue ({pause_keys}): the running job finishes, the next one waits.")
        self._shown_running = self.mirror.running_job
        self.pause_action.setEnabled(not self._frozen)
        self.abort_action.setEnabled(not self._frozen and self._shown_running is not None)
        self.clear_action.setEnabled(not self._frozen and self.mirror.queued > 0)

    def freeze(self) -> None:
        """Disable all three for good (the window is shutting down, or the manager was shut down)."""
        self._frozen = True
        self.refresh()

    # ----------------------------------------------------------------- user commands
    def toggle_pause(self) -> None:
        """Pause if the queue runs, resume if it is paused."""
        if self.mirror.paused:
            self.manager.resume_worker()
            self.mirror.sync()  # the window shows the new state before the message about it
            if not self.mirror.paused:  # (a job may already have failed and paused it again)
                self.message_signal.emit("Resumed: queued jobs run again.")
        else:
            self.manager.pause_worker()
            self.mirror.sync()
            running = self.mirror.running_job
            after = f" after {running.call_text} ends" if running is not None else ""
            self.message_signal.emit(f"Paused: no new job starts{after}.")

    def abort_current(self) -> None:
        """Abort the job the window shows as running (never a job that started after the click)."""
        job = self._shown_running
        if job is None:
            return
        if self.manager.abort_job(job=job):
            self.message_signal.emit(f"Abort requested: {job.call_text} stops when it next checks manager.abort.")
        else:
            self.message_signal.emit(f"{job.call_text} had already ended; nothing aborted.")
        self.mirror.sync()

    def clear_queued(self) -> None:
        """Remove all queued jobs; asks first when there are more than CONFIRM_CLEAR_ABOVE."""
        n = self.mirror.queued
        if n == 0:
            return
        if n > CONFIRM_CLEAR_ABOVE:
            answer = QMessageBox.question(
                self._parent_widget, "Clear queued jobs",
                f"Remove all {count_text(n, 'queued job')}? They will not run.\nThe running job is not affected.",
                QMessageBox.Yes | QMessageBox.No, QMessageBox.No)
            if answer != QMessageBox.Yes:
                return
        cleared = self.manager.job_queue.remove_jobs(self.manager.job_queue.queue)
        if cleared:
            logger.info("Cleared %s.", count_text(cleared, "queued job"))
        self.message_signal.emit(f"Cleared {count_text(cleared, 'queued job')}." if cleared
                                 else "Nothing to clear: the queued jobs had started or were removed meanwhile.")
        self.mirror.sync()
