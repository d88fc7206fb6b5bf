"""The first-run layout: the table has most of the room and every column shows at 1100×700."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QDockWidget
from window_support import redirect_settings

from labqueue.gui.job_table_model import Column
from labqueue.gui.main_window import MainWindow


def test_at_1100_by_700_every_column_shows_and_the_table_is_the_biggest_part(qtbot, manager, tmp_path,
                                                                             monkeypatch):
    redirect_settings(tmp_path)
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    manager.pause_worker()
    manager.queued_exec(pow)(2, 3)
    window = MainWindow(manager)
    try:
        window.resize(1100, 700)
        window.show()
        qtbot.waitExposed(window)
        result = window.findChild(QDockWidget, "dock_result")
        console = window.findChild(QDockWidget, "dock_console")
        assert window.dockWidgetArea(result) == Qt.BottomDockWidgetArea  # beside the console, not the table
        view = window.table_view
        qtbot.waitUntil(lambda: console.height() < 0.3 * window.height(), timeout=5000)
        header = view.horizontalHeader()
        width = view.viewport().width()
        assert width > 1000  # the table has the window's whole width
        for column in Column:
            left = header.sectionViewportPosition(column)
            assert 0 <= left and left + min(header.sectionSize(column), 60) <= width, column.name
        assert header.sectionViewportPosition(Column.RESULT) + 80 <= width
        assert view.height() > console.height() and view.height() > result.height()
        assert view.height() > 0.45 * window.height()
        # Long status texts (a long call, a long pause reason) never make the window wider
        bar = window.status_bar
        for label in (bar.job_label, bar.counts_label, bar.state_label, window.operator.eta_label):
            label.setText("x" * 300)
        assert window.minimumSizeHint().width() <= 1100 and window.minimumWidth() <= 1100
    finally:
        window.quit_without_asking()
        qtbot.waitUntil(lambda: manager.is_shut_down, timeout=15000)


def test_columns_give_way_in_a_narrow_window(qtbot, manager, tmp_path, monkeypatch):
    from labqueue.gui.operator.default_layout import MIN_WIDTHS, fit_columns

    redirect_settings(tmp_path)
    monkeypatch.setattr(MainWindow, "_build_docks", lambda self: None)
    window = MainWindow(manager)
    try:
        window.resize(760, 500)
        window.show()
        qtbot.waitExposed(window)
        view = window.table_view
        fit_columns(view)
        header = view.horizontalHeader()
        assert header.sectionSize(Column.CALL) >= MIN_WIDTHS[Column.CALL]
        assert header.sectionViewportPosition(Column.RESULT) + MIN_WIDTHS[Column.RESULT] <= view.viewport().width()
        # once the user sizes a column, the layout stops fitting for him
        header.resizeSection(Column.CALL, 400)
        assert not window.operator.layout.fitting
    finally:
        window.quit_without_asking()
        qtbot.waitUntil(lambda: manager.is_shut_down, timeout=15000)
