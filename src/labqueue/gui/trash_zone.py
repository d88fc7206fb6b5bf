"""A drop target that removes queued jobs: :class:`TrashZone`.

It only accepts dragged jobs (MIME type ``application/x-labqueue-jobs``) with the Move action.
It does not touch the queue itself: accepting the drop as a move tells the table the jobs were
dragged away, and the table removes them — exactly once, through the queue.
"""

from __future__ import annotations

from qtpy.QtCore import QSize, Qt, Signal
from qtpy.QtGui import QDragEnterEvent, QDragMoveEvent, QDropEvent, QIcon
from qtpy.QtWidgets import QFrame, QHBoxLayout, QLabel, QSizePolicy, QStyle, QWidget

from labqueue.gui.job_table_model import MIME_TYPE, dragged_job_count
from labqueue.gui.resources import icon

__all__ = ["TrashZone"]

_STYLE = """
TrashZone { border: 2px dashed palette(mid); border-radius: 6px; }
TrashZone[dragActive="true"] { border: 2px solid #c9302c; background: rgba(201, 48, 44, 45); }
"""


class TrashZone(QFrame):
    """"Drop queued jobs here to remove them": a framed trash icon with a label.

    ``jobs_dropped_signal(int)`` tells how many jobs were dropped (the table then removes them).
    """

    jobs_dropped_signal = Signal(int)

    def __init__(self, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("trashZone")
        self.setAcceptDrops(True)
        self.setProperty("dragActive", False)
        self.setStyleSheet(_STYLE)
        self.setToolTip("Drag queued jobs from the table onto this area to remove them.\n"
                        "Running and finished jobs cannot be removed.")
        self.setSizePolicy(QSizePolicy.Preferred, QSizePolicy.Fixed)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 3, 10, 3)
        self._icon = QLabel(self)
        self._icon.setPixmap(self._trash_icon().pixmap(QSize(20, 20)))
        self._label = QLabel("Drop queued jobs here to remove them", self)
        layout.addStretch(1)
        layout.addWidget(self._icon)
        layout.addWidget(self._label)
        layout.addStretch(1)

    def _trash_icon(self) -> QIcon:
        try:
            return icon("trash")
        except FileNotFoundError:
            return self.style().standardIcon(QStyle.SP_TrashIcon)

    @property
    def drag_active(self) -> bool:
        """True while dragged jobs hover over the zone (it is highlighted)."""
        return bool(self.property("dragActive"))

    def _set_drag_active(self, active: bool) -> None:
        self.setProperty("dragActive", active)
        self.style().unpolish(self)  # re-apply the style sheet for the new property value
        self.style().polish(self)
        self.update()

    @staticmethod
    def _takes(event: QDragMoveEvent) -> bool:
        return event.mimeData().hasFormat(MIME_TYPE) and bool(event.possibleActions() & Qt.MoveAction)

    def dragEnterEvent(self, event: QDragEnterEvent) -> None:
        if self._takes(event):
            event.setDropAction(Qt.MoveAction)
            event.accept()
            self._set_drag_active(True)
        else:
            event.ignore()

    def dragMoveEvent(self, event: QDragMoveEvent) -> None:
        if self._takes(event):
            event.setDropAction(Qt.MoveAction)
            event.accept()
        else:
            event.ignore()

    def dragLeaveEvent(self, event) -> None:
        self._set_drag_active(False)
        super().dragLeaveEvent(event)

    def dropEvent(self, event: QDropEvent) -> None:
        self._set_drag_active(False)
        if not self._takes(event):
            event.ignore()
            return
        event.setDropAction(Qt.MoveAction)  # the dragging table removes the jobs
        event.accept()
        self.jobs_dropped_signal.emit(dragged_job_count(event.mimeData()))
