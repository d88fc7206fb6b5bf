"""Menu commands of the journal: File → Save queue…, Open queue…, Export history…; Queue → Clear
finished rows; Settings → History file…."""

from __future__ import annotations

from pathlib import Path

from qtpy.QtCore import QObject, Signal
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import QAction, QFileDialog, QMessageBox, QWidget

from labqueue.display_format import count_text
from labqueue.gui.journal.journal_location import saved_journal_path, set_saved_journal_path, window_journal_path
from labqueue.manager import Manager

__all__ = ["JournalMenu"]

_QUEUE_FILTER = "Saved queues (*.json);;All files (*)"
_EXPORT_FILTER = "CSV (*.csv);;JSON (*.json)"


class JournalMenu(QObject):
    """The journal's actions; :meth:`add_to` puts them in the window's menus."""

    #: A short text for the status bar.
    message_signal = Signal(str)

    def __init__(self, manager: Manager, parent: QWidget):
        super().__init__(parent)
        self.manager = manager
        self._parent = parent
        self.save_queue_action = self._action("&Save queue…", "save_queue_action", self.save_queue,
                                              "Write the queued jobs to a file (JSON) to run them later",
                                              QKeySequence.Save)
        self.open_queue_action = self._action("&Open queue…", "open_queue_action", self.open_queue,
                                              "Queue the jobs saved in a file", QKeySequence.Open)
        self.export_action = self._action("&Export history…", "export_history_action", self.export_history,
                                          "Write every job of every session to a CSV or JSON file")
        self.clear_finished_action = self._action("Clear &finished rows", "clear_finished_action",
                                                  self.clear_finished,
                                                  "Remove finished, failed and aborted rows from the table "
                                                  "(the history keeps them)")
        self.history_file_action = self._action("&History file…", "history_file_action", self.choose_history_file,
                                                "Choose the journal file labqueue writes every job to")

    def _action(self, text: str, name: str, slot, tip: str, shortcut=None) -> QAction:
        action = QAction(text, self._parent)
        action.setObjectName(name)
        action.setStatusTip(tip)
        action.setToolTip(tip)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        action.triggered.connect(slot)
        return action

    def add_to(self, file_menu, queue_menu, settings_menu) -> None:
        first = file_menu.actions()[0] if file_menu.actions() else None
        for action in (self.open_queue_action, self.save_queue_action, self.export_action):
            file_menu.insertAction(first, action)
        file_menu.insertSeparator(first)
        queue_menu.addSeparator()
        queue_menu.addAction(self.clear_finished_action)
        settings_menu.addAction(self.history_file_action)

    # ----------------------------------------------------------------- helpers
    def _warn(self, title: str, text: str) -> QMessageBox:
        box = QMessageBox(QMessageBox.Warning, title, text, QMessageBox.Ok, self._parent)
        box.setObjectName("journal_warning")
        box.open()
        return box

    # ----------------------------------------------------------------- commands
    def save_queue(self) -> None:
        n = self.manager.job_queue.qsize("queued")
        if n == 0:
            self.message_signal.emit("No queued jobs to save.")
            return
        path, _ = QFileDialog.getSaveFileName(self._parent, "Save queue", "queue.json", _QUEUE_FILTER)
        if not path:
            return
        if not Path(path).suffix:
            path += ".json"
        try:
            saved = self.manager.save_queue(path)
        except (ValueError, OSError) as exc:
            self._warn("Queue not saved", str(exc))
            return
        self.message_signal.emit(f"Saved {count_text(saved, 'queued job')} to {path}.")

    def open_queue(self) -> None:
        path, _ = QFileDialog.getOpenFileName(self._parent, "Open queue", "", _QUEUE_FILTER)
        if not path:
            return
        try:
            exps = self.manager.load_queue(path)
        except (ValueError, OSError, RuntimeError) as exc:
            self._warn("Queue not opened", str(exc))
            return
        self.message_signal.emit(f"Queued {count_text(len(exps), 'job')} from {path}.")

    def export_history(self) -> None:
        history = self.manager.history
        if history.path is None or (history.error and not history.enabled):
            self._warn("No history", f"History is not available: {history.error or 'no journal file'}")
            return
        path, chosen = QFileDialog.getSaveFileName(self._parent, "Export history", "history.csv", _EXPORT_FILTER)
        if not path:
            return
        if Path(path).suffix.lower() not in (".csv", ".json"):
            path += ".json" if chosen.startswith("JSON") else ".csv"
        try:
            n = history.export(path)
        except (ValueError, OSError, RuntimeError) as exc:
            self._warn("History not exported", str(exc))
            return
        self.message_signal.emit(f"Exported {count_text(n, 'job')} to {path}.")

    def clear_finished(self) -> None:
        n = self.manager.job_queue.clear_history()
        kept = " (the history keeps them)" if self.manager.history.enabled else ""
        self.message_signal.emit(f"Removed {count_text(n, 'finished row')}{kept}.")

    def choose_history_file(self) -> None:
        current = str(saved_journal_path() or window_journal_path())
        path, _ = QFileDialog.getSaveFileName(self._parent, "History file", current,
                                              "labqueue journal (*.sqlite);;All files (*)",
                                              options=QFileDialog.DontConfirmOverwrite)
        if not path:
            return
        set_saved_journal_path(path)
        box = QMessageBox(QMessageBox.Information, "History file",
                          f"labqueue writes its history to\n{path}\nfrom the next start.", QMessageBox.Ok,
                          self._parent)
        box.setObjectName("history_file_info")
        box.open()
