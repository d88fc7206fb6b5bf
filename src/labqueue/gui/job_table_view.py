"""The job table widget: :class:`JobTableView`, a QTableView over a :class:`JobTableModel`.

What the operator can do here: select rows, drag queued jobs to reorder them or onto the trash
zone to remove them, press Delete, use the context menu (Remove, Move to top, Move to bottom,
plus actions other parts of the app add). The running job shows a progress bar with the time
left, and the view follows the running job unless the user has scrolled elsewhere.
"""

from __future__ import annotations

from collections.abc import Callable

from qtpy.QtCore import QModelIndex, QRect, Qt, QTimer, Signal
from qtpy.QtGui import QColor, QDrag, QFontMetrics, QKeySequence, QPainter, QPixmap
from qtpy.QtWidgets import (
    QAbstractItemView,
    QAction,
    QApplication,
    QHeaderView,
    QMenu,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionProgressBar,
    QStyleOptionViewItem,
    QTableView,
    QWidget,
)

from labqueue.display_format import count_text
from labqueue.experiment import Experiment, ExpStatus
from labqueue.gui.job_table_model import (
    EXPERIMENT_ROLE,
    NOT_REMOVABLE_TEXT,
    PAUSED_INSIDE_TEXT,
    Column,
    JobTableModel,
)
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.manager import Manager

__all__ = ["ContextActionFactory", "JobTableView"]

#: ``factory(menu, experiments) -> QAction | None``: builds one extra context-menu action for the
#: selected jobs (``menu`` is the action's parent; return None to add nothing).
ContextActionFactory = Callable[[QMenu, list], "QAction | None"]

_CONTEXT_ROWS = 3  # finished rows kept visible above the running job when following it


class _StatusDelegate(QStyledItemDelegate):
    """Paints the running job's Status cell as a progress bar with percent and time left."""

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        exp = index.data(EXPERIMENT_ROLE)
        model = index.model()  # a JobTableModel: the mirror's progress, the status bar's too
        running = exp is not None and exp.status is ExpStatus.RUNNING and hasattr(model, "progress_fraction")
        fraction = model.progress_fraction(exp) if running else None
        if fraction is None:
            super().paint(painter, option, index)
            return
        cell = QStyleOptionViewItem(option)
        self.initStyleOption(cell, index)  # the row's tint (BackgroundRole), selection, hover
        widget = option.widget
        style = widget.style() if widget is not None else QApplication.style()
        style.drawPrimitive(QStyle.PE_PanelItemViewItem, cell, painter, widget)
        bar = QStyleOptionProgressBar()
        bar.rect = option.rect.adjusted(2, 2, -2, -2)
        bar.state = option.state | QStyle.State_Horizontal
        bar.direction = option.direction
        bar.fontMetrics = option.fontMetrics
        bar.palette = option.palette
        bar.minimum, bar.maximum = 0, 1000
        bar.progress = int(round(fraction * 1000))
        bar.text = model.progress_text(exp)
        if exp is getattr(model, "paused_inside_job", None):
            bar.text = f"{PAUSED_INSIDE_TEXT} · {fraction * 100:.0f} %"
        bar.textVisible = True
        bar.textAlignment = Qt.AlignCenter
        style.drawControl(QStyle.CE_ProgressBar, bar, painter, widget)


