"""The Pause button's menu: "After this job" (the default, what a click does) or "Inside this job".

Pausing inside asks the running job to wait at its next ``manager.checkpoint()``; the row then
shows that it waits there. A job that never calls ``checkpoint()`` runs to its end, as with a
plain pause.
"""

from __future__ import annotations

from qtpy.QtCore import QObject, Qt, Signal
from qtpy.QtWidgets import QAction, QMenu, QToolButton, QWidget

from labqueue.gui.queue_controls import QueueControls
from labqueue.manager import Manager

__all__ = ["PauseMenu"]


class PauseMenu(QObject):
    """``menu`` with ``after_action`` and ``inside_action``; attach it to the Pause toolbar button."""

    message_signal = Signal(str)

    def __init__(self, manager: Manager, controls: QueueControls, parent: QWidget):
        super().__init__(parent)
        self.manager = manager
        self.controls = controls
        self.menu = QMenu("Pause", parent)
        self.menu.setObjectName("pause_menu")
        self.menu.setToolTipsVisible(True)
        self.after_action = QAction("Pause after this job", self.menu)
        self.after_action.setObjectName("pause_after_action")
        self.after_action.setToolTip("The running job finishes; the next one waits (what the button does).")
        self.after_action.triggered.connect(self.pause_after)
        self.inside_action = QAction("Pause inside this job", self.menu)
        self.inside_action.setObjectName("pause_inside_action")
        self.inside_action.setToolTip("The running job waits at its next manager.checkpoint() until you "
                                      "resume.\nJobs that never call checkpoint() run to their end.")
        self.inside_action.triggered.connect(self.pause_inside)
        self.menu.addAction(self.after_action)
        self.menu.addAction(self.inside_action)
        self.menu.aboutToShow.connect(self.refresh)
        controls.mirror.changed_signal.connect(self.refresh)
        manager.checkpoint_signal.connect(lambda _job: self.refresh(), Qt.QueuedConnection)
        self.refresh()

    def attach(self, button: QToolButton) -> None:
        """Give the toolbar's Pause button this menu (click = the default action, arrow = the menu)."""
        button.setMenu(self.menu)
        button.setPopupMode(QToolButton.MenuButtonPopup)

    def refresh(self) -> None:
        mirror = self.controls.mirror
        running = mirror.running_job is not None
        self.after_action.setEnabled(not mirror.paused)
        self.inside_action.setEnabled(running and self.manager.checkpoint_job is None)

    def pause_after(self) -> None:
        if not self.controls.mirror.paused:
            self.controls.toggle_pause()

    def pause_inside(self) -> None:
        job = self.controls.mirror.running_job
        self.manager.pause_worker(now=True)
        if job is not None:
            self.message_signal.emit(f"Pausing inside {job.call_text}: it waits at its next checkpoint "
                                     "(a job without checkpoints runs to its end).")
        self.controls.mirror.sync()
