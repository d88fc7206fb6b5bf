"""The first-run layout gives the table most of the room, and every column fits (also at 1100×700).

Until the user has a saved layout: the Result dock starts next to the console below the table
(so the table has the window's whole width), and the bottom docks take under a third of the
height. Until the user resizes a column (or restored column widths exist): the Call and Status
columns give up width so that every column, Result / Error included, is visible without
scrolling sideways.
"""

from __future__ import annotations

from qtpy.QtCore import QEvent, QObject, Qt, QTimer
from qtpy.QtWidgets import QDockWidget, QMainWindow

from labqueue.gui.app_settings import app_settings
from labqueue.gui.job_table_model import Column
from labqueue.gui.job_table_view import JobTableView

__all__ = ["DefaultLayout", "fit_columns", "MIN_WIDTHS"]

#: The narrowest a column gets when the window is small (pixels); Result / Error stretches.
MIN_WIDTHS = {Column.CALL: 170, Column.STATUS: 120, Column.RESULT: 90}
RESULT_DOCK_SHARE = 0.3
STATUS_TEXT_MIN_WIDTH = 120
BOTTOM_DOCK_SHARE = 0.27


def fit_columns(view: JobTableView) -> None:
    """Shrink Call, then Status, so that all columns fit the viewport (never below MIN_WIDTHS)."""
    header = view.horizontalHeader()
    available = view.viewport().width()
    fixed = sum(header.sectionSize(c) for c in range(header.count()) if c != Column.RESULT)
    excess = fixed + MIN_WIDTHS[Column.RESULT] - available
    for column in (Column.CALL, Column.STATUS):
        if excess <= 0:
            break
        size = header.sectionSize(column)
        give = min(excess, max(size - MIN_WIDTHS[column], 0))
        if give:
            header.resizeSection(column, size - give)
            excess -= give


class DefaultLayout(QObject):
    """Applies the first-run dock sizes and keeps the columns fitted until the user takes over."""

    def __init__(self, window: QMainWindow, view: JobTableView):
        super().__init__(window)
        self.window = window
        self.view = view
        self.fitting = True
        self._resizing = False
        self._shown = False
        self._viewport = view.viewport()  # compared by identity only: no call into a dying view
        window.installEventFilter(self)
        self._viewport.installEventFilter(self)
        view.horizontalHeader().sectionResized.connect(self._section_resized)
        # Long texts in the status bar (a long call, a long pause reason) must not widen the window
        # past a laptop screen: the labels are cut instead (their tooltips have the whole text).
        status_bar = getattr(window, "status_bar", None)
        for name in ("job_label", "counts_label", "state_label"):
            label = getattr(status_bar, name, None)
            if label is not None:
                label.setMinimumWidth(STATUS_TEXT_MIN_WIDTH)
        self._result = window.findChild(QDockWidget, "dock_result")
        self._console = window.findChild(QDockWidget, "dock_console")
        if self._result is not None and self._console is not None:  # the saved layout, if any, wins later
            self._put_result_beside_console()

    def _put_result_beside_console(self) -> None:
        """Bottom area: [Console | Messages tabs] [Result], side by side."""
        window, console, result = self.window, self._console, self._result
        tabbed = [d for d in window.tabifiedDockWidgets(console) if d is not result]
        for dock in (console, result, *tabbed):
            window.removeDockWidget(dock)
        window.addDockWidget(Qt.BottomDockWidgetArea, console, Qt.Horizontal)
        window.addDockWidget(Qt.BottomDockWidgetArea, result, Qt.Horizontal)
        for dock in tabbed:
            window.tabifyDockWidget(console, dock)
        for dock in (console, result, *tabbed):
            dock.show()
        console.raise_()
        self.tabbed = tabbed

    def _section_resized(self, *_args: object) -> None:
        if not self._resizing:  # the user dragged a column edge, or saved widths were restored
            self.fitting = False

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 - Qt's name
        kind = event.type()
        if watched is self.window and kind == QEvent.Show and not self._shown:
            self._shown = True
            QTimer.singleShot(0, self._first_show)  # once the window has its size and its docks are laid out
        elif watched is self._viewport and kind == QEvent.Resize and self.fitting:
            self._resizing = True
            try:
                fit_columns(self.view)
            finally:
                self._resizing = False
        return False

    def _first_show(self) -> None:
        if app_settings().value("window/state") is not None:
            return  # the user's own layout was restored
        window = self.window
        if self._console is not None:
            window.resizeDocks([self._console], [int(window.height() * BOTTOM_DOCK_SHARE)], Qt.Vertical)
        if self._result is not None and self._console is not None:
            width = int(window.width() * RESULT_DOCK_SHARE)
            window.resizeDocks([self._console, self._result], [window.width() - width, width], Qt.Horizontal)
