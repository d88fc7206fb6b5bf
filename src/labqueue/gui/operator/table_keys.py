"""Keyboard commands of the job table, and double-click to edit a queued job.

Ctrl+Up / Ctrl+Down move the selected queued jobs one place, Ctrl+Home / Ctrl+End to the top /
bottom of the queued jobs, Shift+F10 opens the context menu at the current row (as the Menu key
does). The selection follows the moved jobs. Moves go through the queue by identity, so a row
that lags behind the queue never moves the wrong job.
"""

from __future__ import annotations

from collections.abc import Sequence

from qtpy.QtCore import QModelIndex, QObject, QPoint, Qt, Signal
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import QAction, QMenu

from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue
from labqueue.gui.job_table_model import EXPERIMENT_ROLE
from labqueue.gui.job_table_view import JobTableView
from labqueue.gui.operator.edit_arguments_dialog import EditArgumentsDialog

__all__ = ["TableKeys", "move_jobs_by_one"]


def move_jobs_by_one(job_queue: ExperimentQueue, queued: Sequence[Experiment], jobs: Sequence[Experiment],
                     down: bool) -> bool:
    """Move each of ``jobs`` one place up (or down) among ``queued`` (the queued jobs in order), as a block.

    A block already at the edge stays. The moves go through ``job_queue.move_jobs`` by identity, so
    a table that lags behind the queue never moves the wrong job. Returns whether any moved.
    """
    wanted = set(jobs)
    blocks: list[list[Experiment]] = []
    for i, exp in enumerate(queued):
        if exp in wanted:
            if blocks and i > 0 and queued[i - 1] is blocks[-1][-1]:
                blocks[-1].append(exp)
            else:
                blocks.append([exp])
    order = list(queued)  # the order as it becomes, move by move
    moved = False
    for block in (reversed(blocks) if down else blocks):
        first = order.index(block[0])
        last = first + len(block) - 1
        if down:
            if last + 1 >= len(order):
                continue
            before = order[last + 2] if last + 2 < len(order) else None
        else:
            if first == 0:
                continue
            before = order[first - 1]
        moved = job_queue.move_jobs(block, before) or moved
        del order[first:last + 1]
        at = order.index(before) if before is not None else len(order)
        order[at:at] = block
    return moved


class TableKeys(QObject):
    """Adds the key actions to ``view`` and opens the edit dialog on double-click."""

    message_signal = Signal(str)

    def __init__(self, view: JobTableView):
        super().__init__(view)
        self.view = view
        self.context_menu: QMenu | None = None
        self.edit_dialog: EditArgumentsDialog | None = None
        self.actions = {
            "Ctrl+Up": ("Move up", lambda: self._move(down=False)),
            "Ctrl+Down": ("Move down", lambda: self._move(down=True)),
            "Ctrl+Home": ("Move to top", lambda: self._move_to_edge(top=True)),
            "Ctrl+End": ("Move to bottom", lambda: self._move_to_edge(top=False)),
            "Shift+F10": ("Context menu", self.open_context_menu),
        }
        for keys, (text, slot) in self.actions.items():
            action = QAction(text, view)
            action.setShortcut(QKeySequence(keys))
            action.setShortcutContext(Qt.WidgetWithChildrenShortcut)
            action.triggered.connect(slot)
            view.addAction(action)
        view.doubleClicked.connect(self._double_clicked)
        view.add_context_action(self._edit_action)

    def _edit_action(self, menu: QMenu, experiments: list) -> QAction:
        """The context menu's "Edit arguments…" (one queued job selected), as a double-click does."""
        action = QAction("Edit arguments…", menu)
        action.setObjectName("edit_arguments_action")
        queued = [e for e in experiments if e.status is ExpStatus.QUEUED]
        action.setEnabled(len(experiments) == 1 and len(queued) == 1)
        action.setToolTip("Change this queued job's arguments (also: double-click its row).")
        if queued:
            action.triggered.connect(lambda: self.open_editor(queued[0]))
        return action

    def _queued_selection(self) -> list[Experiment]:
        return [e for e in self.view.selected_experiments() if e.status is ExpStatus.QUEUED]

    def _move(self, down: bool) -> None:
        jobs = self._queued_selection()
        if not jobs:
            self.message_signal.emit("Select queued jobs to move them (running and finished jobs stay put).")
            return
        job_queue = self.view.model().job_queue
        # The queue's own order, not the table's: the table may not show the last key press's move yet.
        queued = [e for e in job_queue.queue if e.status is ExpStatus.QUEUED]
        move_jobs_by_one(job_queue, queued, jobs, down)

    def _move_to_edge(self, top: bool) -> None:
        jobs = self._queued_selection()
        if not jobs:
            self.message_signal.emit("Select queued jobs to move them (running and finished jobs stay put).")
            return
        model = self.view.model()
        (model.move_to_top if top else model.move_to_bottom)(jobs)

    def open_context_menu(self) -> QMenu | None:
        """Show the context menu for the selection at the current row (keyboard: Shift+F10)."""
        view = self.view
        if not view.selectionModel().hasSelection():
            return None
        rect = view.visualRect(view.currentIndex())
        pos = rect.bottomLeft() if rect.isValid() else QPoint(0, 0)
        if self.context_menu is not None:
            self.context_menu.deleteLater()
        menu = view.create_context_menu()
        menu.aboutToHide.connect(menu.deleteLater)
        self.context_menu = menu
        menu.destroyed.connect(lambda _o=None: setattr(self, "context_menu", None))
        menu.popup(view.viewport().mapToGlobal(pos))
        return menu

    def _double_clicked(self, index: QModelIndex) -> None:
        exp = index.data(EXPERIMENT_ROLE)
        if exp is None:
            return
        if exp.status is not ExpStatus.QUEUED:
            self.message_signal.emit("Only queued jobs can be edited; use Run again (copy) to repeat a job "
                                     "with other arguments.")
            return
        self.open_editor(exp)

    def open_editor(self, exp: Experiment) -> EditArgumentsDialog:
        """Open the argument editor of the queued ``exp`` (window-modal, not blocking)."""
        dialog = EditArgumentsDialog(exp, self.view)
        dialog.setAttribute(Qt.WA_DeleteOnClose)
        dialog.accepted.connect(lambda: self.message_signal.emit(f"Changed: {exp.call_text}"))
        dialog.finished.connect(lambda _r: setattr(self, "edit_dialog", None))
        self.edit_dialog = dialog
        dialog.open()
        return dialog
