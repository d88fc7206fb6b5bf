"""One consistent window (issue 10): the status bar, the table and the result pane never disagree."""

from __future__ import annotations

import logging
import threading

import pytest
from job_table_support import Gate, noop
from qtpy.QtCore import Qt, QTimer
from qtpy.QtWidgets import QApplication, QMessageBox, QPlainTextEdit
from window_support import redirect_settings

from labqueue.display_format import duration_text
from labqueue.gui.job_table_model import Column
from labqueue.gui.main_window import MainWindow
from labqueue.manager import Experiment, ExpStatus
from labqueue.notifications.email_message import notification_message


@pytest.fixture
def window(qtbot, manager, tmp_path, monkeypatch):
    redirect_settings(tmp_path)
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    w = MainWindow(manager)  # not qtbot.addWidget: it would close it (and ask) before this fixture ends
    w.show()
    qtbot.waitExposed(w)
    yield w
    w.quit_without_asking()
    qtbot.waitUntil(lambda: not w.isVisible(), timeout=15000)


def boom(reason="instrument not responding"):
    raise ConnectionError(reason)


def test_status_bar_progress_is_the_tables_at_every_step(qtbot, window, manager):
    steps = [threading.Event() for _ in range(9)]
    finished = threading.Event()

    def ramp():
        for i, step in enumerate(steps, 1):
            manager.report_progress(i / 10, f"step {i}")
            step.wait(10)
        finished.wait(10)

    manager.queued_exec(ramp)()
    model = window.table_view.model()
    try:
        for i, step in enumerate(steps, 1):
            cell = f"Running {i * 10} %"
            qtbot.waitUntil(lambda cell=cell: model.rowCount() == 1 and model.data(model.index(0, 0)) == cell)
            label = window.status_bar.job_label.text()
            assert f"{i * 10} %" in label and f"(step {i})" in label  # the same moment, the same progress
            step.set()
    finally:
        for step in steps:
            step.set()
        finished.set()


def test_running_job_shows_one_elapsed_time_in_the_table_and_the_status_bar(qtbot, window, manager):
    gate = Gate()
    try:
        manager.queued_exec(gate.job)()
        assert gate.started.wait(10)
        model = window.table_view.model()
        with qtbot.waitSignal(window.mirror.tick_signal, timeout=3000):
            pass
        cell = model.data(model.index(0, Column.DURATION))
        assert cell and window.status_bar.job_label.text().endswith(f"  {cell}")
    finally:
        gate.open()
        qtbot.waitUntil(lambda: manager.job_queue.running_job() is None)


def test_cleared_counts_the_jobs_really_cleared(qtbot, window, manager):
    first, second = Gate(), Gate()
    try:
        manager.queued_exec(first.job)()
        assert first.started.wait(10)
        manager.queued_exec(second.job)()
        for i in range(7):
            manager.queued_exec(noop)(i)
        qtbot.waitUntil(lambda: "8 queued" in window.status_bar.counts_label.text())
        asked = []

        def answer_when_one_more_has_started():
            box = QApplication.activeModalWidget()
            if not isinstance(box, QMessageBox) or not box.isVisible():
                QTimer.singleShot(20, answer_when_one_more_has_started)
                return
            asked.append(box.text())
            first.open()  # while the question is open, the next job starts: 7 are left to clear
            assert second.started.wait(10)
            box.button(QMessageBox.Yes).click()

        QTimer.singleShot(0, answer_when_one_more_has_started)
        window.controls.clear_action.trigger()
        assert asked and "8 queued jobs" in asked[0]
        assert window.status_bar.currentMessage() == "Cleared 7 queued jobs."
    finally:
        first.open()
        second.open()


def test_after_a_failure_the_window_says_paused_with_the_reason_and_never_contradicts_itself(
        qtbot, window, manager):
    manager.pause_worker()
    exp = manager.queued_exec(boom)()
    qtbot.waitUntil(lambda: window.controls.pause_action.text() == "&Resume")
    pause_button = window.toolbar.widgetForAction(window.controls.pause_action)
    qtbot.mouseClick(pause_button, Qt.LeftButton)  # Resume: the job runs and fails
    qtbot.waitUntil(lambda: window.status_bar.state_label.text() == "Paused: boom() failed")
    assert exp.status is ExpStatus.FAILED
    assert "Resumed" not in window.status_bar.currentMessage()
    assert "boom() failed" in window.status_bar.currentMessage()
    assert window.controls.pause_action.text() == "&Resume"


def test_the_failed_row_is_selected_and_its_traceback_shown_wrapped(qtbot, window, manager):
    for i in range(3):
        manager.queued_exec(noop)(i)
    exp = manager.queued_exec(boom)("no reply from the lock-in amplifier " * 5)
    view = window.result_view
    qtbot.waitUntil(lambda: view.experiment is exp and view.text.toPlainText() == exp.traceback)
    assert window.table_view.selected_experiments() == [exp]
    assert view.text.lineWrapMode() == QPlainTextEdit.WidgetWidth
    assert view.text.horizontalScrollBar().maximum() == 0  # nothing hides to the right


def test_one_failed_job_shows_one_duration_in_table_result_pane_and_email(qtbot, window, manager):
    exp = manager.queued_exec(boom)()
    view = window.result_view
    qtbot.waitUntil(lambda: view.experiment is exp and "Failed after" in view.info_label.text())
    shown = duration_text(exp.duration)
    model = window.table_view.model()
    assert model.data(model.index(model.row_of(exp), Column.DURATION)) == shown
    assert f"Failed after {shown}: ConnectionError" in view.info_label.text()
    record = logging.LogRecord("labqueue", logging.ERROR, __file__, 1, "Failed: boom()", None, None)
    record.experiment = exp
    body = notification_message(record, ["me@lab.org"]).get_content()
    assert f"Duration:  {shown}\n" in body


def test_a_late_window_counts_each_job_once(qtbot, manager, tmp_path, monkeypatch):
    """A window made while jobs stream through starts from a snapshot and counts nothing twice."""
    redirect_settings(tmp_path)
    monkeypatch.setattr(MainWindow, "_build_docks", lambda self: None)
    jobs = [Experiment(noop, (i,)) for i in range(3000)]
    feeder = threading.Thread(target=lambda: [manager.job_queue.put(exp) for exp in jobs])
    feeder.start()
    window = MainWindow(manager)  # while the worker and the feeder run
    qtbot.addWidget(window)
    feeder.join(30)
    qtbot.waitUntil(lambda: all(exp.done() for exp in jobs), timeout=30000)
    expected = "0 queued · 3000 finished · 0 failed · 0 aborted"
    qtbot.waitUntil(lambda: window.status_bar.counts_label.text() == expected, timeout=10000)
    assert window.table_view.model().rowCount() == 3000
    window.quit_without_asking()
    qtbot.waitUntil(lambda: manager.is_shut_down)
