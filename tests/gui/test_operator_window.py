"""Operator features in the window, driven as a user does: Pause menu, Loop, Start at…, editing a
queued job by double-click, keyboard moves, the filter, desktop notifications, themes, time left."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from job_table_support import Gate, wait_until_mirrored
from qtpy.QtCore import QDateTime, QEvent, QPoint, Qt, QTimer
from qtpy.QtGui import QHelpEvent, QPalette
from qtpy.QtWidgets import QApplication, QDialogButtonBox, QMenu, QSystemTrayIcon, QToolTip
from window_support import redirect_settings

from labqueue.duration_stats import func_key
from labqueue.gui.job_table_model import PAUSED_INSIDE_TEXT, Column
from labqueue.gui.main_window import MainWindow
from labqueue.gui.operator import desktop_notifier
from labqueue.gui.operator.eta_status import eta_text, span_text
from labqueue.gui.operator.themes import apply_theme
from labqueue.manager import ExpStatus


def sweep(start, stop, steps=10):
    return (start, stop, steps)


def scan(n=0):
    return n


@pytest.fixture(autouse=True)
def _no_docks(monkeypatch):
    """Leave out the console / log docks: they have their own tests and start a kernel."""
    monkeypatch.setattr(MainWindow, "_build_docks", lambda self: None)


@pytest.fixture
def window(qtbot, manager, tmp_path):
    redirect_settings(tmp_path)
    w = MainWindow(manager)  # not qtbot.addWidget: its close() would ask about the queued jobs
    w.show()
    qtbot.waitExposed(w)
    w.activateWindow()  # shortcuts go to the active window only
    qtbot.waitUntil(lambda: QApplication.activeWindow() is w)
    yield w
    w.quit_without_asking()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=15000)
    apply_theme("system")


@pytest.fixture
def gate(manager):
    g = Gate()
    yield g
    g.open()


def _row_rect(view, row, column=Column.CALL):
    return view.visualRect(view.model().index(row, column))


def _click_menu_item(qtbot, menu_getter, text):
    """Once a popup menu shows, click its item ``text`` (a QMenu's exec() blocks the test meanwhile)."""
    def click():
        menu = menu_getter()
        if menu is None or not menu.isVisible():
            QTimer.singleShot(20, click)
            return
        action = next(a for a in menu.actions() if a.text().replace("&", "") == text)
        qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(action).center())
    QTimer.singleShot(20, click)


# ----------------------------------------------------------------- time left
def test_eta_text_reads_like_a_person_would_say_it():
    now = dt.datetime(2026, 11, 28, 1, 20).timestamp()
    assert span_text(45) == "45 s" and span_text(12 * 60) == "12 min" and span_text(80 * 60) == "1 h 20 min"
    assert eta_text(80 * 60, True, False, None, now=now) == "≈ 1 h 20 min left · ends 02:40"
    assert eta_text(80 * 60, True, True, None, now=now) == "≈ 1 h 20 min left (paused)"
    assert eta_text(None, True, False, None, now=now).startswith("time left unknown")
    assert eta_text(0.0, False, False, None, now=now) == ""
    at = dt.datetime(2026, 11, 28, 2, 0)
    assert eta_text(600, True, True, at, now=now) == "Starts in 40:00 (at 02:00) · ≈ 10 min left · ends 02:10"
    assert "+ 2 new jobs" in eta_text(60, True, False, None, now=now, unknown=2)


def test_status_bar_shows_time_left_and_queued_rows_their_expected_start(qtbot, window, manager):
    manager.pause_worker()
    manager.durations.record(func_key(scan), 40 * 60)
    jobs = [manager.queued_exec(scan)(i) for i in range(2)]
    label = window.operator.eta_label
    qtbot.waitUntil(lambda: label.text() == "≈ 1 h 20 min left (paused)", timeout=3000)
    assert label.isVisible()
    view = window.table_view
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    rect = _row_rect(view, 1)
    QApplication.sendEvent(view.viewport(), QHelpEvent(QEvent.ToolTip, rect.center(),
                                                       view.viewport().mapToGlobal(rect.center())))
    qtbot.waitUntil(QToolTip.isVisible, timeout=3000)
    assert "Expected start ≈" in QToolTip.text() and "(in 40 min)" in QToolTip.text()
    assert jobs[1].full_call_text() in QToolTip.text()
    QToolTip.hideText()