class JobTableView(QTableView):
    """All jobs of ``manager`` in one table; queued ones can be reordered and removed.

    Signals: ``message_signal(str)`` (something to tell the user, e.g. in the status bar),
    ``current_experiment_changed_signal(object)`` (the current row's Experiment or None),
    ``context_menu_about_to_show_signal(QMenu, list)`` (add actions for those Experiments).
    """

    message_signal = Signal(str)
    current_experiment_changed_signal = Signal(object)
    context_menu_about_to_show_signal = Signal(QMenu, list)

    def __init__(self, manager: Manager, parent: QWidget | None = None, mirror: QueueMirror | None = None):
        super().__init__(parent)
        self.setObjectName("jobTableView")
        self._manager = manager
        self._context_factories: list[ContextActionFactory] = []
        self._follow_running = True
        self._scrolling_to_running = False
        self._select_after_removal: int | None = None
        # The window passes its QueueMirror; a view on its own follows the queue with one of its own.
        self.setModel(JobTableModel(mirror if mirror is not None else manager.job_queue, self))
        self.setItemDelegateForColumn(Column.STATUS, _StatusDelegate(self))
        self._configure()
        self._scroll_timer = QTimer(self)  # coalesces many job starts into one scroll
        self._scroll_timer.setSingleShot(True)
        self._scroll_timer.setInterval(0)
        self._scroll_timer.timeout.connect(self._scroll_to_running)
        self.model().running_row_changed_signal.connect(self._on_running_row_changed)
        self.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.verticalScrollBar().valueChanged.connect(self._on_scrolled)
        self.model().rowsRemoved.connect(self._on_rows_removed)

    def _configure(self) -> None:
        self.setSelectionBehavior(QAbstractItemView.SelectRows)
        self.setSelectionMode(QAbstractItemView.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.NoEditTriggers)
        self.setDragEnabled(True)
        self.setAcceptDrops(True)
        self.viewport().setAcceptDrops(True)
        self.setDragDropMode(QAbstractItemView.DragDrop)
        self.setDefaultDropAction(Qt.MoveAction)
        self.setDragDropOverwriteMode(False)  # drop between rows, never "onto" a job
        self.setDropIndicatorShown(True)
        self.setAlternatingRowColors(True)
        self.setShowGrid(False)
        self.setWordWrap(False)
        self.setCornerButtonEnabled(False)
        fm = QFontMetrics(self.font())
        rows = self.verticalHeader()
        rows.hide()
        rows.setSectionResizeMode(QHeaderView.Fixed)
        rows.setDefaultSectionSize(fm.height() + 8)
        header = self.horizontalHeader()
        header.setHighlightSections(False)
        header.setStretchLastSection(True)
        # Default widths for a typical call (the window saves the user's own); Result / Error stretches.
        samples = {
            Column.STATUS: "40 % · 1 min 05 s left", Column.CALL: "Magnet.sweep_field(0.0, 1.0, steps=25, sec",
            Column.QUEUED: "00:00:00", Column.STARTED: "00:00:00", Column.DURATION: "10 min 00 s",
        }
        for column, sample in samples.items():
            header.resizeSection(column, fm.horizontalAdvance(sample) + 16)

    # ----------------------------------------------------------------- selection
    def model(self) -> JobTableModel:
        return super().model()

    def selected_experiments(self) -> list[Experiment]:
        """Experiments of the selected rows, in table order."""
        model = self.model()
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        return [model.experiment(r) for r in rows if r < model.rowCount()]

    def current_experiment(self) -> Experiment | None:
        """The Experiment of the current (focused) row, or None."""
        index = self.currentIndex()
        return index.data(EXPERIMENT_ROLE) if index.isValid() else None

    def _on_current_row_changed(self, current: QModelIndex, previous: QModelIndex) -> None:
        self.current_experiment_changed_signal.emit(current.data(EXPERIMENT_ROLE) if current.isValid() else None)

    # ----------------------------------------------------------------- removing and moving
    def remove_experiments(self, experiments: list[Experiment]) -> int:
        """Remove the queued ones of ``experiments``; tell the user about any that must stay."""
        queued = [exp for exp in experiments if exp.status is ExpStatus.QUEUED]
        removed = self.model().remove_experiments(queued) if queued else 0
        kept = len(experiments) - removed
        if kept:
            verb = "is" if kept == 1 else "are"
            what = f"Removed {count_text(removed, 'job')}; kept" if removed else "Nothing removed:"
            self.message_signal.emit(f"{what} {count_text(kept, 'job')} that {verb} running or done. "
                                     f"{NOT_REMOVABLE_TEXT}")
        elif removed:
            self.message_signal.emit(f"Removed {count_text(removed, 'job')} from the queue.")
        return removed

    def remove_selected(self) -> int:
        """Remove the selected queued jobs (what Delete does); returns how many were removed.

        Once their rows are gone, the row that took the place of the current one is selected, so
        pressing Delete again removes the next job, as in a file manager.
        """
        selected = self.selected_experiments()
        if not selected:
            self.message_signal.emit("Nothing selected: select queued jobs, then press Delete.")
            return 0
        rows = sorted({index.row() for index in self.selectionModel().selectedRows()})
        removed = self.remove_experiments(selected)
        self._select_after_removal = rows[0] if removed and rows else None
        return removed

    def select_experiment(self, exp: Experiment) -> bool:
        """Make ``exp``'s row the current, selected row and scroll to it; False if it has no row."""
        row = self.model().row_of(exp)
        if row < 0:
            return False
        self.setCurrentIndex(self.model().index(row, Column.CALL))
        self.selectRow(row)
        self.scrollTo(self.model().index(row, 0))
        return True

    def _on_rows_removed(self, _parent: QModelIndex, _first: int, _last: int) -> None:
        row = self._select_after_removal
        if row is None or self.selectionModel().hasSelection():
            return
        self._select_after_removal = None
        row = min(row, self.model().rowCount() - 1)
        if row >= 0:  # the row that took the place of the first removed one
            self.setCurrentIndex(self.model().index(row, Column.CALL))
            self.selectRow(row)

    def move_selected_to_top(self) -> bool:
        """Move the selected queued jobs to the front of the queued jobs (they run next)."""
        return self.model().move_to_top(self.selected_experiments())

    def move_selected_to_bottom(self) -> bool:
        """Move the selected queued jobs to the end of the queue (they run last)."""
        return self.model().move_to_bottom(self.selected_experiments())

    def keyPressEvent(self, event) -> None:
        if event.key() in (Qt.Key_Delete, Qt.Key_Backspace) and event.modifiers() in (
                Qt.NoModifier, Qt.KeypadModifier):
            self.remove_selected()
            event.accept()
            return
        super().keyPressEvent(event)

    # ----------------------------------------------------------------- context menu
    def add_context_action(self, factory: ContextActionFactory) -> None:
        """Add an action to every context menu: ``factory(menu, experiments)`` returns it (or None)."""
        self._context_factories.append(factory)

    def create_context_menu(self, experiments: list[Experiment] | None = None) -> QMenu:
        """The context menu for ``experiments`` (default: the selection); the caller shows it."""
        exps = self.selected_experiments() if experiments is None else list(experiments)
        queued = [exp for exp in exps if exp.status is ExpStatus.QUEUED]
        menu = QMenu(self)
        remove = menu.addAction("Remove", lambda: self.remove_experiments(exps))
        remove.setShortcut(QKeySequence(QKeySequence.Delete))
        top = menu.addAction("Move to top", lambda: self.model().move_to_top(queued))
        bottom = menu.addAction("Move to bottom", lambda: self.model().move_to_bottom(queued))
        for action in (remove, top, bottom):
            action.setEnabled(bool(queued))
            if not queued and exps:
                action.setToolTip(NOT_REMOVABLE_TEXT)
        menu.setToolTipsVisible(True)
        if self._context_factories:
            menu.addSeparator()
        for factory in self._context_factories:
            action = factory(menu, exps)
            if action is not None and action not in menu.actions():
                menu.addAction(action)
        self.context_menu_about_to_show_signal.emit(menu, exps)
        return menu

    def contextMenuEvent(self, event) -> None:
        if not self.indexAt(event.pos()).isValid() and not self.selectionModel().hasSelection():
            return
        menu = self.create_context_menu()
        menu.exec(event.globalPos())
        # Like a menu on the stack in C++: gone when this returns. (deleteLater() here made PySide6
        # delete the menu twice.)
        menu.setParent(None)

    # ----------------------------------------------------------------- drag and drop
    def startDrag(self, supported_actions: Qt.DropActions) -> None:
        """Drag the selected queued jobs; remove them once (and only) if a trash zone takes them."""
        model = self.model()
        mime = model.mimeData(self.selectionModel().selectedRows())
        if mime is None:
            self.message_signal.emit(f"Only queued jobs can be dragged. {NOT_REMOVABLE_TEXT}")
            return
        dragged = model.dragged_experiments(mime)
        drag = QDrag(self)
        drag.setMimeData(mime)
        drag.setPixmap(self._drag_pixmap(len(dragged)))
        # A drop inside a job table (a reorder) reports IgnoreAction (see dropEvent); MoveAction
        # means another target, such as the trash zone, took the jobs away.
        if drag.exec(Qt.MoveAction, Qt.MoveAction) == Qt.MoveAction:
            self.remove_experiments(dragged)

    def dropEvent(self, event) -> None:
        super().dropEvent(event)  # the model reorders the queue (dropMimeData)
        if event.isAccepted() and self.model().is_own_drag(event.mimeData()):
            # The reorder is done. Report "nothing left for the source to do": after a MoveAction the
            # dragging view would remove the jobs. (QTreeWidget reports CopyAction for this, but
            # setDropAction only takes the drag's possible actions, here Move, or IgnoreAction.)
            event.setDropAction(Qt.IgnoreAction)

    def _drag_pixmap(self, n: int) -> QPixmap:
        text = f"{count_text(n, 'job')} — drop between rows to reorder, on the trash to remove"
        fm = QFontMetrics(self.font())
        rect = QRect(0, 0, fm.horizontalAdvance(text) + 20, fm.height() + 10)
        pixmap = QPixmap(rect.size())
        pixmap.fill(Qt.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.Antialiasing)
        painter.setPen(self.palette().highlight().color())
        fill = QColor(self.palette().highlight().color())
        fill.setAlpha(200)
        painter.setBrush(fill)
        painter.drawRoundedRect(rect.adjusted(0, 0, -1, -1), 5, 5)
        painter.setPen(self.palette().highlightedText().color())
        painter.drawText(rect, Qt.AlignCenter, text)
        painter.end()
        return pixmap

    def paintEvent(self, event) -> None:
        # Overridden in Python on purpose: PyQt then holds the GIL for the whole repaint, and the
        # ~1,000 model calls Qt makes while painting re-enter Python without releasing it. Without
        # this, each call must win the GIL back from a busy worker thread (up to the interpreter's
        # switch interval each), which froze the GUI for tens of ms per repaint during job streams.
        super().paintEvent(event)

    # ----------------------------------------------------------------- following the running job
    @property
    def follows_running_job(self) -> bool:
        """True while the view scrolls to each job that starts (off once the user scrolls away)."""
        return self._follow_running

    def _on_running_row_changed(self, row: int) -> None:
        if self._follow_running:
            self._scroll_timer.start()

    def _scroll_to_running(self) -> None:
        row = self.model().running_row
        if row < 0 or not self._follow_running:
            return
        self._scrolling_to_running = True
        try:
            self.scrollTo(self.model().index(max(0, row - _CONTEXT_ROWS), 0), QAbstractItemView.PositionAtTop)
        finally:
            self._scrolling_to_running = False

    def _on_scrolled(self, value: int) -> None:
        if self._scrolling_to_running:
            return
        # The user (or a model change) scrolled: follow again only at the bottom or with the
        # running job in sight.
        self._follow_running = value >= self.verticalScrollBar().maximum() or self._running_row_visible()

    def _running_row_visible(self) -> bool:
        row = self.model().running_row
        if row < 0:
            return False
        rect = self.visualRect(self.model().index(row, 0))
        return rect.isValid() and self.viewport().rect().intersects(rect)
