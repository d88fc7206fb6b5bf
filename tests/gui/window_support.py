"""Helpers for the main-window tests: answer a modal dialog the way a user does, redirect settings."""

from __future__ import annotations

from qtpy.QtCore import QSettings, Qt, QTimer
from qtpy.QtWidgets import QApplication, QMessageBox


def redirect_settings(tmp_path) -> None:
    """Point the app's INI settings at ``tmp_path`` (never the user's real ones)."""
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))


class DialogAnswerer:
    """Waits for the next modal QMessageBox and clicks the button whose text contains ``button``.

    Start it before the action that opens the dialog (the dialog's exec() blocks the test).
    ``texts`` records the text of every box it answered.
    """

    def __init__(self, qtbot, *buttons: str, interval_ms: int = 20, attempts: int = 500):
        self.qtbot = qtbot
        self.buttons = list(buttons)
        self.texts: list[str] = []
        self._interval = interval_ms
        self._attempts = attempts
        QTimer.singleShot(0, self._poll)

    @property
    def done(self) -> bool:
        return not self.buttons

    def _poll(self) -> None:
        if not self.buttons:
            return
        box = QApplication.activeModalWidget()
        if isinstance(box, QMessageBox) and box.isVisible():
            wanted = self.buttons[0]
            for button in box.buttons():
                if wanted.lower() in button.text().replace("&", "").lower():
                    self.texts.append(box.text() + "\n" + box.informativeText())
                    self.buttons.pop(0)
                    self.qtbot.mouseClick(button, Qt.LeftButton)
                    break
            else:
                names = [b.text() for b in box.buttons()]
                raise AssertionError(f"dialog {box.text()!r} has no button {wanted!r}, only {names}")
        self._attempts -= 1
        if self.buttons and self._attempts > 0:
            QTimer.singleShot(self._interval, self._poll)
