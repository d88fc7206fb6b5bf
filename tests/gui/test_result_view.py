"""The result pane: results, tracebacks, partial results, copy, send to console, run again."""

from __future__ import annotations

import threading

import pytest
from qtpy.QtCore import QSettings, Qt
from qtpy.QtWidgets import QApplication, QMenu, QTableView

from labqueue.gui.console import PythonConsole
from labqueue.gui.job_table_model import EXPERIMENT_ROLE, JobTableModel
from labqueue.gui.result_view import CONSOLE_NAME, ResultView, describe_value, value_text
from labqueue.manager import ExpStatus


@pytest.fixture
def view(qtbot, manager) -> ResultView:
    view = ResultView(manager)
    qtbot.addWidget(view)
    return view


def finished(manager, func, *args):
    exp = manager.queued_exec(func)(*args)
    try:
        exp.result(timeout=10)
    except Exception:  # noqa: BLE001 - failing jobs are part of the tests
        pass
    return exp


def make_rows(n: int) -> list[dict]:
    return [{"x": i, "y": i * i} for i in range(n)]


def fail_loudly(reason: str):
    raise ValueError(f"instrument says {reason}")


def test_selecting_a_finished_row_in_the_table_shows_its_result(qtbot, manager, view):
    exp = finished(manager, make_rows, 3)
    table = QTableView()
    qtbot.addWidget(table)
    model = JobTableModel(manager.job_queue, table)
    table.setModel(model)
    table.selectionModel().currentRowChanged.connect(lambda current, _prev: view.show_experiment(
        current.data(EXPERIMENT_ROLE) if current.isValid() else None))
    table.show()
    qtbot.waitUntil(lambda: model.rowCount() == 1)
    qtbot.waitExposed(table)
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(model.index(0, 1)).center())
    assert view.experiment is exp
    assert "Finished" in view.title_label.text() and "make_rows(3)" in view.title_label.text()
    qtbot.waitUntil(lambda: "'y': 4" in view.text.toPlainText())  # the repr is made off the GUI thread
    assert "list" in view.info_label.text() and "length 3" in view.info_label.text()


def test_copy_puts_the_full_result_on_the_clipboard(qtbot, manager, view):
    exp = finished(manager, make_rows, 2)
    view.show_experiment(exp)
    with qtbot.waitSignal(view.message_signal, check_params_cb=lambda text: text == "Copied the result."):
        qtbot.mouseClick(view.copy_button, Qt.LeftButton)
    assert QApplication.clipboard().text() == repr(exp.return_value)


def test_failed_row_shows_the_traceback_and_runs_again_as_a_copy(qtbot, manager, view):
    exp = finished(manager, fail_loudly, "no")
    assert exp.status is ExpStatus.FAILED
    view.show_experiment(exp)
    assert "ValueError: instrument says no" in view.info_label.text()
    shown = view.text.toPlainText()
    assert "Traceback" in shown and "fail_loudly" in shown and shown == exp.traceback
    qtbot.mouseClick(view.copy_button, Qt.LeftButton)
    assert QApplication.clipboard().text() == exp.traceback
    assert view.requeue_button.isEnabled()
    with qtbot.waitSignal(view.message_signal) as message:
        qtbot.mouseClick(view.requeue_button, Qt.LeftButton)
    jobs = manager.job_queue.queue
    assert len(jobs) == 2 and jobs[1] is not exp
    assert jobs[1].call_text == exp.call_text and jobs[1].status is ExpStatus.QUEUED
    assert "paused" in message.args[0]  # the failure paused the queue


def test_aborted_row_shows_its_partial_result(qtbot, manager, view):
    started = threading.Event()

    def collect():
        points = []
        started.set()
        while not manager.abort.wait(0.001):
            points.append(len(points))
        return points

    exp = manager.queued_exec(collect)()
    view.show_experiment(exp)
    assert started.wait(10)
    assert manager.abort_job()
    qtbot.waitUntil(lambda: view.experiment.status is ExpStatus.ABORTED and "partial" in view.info_label.text())
    qtbot.waitUntil(lambda: view.text.toPlainText() == value_text(exp.return_value))
    assert "partial result: list" in view.info_label.text()
    assert view.copy_button.isEnabled()


