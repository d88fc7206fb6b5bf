"""Closed windows can be garbage-collected safely.

Regression: the console and log pane connected ``destroyed`` to ``functools.partial`` slots as a
safety net. When the garbage collector destroyed a closed window (a reference cycle), it had
already cleared those partials, and calling them crashed the process in a later, unrelated test.
"""

from __future__ import annotations

import gc

from qtpy.QtCore import Qt
from window_support import redirect_settings

from labqueue.gui.main_window import MainWindow


def test_two_full_windows_open_and_close_then_garbage_collection_is_safe(qtbot, make_manager, tmp_path):
    redirect_settings(tmp_path)
    for _ in range(2):
        window = MainWindow(make_manager())  # with the real console, log and result docks
        window.show()
        qtbot.waitExposed(window)
        console = window.console
        qtbot.waitUntil(lambda c=console: "In [1]" in c._control.toPlainText(), timeout=10_000)
        window.quit_without_asking()
        qtbot.waitUntil(lambda w=window: not w.isVisible(), timeout=15_000)
        qtbot.waitUntil(lambda c=console: c.is_shut_down)
        del window, console
        gc.collect()  # crashed here while the safety-net slots existed


def test_ctrl_p_in_the_console_recalls_history_and_does_not_pause(qtbot, manager, tmp_path):
    redirect_settings(tmp_path)
    window = MainWindow(manager)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    control = window.console._control
    qtbot.waitUntil(lambda: "In [1]" in control.toPlainText(), timeout=10_000)
    window.activateWindow()
    control.setFocus()
    qtbot.waitUntil(control.hasFocus)
    qtbot.keyClick(control, Qt.Key_P, Qt.ControlModifier)
    assert manager.running.is_set()
    window.table_view.setFocus()  # elsewhere in the window Ctrl+P pauses, as the menu says
    qtbot.keyClick(window.table_view, Qt.Key_P, Qt.ControlModifier)
    assert not manager.running.is_set()
    window.quit_without_asking()
    qtbot.waitUntil(lambda: window.console.is_shut_down, timeout=15_000)
