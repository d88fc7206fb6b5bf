"""The main window as a user drives it: toolbar buttons, shortcuts, status bar, menus, docks, hooks."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QApplication, QLabel, QMessageBox
from window_support import DialogAnswerer, redirect_settings

import labqueue
from labqueue.gui.main_window import MENU_NAMES, MainWindow
from labqueue.gui.queue_controls import CONFIRM_CLEAR_ABOVE
from labqueue.manager import ExpStatus


def wait_for_abort(manager, seconds: float = 30) -> str:
    """A well-behaved long job: it returns as soon as Abort is pressed."""
    manager.abort.wait(seconds)
    return "stopped"


def fail_like_an_instrument() -> None:
    raise ConnectionError("instrument not responding")


@pytest.fixture(autouse=True)
def _no_docks(monkeypatch):
    """These tests are about the window's own controls: leave out the console / log docks.

    The docks have their own tests; without them each window opens fast and starts no kernel.
    """
    monkeypatch.setattr(MainWindow, "_build_docks", lambda self: None)


@pytest.fixture
def window(qtbot, manager, tmp_path):
    redirect_settings(tmp_path)
    w = MainWindow(manager)
    qtbot.addWidget(w)
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.quit_without_asking()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=15000)


def button(window, action):
    """The toolbar button of ``action``."""
    return window.toolbar.widgetForAction(action)


def test_pause_button_toggles_the_queue_and_shows_its_state(qtbot, window, manager):
    pause = button(window, window.controls.pause_action)
    assert pause.text() == "Pause"
    qtbot.mouseClick(pause, Qt.LeftButton)
    assert not manager.running.is_set()
    qtbot.waitUntil(lambda: pause.text() == "Resume")
    assert window.status_bar.state_label.text() == "Paused"
    exp = manager.queued_exec(pow)(2, 5)
    assert exp.status is ExpStatus.QUEUED  # paused: nothing starts
    qtbot.mouseClick(pause, Qt.LeftButton)
    assert exp.result(timeout=5) == 32
    qtbot.waitUntil(lambda: pause.text() == "Pause")
    assert window.status_bar.state_label.text() != "Paused"


def test_toggle_follows_a_pause_from_another_thread(qtbot, window, manager):
    """A console or script pausing the queue shows up in the window."""
    pauser = threading.Thread(target=manager.pause_worker)
    pauser.start()
    pauser.join()
    qtbot.waitUntil(lambda: window.controls.pause_action.text() == "&Resume")
    assert window.status_bar.state_label.text() == "Paused"
    manager.resume_worker()
    qtbot.waitUntil(lambda: window.controls.pause_action.text() == "&Pause")


def test_a_failure_pauses_the_queue_and_the_window_says_so(qtbot, window, manager):
    exp = manager.queued_exec(fail_like_an_instrument)()
    with pytest.raises(ConnectionError):
        exp.result(timeout=5)
    qtbot.waitUntil(lambda: window.status_bar.state_label.text() == "Paused: fail_like_an_instrument() failed")
    assert window.controls.pause_action.text() == "&Resume"
    qtbot.waitUntil(lambda: "1 failed" in window.status_bar.counts_label.text())


def test_abort_is_enabled_only_while_a_job_runs_and_aborts_it(qtbot, window, manager):
    abort = button(window, window.controls.abort_action)
    assert not abort.isEnabled()
    exp = manager.queued_exec(wait_for_abort)(manager)
    qtbot.waitUntil(abort.isEnabled)
    assert exp.running()
    qtbot.mouseClick(abort, Qt.LeftButton)
    with pytest.raises(CancelledError):
        exp.result(timeout=5)
    assert exp.status is ExpStatus.ABORTED
    assert exp.return_value == "stopped"  # the partial result is kept
    qtbot.waitUntil(lambda: not abort.isEnabled())
    qtbot.waitUntil(lambda: "1 aborted" in window.status_bar.counts_label.text())


def test_clear_removes_queued_jobs_and_asks_first_when_there_are_many(qtbot, window, manager):
    clear = button(window, window.controls.clear_action)
    assert not clear.isEnabled()
    manager.pause_worker()
    few = [manager.queued_exec(pow)(2, i) for i in range(CONFIRM_CLEAR_ABOVE)]
    qtbot.waitUntil(clear.isEnabled)
    qtbot.mouseClick(clear, Qt.LeftButton)  # few: no question
    assert all(e.cancelled() for e in few)
    qtbot.waitUntil(lambda: not clear.isEnabled())

    many = [manager.queued_exec(pow)(2, i) for i in range(CONFIRM_CLEAR_ABOVE + 1)]
    qtbot.waitUntil(clear.isEnabled)
    answer = DialogAnswerer(qtbot, "No")
    qtbot.mouseClick(clear, Qt.LeftButton)
    assert answer.done and f"{len(many)} queued jobs" in answer.texts[0]
    assert manager.job_queue.qsize("queued") == len(many)
    answer = DialogAnswerer(qtbot, "Yes")
    qtbot.mouseClick(clear, Qt.LeftButton)
    assert answer.done
    assert all(e.cancelled() for e in many)
    qtbot.waitUntil(lambda: "0 queued" in window.status_bar.counts_label.text())


def test_keyboard_shortcuts(qtbot, window, manager):
    window.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is window)
    target = window.table_view
    target.setFocus()
    qtbot.keyClick(target, Qt.Key_P, Qt.ControlModifier)
    assert not manager.running.is_set()
    queued = [manager.queued_exec(pow)(2, i) for i in range(2)]
    qtbot.waitUntil(window.controls.clear_action.isEnabled)
    qtbot.keyClick(target, Qt.Key_Delete, Qt.ControlModifier | Qt.ShiftModifier)
    assert all(e.cancelled() for e in queued)
    qtbot.keyClick(target, Qt.Key_P, Qt.ControlModifier)
    assert manager.running.is_set()
    exp = manager.queued_exec(wait_for_abort)(manager)
    qtbot.waitUntil(window.controls.abort_action.isEnabled)
    qtbot.keyClick(target, Qt.Key_Period, Qt.ControlModifier)
    with pytest.raises(CancelledError):
        exp.result(timeout=5)
    # the tooltips tell the shortcuts
    assert "Ctrl+P" in window.controls.pause_action.toolTip()
    assert "Ctrl+." in window.controls.abort_action.toolTip()
    assert "Ctrl+Shift+Del" in window.controls.clear_action.toolTip()


def test_actions_are_also_in_the_queue_menu(window):
    actions = window.menu("Queue").actions()
    for action in window.controls.actions:
        assert action in actions


def test_status_bar_shows_the_running_job_counts_and_messages(qtbot, window, manager):
    status = window.status_bar
    assert status.job_label.text() == "No job running"
    for i in range(3):
        manager.queued_exec(pow)(2, i).result(timeout=5)
    exp = manager.queued_exec(wait_for_abort)(manager)
    qtbot.waitUntil(lambda: status.job_label.text().startswith("Running: wait_for_abort("))
    assert status.job_label.text().endswith(" s")  # elapsed time
    assert window.mirror.clock.isActive()  # ticks every second while a job runs
    qtbot.waitUntil(lambda: "0 queued · 3 finished · 0 failed · 0 aborted" in status.counts_label.text())
    manager.abort_job(exp)
    qtbot.waitUntil(lambda: status.job_label.text() == "No job running")
    qtbot.waitUntil(lambda: not window.mirror.clock.isActive())

    # A message from the table (a finished row cannot be removed) appears in the status bar.
    table = window.table_view
    table.setFocus()
    table.selectRow(0)
    qtbot.keyClick(table, Qt.Key_Delete)
    assert status.currentMessage()
    assert manager.job_queue.qsize() == 4  # nothing removed


def test_close_with_a_running_job_asks_then_aborts_and_shuts_down(qtbot, window, manager):
    hook_saw = []
    window.add_shutdown_hook(lambda: hook_saw.append(manager.is_shut_down))
    manager.pause_worker()
    running = manager.queued_exec(wait_for_abort)(manager)
    queued = manager.queued_exec(pow)(2, 3)
    manager.resume_worker()
    qtbot.waitUntil(running.running)
    manager.pause_worker()  # keep `queued` waiting

    answer = DialogAnswerer(qtbot, "Cancel")
    window.close()
    assert answer.done and "A job is running: wait_for_abort(" in answer.texts[0]
    assert window.isVisible() and running.running()  # cancelled: nothing happened

    answer = DialogAnswerer(qtbot, "Abort and quit")
    window.close()
    assert answer.done and "The 1 queued job will be cancelled" in answer.texts[0]
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=10000)
    assert running.status is ExpStatus.ABORTED
    assert queued.cancelled()
    assert manager.is_shut_down and manager.worker.thread().isFinished()
    assert hook_saw == [True]  # once, after the aborted job ended (a console job needs its namespace)


def test_close_with_queued_jobs_asks(qtbot, window, manager):
    manager.pause_worker()
    queued = manager.queued_exec(pow)(2, 3)
    answer = DialogAnswerer(qtbot, "Quit")
    window.close()
    assert answer.done and "1 queued job has not run yet" in answer.texts[0]
    assert not window.isVisible()
    assert queued.cancelled()


def test_a_job_that_ignores_abort_is_named_and_the_user_decides(qtbot, window, manager):
    release = threading.Event()
    stubborn = manager.queued_exec(release.wait)(30)
    qtbot.waitUntil(stubborn.running)
    window.shutdown_timeout_s = 0.2
    answer = DialogAnswerer(qtbot, "Abort and quit", "Keep waiting")
    window.close()
    qtbot.waitUntil(lambda: answer.done)
    assert "Event.wait(30) has not stopped" in answer.texts[1]
    assert window.isVisible() and stubborn.running()
    release.set()  # the job finally returns: the window closes by itself
    qtbot.waitUntil(lambda: not window.isVisible())
    assert stubborn.status is ExpStatus.ABORTED and manager.is_shut_down


def test_window_layout_docks_and_column_widths_persist(qtbot, make_manager, tmp_path, monkeypatch):
    redirect_settings(tmp_path)

    def build_docks(self):  # stands in for the console / log docks
        self.plot_dock = self.add_dock(QLabel("plot"), "Plot", Qt.BottomDockWidgetArea, "dock_plot")

    monkeypatch.setattr(MainWindow, "_build_docks", build_docks)
    first = MainWindow(make_manager())
    qtbot.addWidget(first)
    first.show()
    qtbot.waitExposed(first)
    first.resize(870, 520)
    first.table_view.horizontalHeader().resizeSection(1, 321)
    first.addDockWidget(Qt.LeftDockWidgetArea, first.plot_dock)
    first.plot_dock.toggleViewAction().trigger()  # the user hides it from the View menu
    assert not first.plot_dock.isVisible()
    qtbot.waitUntil(lambda: first.size().width() == 870)
    first.close()
    assert not first.isVisible()

    second = MainWindow(make_manager())
    qtbot.addWidget(second)
    second.show()
    qtbot.waitExposed(second)
    assert (second.size().width(), second.size().height()) == (870, 520)
    assert second.table_view.horizontalHeader().sectionSize(1) == 321
    assert second.dockWidgetArea(second.plot_dock) == Qt.LeftDockWidgetArea
    assert not second.plot_dock.isVisible()
    second.close()


def test_menus_docks_and_help(qtbot, window):
    assert [window.menu(name).title().replace("&", "") for name in MENU_NAMES] == list(MENU_NAMES)
    with pytest.raises(KeyError, match="Settings"):
        window.menu("Tools")
    label = QLabel("a dock")
    dock = window.add_dock(label, "Plot area", object_name="dock_plot")
    assert dock.objectName() == "dock_plot" and dock.widget() is label
    assert dock.toggleViewAction() in window.menu("View").actions()

    how_to = next(a for a in window.menu("Help").actions() if "queue a job" in a.text())
    how_to.trigger()
    boxes = [w for w in QApplication.topLevelWidgets() if isinstance(w, QMessageBox) and w.isVisible()]
    assert boxes and "queued_exec" in boxes[0].text()
    assert not boxes[0].isModal()  # the user can read it while typing in the console
    boxes[0].close()

    about = next(a for a in window.menu("Help").actions() if "About" in a.text())
    answer = DialogAnswerer(qtbot, "OK")
    about.trigger()
    assert answer.done and f"labqueue {labqueue.__version__}" in answer.texts[0]