def test_aborted_job_without_partial_result_says_so(qtbot, manager, view):
    started = threading.Event()

    def wait_for_abort():
        started.set()
        manager.abort.wait(10)

    exp = manager.queued_exec(wait_for_abort)()
    assert started.wait(10)
    manager.abort_job()
    with pytest.raises(Exception):  # noqa: B017 - CancelledError
        exp.result(timeout=10)
    view.show_experiment(exp)
    assert "no partial result" in view.info_label.text()
    assert not view.copy_button.isEnabled()


def test_view_follows_the_shown_job_until_it_ends(qtbot, manager, view):
    release = threading.Event()
    exp = manager.queued_exec(release.wait)(10)
    view.show_experiment(exp)
    assert not view.copy_button.isEnabled() and not view.requeue_button.isEnabled()
    release.set()
    qtbot.waitUntil(lambda: "Finished" in view.title_label.text())
    assert view.text.toPlainText() == "True" and view.copy_button.isEnabled()


def test_send_to_console_binds_the_result(qtbot, manager, tmp_path, monkeypatch):
    monkeypatch.delenv("IPYTHONDIR", raising=False)  # IPython's files go next to the settings file
    console = PythonConsole(manager, settings=QSettings(str(tmp_path / "s.ini"), QSettings.IniFormat))
    qtbot.addWidget(console)
    try:
        qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
        view = ResultView(manager, console=console)
        qtbot.addWidget(view)
        exp = finished(manager, make_rows, 4)
        view.show_experiment(exp)
        qtbot.mouseClick(view.send_button, Qt.LeftButton)
        assert console.shell.user_ns[CONSOLE_NAME] is exp.return_value
        assert f"{CONSOLE_NAME} = result of make_rows(4)" in console._control.toPlainText()
        console.shutdown()
        assert not view.send_button.isEnabled()  # nothing to send to any more
    finally:
        console.shutdown()


def test_send_button_needs_a_console(qtbot, manager, view):
    view.show_experiment(finished(manager, make_rows, 1))
    assert not view.send_button.isEnabled()


def test_table_context_action_runs_a_copy(qtbot, manager, view):
    exp = finished(manager, make_rows, 1)
    menu = QMenu()
    assert view.context_action(menu, [exp, exp]) is None
    action = view.context_action(menu, [exp])
    action.trigger()
    assert [e.call_text for e in manager.job_queue.queue] == ["make_rows(1)", "make_rows(1)"]
    assert view.experiment is None


class _BadRepr:
    def __repr__(self):
        raise RuntimeError("broken")


def test_a_result_whose_repr_raises_is_shown_safely(qtbot, manager, view):
    view.show_experiment(finished(manager, _BadRepr))
    qtbot.waitUntil(lambda: "repr failed" in view.text.toPlainText())
    assert "_BadRepr" in view.info_label.text()


def test_describe_value_and_long_results():
    assert describe_value([1, 2, 3]).startswith("list · length 3 · ")
    assert describe_value(3.5).startswith("float · ")
    long_text = value_text(list(range(100_000)))
    assert len(long_text) < 10_000 and long_text.startswith("[0, 1, 2")


def test_in_the_window_clicking_a_failed_row_shows_its_traceback(qtbot, manager, tmp_path, monkeypatch):
    from labqueue.gui.main_window import MainWindow

    monkeypatch.delenv("IPYTHONDIR", raising=False)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    window = MainWindow(manager)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    exp = finished(manager, fail_loudly, "nothing")
    table = window.table_view
    qtbot.waitUntil(lambda: table.model().rowCount() == 1)
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(table.model().index(0, 1)).center())
    assert window.result_view.experiment is exp
    assert window.result_view.text.toPlainText() == exp.traceback
    qtbot.mouseClick(window.result_view.send_button, Qt.LeftButton)
    assert window.console.shell.user_ns[CONSOLE_NAME] is exp.exception(0)
    window.quit_without_asking()
    qtbot.waitUntil(lambda: not window.isVisible())
    assert window.console.is_shut_down and not window.log_pane.handler.is_attached
