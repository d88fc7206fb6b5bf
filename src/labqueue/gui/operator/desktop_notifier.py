"""Desktop notifications (a system-tray message) when a job fails or the queue runs empty.

Switched with *Settings → Desktop notifications* and remembered (``notifications/desktop``).
Where the desktop has no system tray (many minimal or remote sessions), nothing is shown and the
menu entry says so. Follows the window's :class:`QueueMirror` (at most one look per frame), so a
flood of jobs gives one message, not thousands.
"""

from __future__ import annotations

from qtpy.QtCore import QObject
from qtpy.QtWidgets import QAction, QSystemTrayIcon, QWidget

from labqueue.experiment import ExpStatus
from labqueue.gui.app_settings import app_settings
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.gui.resources import icon
from labqueue.manager import Manager

__all__ = ["DesktopNotifier", "SETTINGS_KEY"]

SETTINGS_KEY = "notifications/desktop"
MESSAGE_MS = 10000


class DesktopNotifier(QObject):
    """Owns the tray icon and ``action`` (checkable); :attr:`sent` lists (title, text) of each message."""

    def __init__(self, manager: Manager, mirror: QueueMirror, parent: QWidget):
        super().__init__(parent)
        self.manager = manager
        self.mirror = mirror
        self.sent: list[tuple[str, str]] = []
        #: Failed jobs seen so far (told about or not): lets a test know the stream was read.
        self.failures_seen = 0
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.tray: QSystemTrayIcon | None = None
        self.action = QAction(parent)
        self.action.setObjectName("desktop_notifications_action")
        self.action.setCheckable(True)
        if self.available:
            self.action.setText("&Desktop notifications")
            self.action.setToolTip("A desktop message when a job fails or the queue runs empty.")
            self.tray = QSystemTrayIcon(icon("labqueue"), self)
            self.tray.setToolTip("labqueue")
        else:
            self.action.setText("Desktop notifications (no system tray on this desktop)")
            self.action.setToolTip("This desktop offers no system tray, so labqueue cannot show messages there.")
            self.action.setEnabled(False)
        self.action.setChecked(self.available and _as_bool(app_settings().value(SETTINGS_KEY, True)))
        self.action.toggled.connect(self._toggled)
        self._show_tray()
        self._failed = mirror.count(ExpStatus.FAILED)
        self._ended = self._ended_count()
        mirror.changed_signal.connect(self._on_changed)

    @property
    def enabled(self) -> bool:
        return self.available and self.action.isChecked()

    def _toggled(self, on: bool) -> None:
        settings = app_settings()
        settings.setValue(SETTINGS_KEY, bool(on))
        settings.sync()
        self._show_tray()

    def _show_tray(self) -> None:
        if self.tray is not None:
            self.tray.setVisible(self.enabled)

    def _ended_count(self) -> int:
        return sum(self.mirror.count(s) for s in (ExpStatus.FINISHED, ExpStatus.FAILED, ExpStatus.ABORTED))

    def _on_changed(self) -> None:
        mirror = self.mirror
        failed, ended = mirror.count(ExpStatus.FAILED), self._ended_count()
        new_failures, something_ended = failed - self._failed, ended > self._ended
        self._failed, self._ended = failed, ended
        if new_failures > 0:
            self.failures_seen += new_failures
            self._tell_failures(new_failures)
        if something_ended and not mirror.queued and mirror.running_job is None:
            self.notify("Queue finished", "Every queued job has run.", QSystemTrayIcon.Information)

    def _tell_failures(self, n: int) -> None:
        if not self.enabled:
            return
        jobs = [e for e in reversed(self.manager.job_queue.queue) if e.status is ExpStatus.FAILED][:n]
        if len(jobs) == 1:
            job = jobs[0]
            error = job.exception(timeout=0)
            self.notify("Job failed", f"{job.call_text}\n{type(error).__name__}: {error}", QSystemTrayIcon.Critical)
        else:
            self.notify(f"{n} jobs failed", "\n".join(j.call_text for j in jobs[:5]), QSystemTrayIcon.Critical)

    def notify(self, title: str, text: str, kind: QSystemTrayIcon.MessageIcon = QSystemTrayIcon.Information) -> None:
        """Show a desktop message if switched on and possible."""
        if not self.enabled:
            return
        self.sent.append((title, text))
        if self.tray is not None:
            self.tray.showMessage(f"labqueue: {title}", text, kind, MESSAGE_MS)

    def close(self) -> None:
        """Stop listening and remove the tray icon (the window's shutdown hook)."""
        self.mirror.changed_signal.disconnect(self._on_changed)
        if self.tray is not None:
            self.tray.hide()


def _as_bool(value: object) -> bool:
    return value if isinstance(value, bool) else str(value).lower() in ("true", "1", "yes")