# ----------------------------------------------------------------- loop
def test_loop_toggle_switches_and_follows_manager_loop(qtbot, window, manager):
    loop = window.operator.loop.action
    button = window.toolbar.widgetForAction(loop)
    assert not loop.isChecked() and button.isCheckable()
    qtbot.mouseClick(button, Qt.LeftButton)
    assert manager.loop is True and loop.isChecked() and button.isChecked()
    manager.loop = False  # from a script or the console
    qtbot.waitUntil(lambda: not loop.isChecked(), timeout=3000)
    assert loop in window.menu("Queue").actions()


# ----------------------------------------------------------------- pause inside
def test_pause_menu_inside_this_job_then_resume(qtbot, window, manager):
    go, done = threading.Event(), threading.Event()

    def long_job():
        for _ in range(1000):
            manager.checkpoint()
            if go.is_set():
                break
            go.wait(0.01)
        done.set()
        return "ok"

    exp = manager.queued_exec(long_job)()
    qtbot.waitUntil(lambda: exp.status is ExpStatus.RUNNING, timeout=5000)
    pause_button = window.toolbar.widgetForAction(window.controls.pause_action)
    menu = window.operator.pause_menu.menu
    assert pause_button.menu() is menu
    qtbot.waitUntil(window.operator.pause_menu.inside_action.isEnabled, timeout=3000)
    _click_menu_item(qtbot, lambda: menu, "Pause inside this job")
    qtbot.mouseClick(pause_button, Qt.LeftButton, pos=QPoint(pause_button.width() - 4, pause_button.height() // 2))
    qtbot.waitUntil(lambda: manager.checkpoint_job is exp, timeout=5000)
    model = window.table_view.model()
    qtbot.waitUntil(lambda: model.data(model.index(0, Column.STATUS)) == PAUSED_INSIDE_TEXT, timeout=3000)
    assert "checkpoint" in model.data(model.index(0, Column.STATUS), Qt.ToolTipRole)
    qtbot.waitUntil(lambda: pause_button.text() == "Resume", timeout=3000)
    go.set()
    qtbot.mouseClick(pause_button, Qt.LeftButton, pos=QPoint(8, pause_button.height() // 2))
    assert exp.result(timeout=5) == "ok"
    qtbot.waitUntil(lambda: model.data(model.index(0, Column.STATUS)) != PAUSED_INSIDE_TEXT, timeout=3000)


def test_pause_button_click_still_pauses_after_the_job(qtbot, window, manager, gate):
    exp = manager.queued_exec(gate.job)()
    assert gate.started.wait(5)
    pause_button = window.toolbar.widgetForAction(window.controls.pause_action)
    qtbot.mouseClick(pause_button, Qt.LeftButton, pos=QPoint(8, pause_button.height() // 2))
    assert not manager.running.is_set()
    gate.open()
    exp.result(timeout=5)
    assert manager.checkpoint_job is None and exp.status is ExpStatus.FINISHED


# ----------------------------------------------------------------- start at
def test_start_at_dialog_schedules_and_the_status_bar_counts_down(qtbot, window, manager):
    manager.queued_exec(scan)()  # something to start
    qtbot.mouseClick(window.toolbar.widgetForAction(window.operator.start_at.start_at_action), Qt.LeftButton)
    dialog = window.operator.start_at.dialog
    qtbot.waitExposed(dialog)
    when = (dt.datetime.now() + dt.timedelta(hours=2)).replace(second=0, microsecond=0)
    dialog.edit.setDateTime(QDateTime(when))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    assert manager.resume_at == when and not manager.running.is_set()
    label = window.operator.eta_label
    qtbot.waitUntil(lambda: label.text().startswith("Starts in 1:5") or label.text().startswith("Starts in 2:00"),
                    timeout=3000)
    assert f"(at {when:%H:%M})" in label.text() or "tomorrow" in label.text()
    cancel = window.operator.start_at.cancel_action
    qtbot.waitUntil(cancel.isEnabled, timeout=3000)
    cancel.trigger()
    assert manager.resume_at is None and not manager.running.is_set()
    qtbot.waitUntil(lambda: not label.text().startswith("Starts"), timeout=3000)


def test_start_at_refuses_a_time_in_the_past(qtbot, window, manager):
    window.operator.start_at.start_at_action.trigger()
    dialog = window.operator.start_at.dialog
    qtbot.waitExposed(dialog)
    dialog.edit.setDateTime(QDateTime(dt.datetime.now() - dt.timedelta(hours=1)))
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    assert dialog.isVisible() and dialog.error.isVisible() and "future" in dialog.error.text()
    assert manager.resume_at is None and manager.running.is_set()
    dialog.reject()


# ----------------------------------------------------------------- edit a queued job
def _double_click(qtbot, view, row):
    """Click, then double-click, as the mouse does (the view only reacts to a double-click it saw pressed)."""
    pos = _row_rect(view, row).center()
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=pos)
    qtbot.mouseDClick(view.viewport(), Qt.LeftButton, pos=pos)


def _open_editor(qtbot, window, manager, row):
    view = window.table_view
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    _double_click(qtbot, view, row)
    dialog = window.operator.keys.edit_dialog
    assert dialog is not None
    qtbot.waitExposed(dialog)
    return dialog


def test_double_click_edits_a_queued_job_checked_against_its_signature(qtbot, window, manager):
    manager.pause_worker()
    exp = manager.queued_exec(sweep)(0.0, 1.0, steps=25)
    dialog = _open_editor(qtbot, window, manager, 0)
    assert dialog.edit.text() == "0.0, 1.0, steps=25"
    ok = dialog.buttons.button(QDialogButtonBox.Ok)
    for text, reason in [("0.0, 1.0, stepz=5", "stepz"), ("0.0, open('x')", "not a Python literal"),
                         ("0.0, 1.0,, 2", "Not valid Python")]:
        dialog.edit.clear()
        qtbot.keyClicks(dialog.edit, text)
        qtbot.mouseClick(ok, Qt.LeftButton)
        assert dialog.isVisible() and dialog.error.isVisible() and reason in dialog.error.text(), text
        assert exp.args == (0.0, 1.0) and exp.kwargs == {"steps": 25}
    dialog.edit.clear()
    qtbot.keyClicks(dialog.edit, "0.5, 2.0, steps=50")
    qtbot.mouseClick(ok, Qt.LeftButton)
    assert not dialog.isVisible()
    assert exp.args == (0.5, 2.0) and exp.kwargs == {"steps": 50}
    model = window.table_view.model()
    qtbot.waitUntil(lambda: model.data(model.index(0, Column.CALL)) == "sweep(0.5, 2.0, steps=50)", timeout=3000)


def test_edit_refuses_a_job_that_started_meanwhile(qtbot, window, manager):
    manager.pause_worker()
    exp = manager.queued_exec(sweep)(0, 1)
    dialog = _open_editor(qtbot, window, manager, 0)
    manager.resume_worker()
    exp.result(timeout=5)
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    assert dialog.isVisible() and "FINISHED" in dialog.error.text()
    dialog.reject()


def test_double_click_on_a_finished_job_says_why_it_cannot_be_edited(qtbot, window, manager):
    manager.queued_exec(scan)().result(timeout=5)
    view = window.table_view
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    qtbot.waitUntil(lambda: view.model().experiment(0).status is ExpStatus.FINISHED)
    _double_click(qtbot, view, 0)
    assert window.operator.keys.edit_dialog is None
    assert "Only queued jobs can be edited" in window.status_bar.currentMessage()


def test_a_job_with_non_literal_arguments_is_shown_read_only(qtbot, window, manager):
    manager.pause_worker()
    manager.queued_exec(sweep)(object(), 1)
    dialog = _open_editor(qtbot, window, manager, 0)
    assert dialog.edit.isReadOnly() and not dialog.buttons.button(QDialogButtonBox.Ok).isEnabled()
    assert "argument 1" in dialog.error.text()
    dialog.reject()


# ----------------------------------------------------------------- keyboard
def _queued_order(manager):
    return [e.args[0] for e in manager.job_queue.queue if e.status is ExpStatus.QUEUED]


def test_ctrl_up_down_home_end_move_the_selected_queued_jobs(qtbot, window, manager):
    manager.pause_worker()
    for i in range(5):
        manager.queued_exec(scan)(i)
    view = window.table_view
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    view.setFocus()
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=_row_rect(view, 2).center())
    qtbot.keyClick(view, Qt.Key_Up, Qt.ControlModifier)
    assert _queued_order(manager) == [0, 2, 1, 3, 4]
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    assert [e.args[0] for e in view.selected_experiments()] == [2]  # the selection follows the job
    qtbot.keyClick(view, Qt.Key_Down, Qt.ControlModifier)
    qtbot.keyClick(view, Qt.Key_Down, Qt.ControlModifier)
    assert _queued_order(manager) == [0, 1, 3, 2, 4]
    qtbot.keyClick(view, Qt.Key_End, Qt.ControlModifier)
    assert _queued_order(manager) == [0, 1, 3, 4, 2]
    qtbot.keyClick(view, Qt.Key_Home, Qt.ControlModifier)
    assert _queued_order(manager) == [2, 0, 1, 3, 4]
    qtbot.keyClick(view, Qt.Key_Up, Qt.ControlModifier)  # already on top: stays
    assert _queued_order(manager) == [2, 0, 1, 3, 4]


def test_shift_f10_opens_the_context_menu_of_the_selection(qtbot, window, manager):
    manager.pause_worker()
    manager.queued_exec(scan)(1)
    view = window.table_view
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    view.setFocus()
    qtbot.mouseClick(view.viewport(), Qt.LeftButton, pos=_row_rect(view, 0).center())
    qtbot.keyClick(view, Qt.Key_F10, Qt.ShiftModifier)
    menu = window.operator.keys.context_menu
    assert isinstance(menu, QMenu)
    qtbot.waitUntil(menu.isVisible, timeout=3000)
    assert "Remove" in [a.text() for a in menu.actions()]
    edit = next(a for a in menu.actions() if a.text() == "Edit arguments…")
    assert edit.isEnabled()
    qtbot.mouseClick(menu, Qt.LeftButton, pos=menu.actionGeometry(edit).center())
    dialog = window.operator.keys.edit_dialog
    assert dialog is not None and dialog.edit.text() == "1"
    dialog.reject()


# ----------------------------------------------------------------- filter
def test_filter_by_text_and_status_and_delete_acts_only_on_visible_rows(qtbot, window, manager):
    manager.pause_worker()
    jobs = [manager.queued_exec(sweep)(i, i + 1) for i in range(3)] + [manager.queued_exec(scan)(i) for i in range(3)]
    view = window.table_view
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    table_filter = window.operator.table_filter
    qtbot.keyClicks(table_filter.text_edit, "SWEEP")
    assert table_filter.visible_rows() == [0, 1, 2]
    view.setFocus()
    view.selectAll()
    qtbot.keyClick(view, Qt.Key_Delete)
    assert [j.status for j in jobs] == [ExpStatus.CANCELLED] * 3 + [ExpStatus.QUEUED] * 3
    table_filter.text_edit.clear()
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    assert table_filter.visible_rows() == [0, 1, 2]  # the three scans
    # by status: a finished job appears under "Finished" only once it has finished
    table_filter.status_combo.setCurrentIndex(table_filter.status_combo.findText("Finished"))
    assert table_filter.visible_rows() == []
    manager.resume_worker()
    jobs[3].result(timeout=5)
    qtbot.waitUntil(lambda: len(table_filter.visible_rows()) >= 1, timeout=5000)
    assert all(view.model().experiment(r).status is ExpStatus.FINISHED for r in table_filter.visible_rows())
    table_filter.set_filter()
    qtbot.waitUntil(lambda: len(table_filter.visible_rows()) == view.model().rowCount(), timeout=3000)


def test_ctrl_f_focuses_the_filter(qtbot, window):
    window.table_view.setFocus()
    qtbot.keyClick(window.table_view, Qt.Key_F, Qt.ControlModifier)
    qtbot.waitUntil(window.operator.table_filter.text_edit.hasFocus, timeout=3000)


# ----------------------------------------------------------------- desktop notifications
def test_without_a_system_tray_the_menu_says_so(qtbot, window, monkeypatch):
    notifier = window.operator.notifier
    if QSystemTrayIcon.isSystemTrayAvailable():
        pytest.skip("this desktop has a system tray")
    assert not notifier.action.isEnabled() and "no system tray" in notifier.action.text()
    assert notifier.action in window.menu("Settings").actions()
    notifier.notify("x", "y")
    assert notifier.sent == []


def test_notifies_on_failure_and_when_the_queue_runs_empty_and_is_switchable(qtbot, manager, tmp_path,
                                                                             monkeypatch):
    redirect_settings(tmp_path)
    monkeypatch.setattr(QSystemTrayIcon, "isSystemTrayAvailable", staticmethod(lambda: True))
    shown = []
    monkeypatch.setattr(QSystemTrayIcon, "showMessage", lambda self, title, text, *a: shown.append((title, text)))
    w = MainWindow(manager)
    notifier = w.operator.notifier
    try:
        assert notifier.action.isEnabled() and notifier.action.isChecked()

        def broken():
            raise ConnectionError("lock-in not responding")

        manager.queued_exec(broken)()
        qtbot.waitUntil(lambda: any("failed" in t for t, _ in shown), timeout=5000)
        assert "lock-in not responding" in shown[0][1]
        qtbot.waitUntil(lambda: any("Queue finished" in t for t, _ in shown), timeout=5000)
        notifier.action.trigger()  # switch off, as from the Settings menu
        assert not notifier.enabled
        manager.resume_worker()
        before = len(shown)
        manager.queued_exec(broken)().exception(timeout=5)
        qtbot.waitUntil(lambda: notifier.failures_seen == 2, timeout=5000)
        assert len(shown) == before
    finally:
        w.quit_without_asking()
        qtbot.waitUntil(lambda: not w.isVisible() or w._shut_down, timeout=15000)
    assert desktop_notifier.app_settings().value(desktop_notifier.SETTINGS_KEY) in (False, "false")


# ----------------------------------------------------------------- themes
def test_theme_menu_switches_and_remembers(qtbot, window):
    themes = window.operator.themes
    assert themes.menu in [a.menu() for a in window.menu("View").actions() if a.menu()]
    original = QApplication.palette().color(QPalette.Window)
    _click_menu_item(qtbot, lambda: themes.menu, "Dark")
    themes.menu.exec(window.mapToGlobal(QPoint(40, 40)))  # as View > Theme shows it; the click closes it
    assert QApplication.palette().color(QPalette.Window).lightness() < 100
    assert themes.actions["dark"].isChecked()
    from labqueue.gui.app_settings import app_settings
    assert app_settings().value("view/theme") == "dark"
    themes.actions["light"].trigger()
    assert QApplication.palette().color(QPalette.Window).lightness() > 200
    themes.actions["system"].trigger()
    assert QApplication.palette().color(QPalette.Window) == original


def test_move_by_one_moves_separate_blocks_each_one_place(manager):
    from labqueue.gui.operator.table_keys import move_jobs_by_one

    manager.pause_worker()
    q = manager.job_queue
    jobs = {name: manager.queued_exec(scan)(name) for name in "abcdef"}

    def order():
        return "".join(e.args[0] for e in q.queue)

    def move(names, down):
        queued = [e for e in q.queue if e.status is ExpStatus.QUEUED]
        return move_jobs_by_one(q, queued, [jobs[n] for n in names], down)

    assert move("bce", down=True) and order() == "adbcfe"
    assert move("bce", down=True) and order() == "adfbce"  # e is at the bottom already: it stays
    assert not move("adf", down=False) and order() == "adfbce"  # already on top: the block stays
    assert move("ce", down=False) and order() == "adfceb"  # a block moves as one


def test_with_a_long_queue_the_estimate_is_recomputed_only_now_and_then(qtbot, window, manager, monkeypatch):
    from labqueue.gui.operator import eta_status

    manager.pause_worker()
    manager.durations.record(func_key(scan), 60)
    for i in range(5):
        manager.queued_exec(scan)(i)
    label = window.operator.eta_label
    qtbot.waitUntil(lambda: label.mirror.queued == 5, timeout=3000)
    monkeypatch.setattr(eta_status, "BIG_QUEUE", 3)
    calls = []
    estimate = manager.eta.estimate
    monkeypatch.setattr(manager.eta, "estimate", lambda: calls.append(1) or estimate())
    label._last = None
    label.refresh()
    label.refresh()
    assert len(calls) == 1 and label.text().startswith("≈ 5 min left")
    monkeypatch.setattr(eta_status, "BIG_QUEUE", 1000)  # a short queue: every refresh is exact
    label.refresh()
    assert len(calls) == 2


def test_a_drag_of_filtered_rows_moves_only_the_jobs_you_see(qtbot, window, manager):
    from qtpy.QtCore import QModelIndex

    manager.pause_worker()
    jobs = {name: manager.queued_exec(sweep)(name, 1) if name in "ace" else manager.queued_exec(scan)(name)
            for name in "abcdef"}
    view, model = window.table_view, window.table_view.model()
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    table_filter = window.operator.table_filter
    qtbot.keyClicks(table_filter.text_edit, "sweep")
    assert table_filter.visible_rows() == [0, 2, 4]
    view.setFocus()
    view.selectAll()  # Ctrl+A selects what you see, not the hidden scans
    mime = model.mimeData(view.selectionModel().selectedRows())
    assert model.dragged_experiments(mime) == [jobs["a"], jobs["c"], jobs["e"]]
    mime = model.mimeData([model.index(4, 0)])  # drag "e" ...
    assert model.dropMimeData(mime, Qt.MoveAction, 2, 0, QModelIndex())  # ... and drop it above "c"
    assert "".join(e.args[0] for e in manager.job_queue.queue) == "abecdf"
