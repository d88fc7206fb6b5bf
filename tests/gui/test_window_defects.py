"""Window defects found by hostile and hands-on use (issue 12, items 12-17), each reproduced first."""

from __future__ import annotations

import gc
import threading

from job_table_support import noop, wait_until_mirrored
from qtpy.QtCore import QMimeData, QModelIndex, QSettings, Qt, QTimer
from qtpy.QtWidgets import QDialogButtonBox
from window_support import DialogAnswerer, redirect_settings

from labqueue.gui.job_table_model import MIME_TYPE, Column, JobTableModel, dragged_job_count
from labqueue.gui.main_window import MainWindow
from labqueue.manager import Experiment, ExpStatus


def _open_window(qtbot, manager, tmp_path, monkeypatch, docks=True):
    redirect_settings(tmp_path)
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    if not docks:
        monkeypatch.setattr(MainWindow, "_build_docks", lambda self: None)
    window = MainWindow(manager)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    return window


def _close(qtbot, window):
    window.quit_without_asking()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)


def _click_row(qtbot, table, row):
    qtbot.mouseClick(table.viewport(), Qt.LeftButton, pos=table.visualRect(table.model().index(row, 1)).center())


# ----------------------------------------------------------------- 12.12 and 12.14: drag payloads
def test_a_stale_drag_payload_never_moves_a_job_nobody_dragged(qtbot, manager):
    manager.pause_worker()
    q = manager.job_queue
    model = JobTableModel(q)
    first = [Experiment(noop, (i,)) for i in range(3)]
    for exp in first:
        q.put(exp)
    dragged = Experiment(noop, ("dragged",))
    q.put(dragged)
    wait_until_mirrored(qtbot, model, q)
    stale = model.mimeData([model.index(3, 0)])
    assert dragged.cancel()
    wait_until_mirrored(qtbot, model, q)
    address = id(dragged)
    del dragged
    manager.notifications.flush()  # the event log's batch still names the cancelled job
    gc.collect()
    newcomers = []  # Python reuses the freed memory: one of these lives where the dragged job did
    while len(newcomers) < 5000 and (not newcomers or id(newcomers[-1]) != address):
        newcomers.append(Experiment(noop, ("new", len(newcomers))))
    assert id(newcomers[-1]) == address, "precondition: a new job at the dragged job's old address"
    q.put(newcomers[-1])
    wait_until_mirrored(qtbot, model, q)
    before = q.queue
    model.dropMimeData(stale, Qt.MoveAction, 0, 0, QModelIndex())  # to the top of the queue
    assert q.queue == before  # the job that was dragged is gone: nothing moves


def test_a_deeply_nested_drop_payload_is_refused_quietly(qtbot, manager):
    manager.pause_worker()
    q = manager.job_queue
    model = JobTableModel(q)
    for i in range(2):
        q.put(Experiment(noop, (i,)))
    wait_until_mirrored(qtbot, model, q)
    token = bytes(model.mimeData([model.index(0, 0)]).data(MIME_TYPE)).split(b"\n", 1)[0]
    nested = QMimeData()
    nested.setData(MIME_TYPE, token + b'\n{"ids": ' + b"[" * 200_000 + b"]" * 200_000 + b"}")
    assert dragged_job_count(nested) == 0
    assert model.dragged_experiments(nested) == []
    before = q.queue
    assert not model.dropMimeData(nested, Qt.MoveAction, 0, 0, QModelIndex())
    assert q.queue == before


# ----------------------------------------------------------------- 12.13: a slow or hanging repr
class SlowRepr:
    """A result whose repr blocks until released; it notes whether it ran on the GUI thread."""

    def __init__(self, release: threading.Event, on_gui_thread: list, seconds: float = 10):
        self.release, self.on_gui_thread, self.seconds = release, on_gui_thread, seconds

    def __repr__(self) -> str:
        self.on_gui_thread.append(threading.current_thread() is threading.main_thread())
        self.release.wait(self.seconds)
        return "SlowRepr(done)"


def test_a_result_with_a_slow_repr_never_freezes_the_window(qtbot, manager, tmp_path, monkeypatch):
    window = _open_window(qtbot, manager, tmp_path, monkeypatch)
    release, on_gui_thread = threading.Event(), []
    try:
        exp = manager.queued_exec(SlowRepr)(release, on_gui_thread, 5)
        exp.result(timeout=10)
        table = window.table_view
        qtbot.waitUntil(lambda: table.model().rowCount() == 1)
        _click_row(qtbot, table, 0)
        assert window.result_view.experiment is exp
        qtbot.waitUntil(lambda: bool(on_gui_thread))  # the repr has started, somewhere
        assert not any(on_gui_thread), "the repr ran on the GUI thread"
        assert "Making the result's text" in window.result_view.info_label.text()
        release.set()
        qtbot.waitUntil(lambda: window.result_view.text.toPlainText() == "SlowRepr(done)")
        model = table.model()
        qtbot.waitUntil(lambda: model.data(model.index(0, Column.RESULT)) == "SlowRepr(done)")
        assert not any(on_gui_thread)
    finally:
        release.set()
        _close(qtbot, window)


def test_a_repr_that_hangs_is_reported_and_later_results_still_show(qtbot, manager, tmp_path, monkeypatch):
    from labqueue.gui import result_texts

    monkeypatch.setattr(result_texts, "HANG_S", 0.3)
    window = _open_window(qtbot, manager, tmp_path, monkeypatch)
    release, on_gui_thread = threading.Event(), []
    try:
        hanging = manager.queued_exec(SlowRepr)(release, on_gui_thread, 60)
        later = manager.queued_exec(lambda: [{"x": 1}, {"x": 2}])()
        later.result(timeout=10)
        table, view = window.table_view, window.result_view
        qtbot.waitUntil(lambda: table.model().rowCount() == 2)
        _click_row(qtbot, table, 0)
        assert view.experiment is hanging
        qtbot.waitUntil(lambda: "did not finish" in view.text.toPlainText(), timeout=5000)
        _click_row(qtbot, table, 1)
        qtbot.waitUntil(lambda: "{'x': 2}" in view.text.toPlainText(), timeout=5000)
        assert not any(on_gui_thread)
    finally:
        release.set()
        _close(qtbot, window)


# ----------------------------------------------------------------- 12.15: shutdown from the console
def test_manager_shutdown_from_the_console_shows_in_the_window(qtbot, manager, tmp_path, monkeypatch):
    window = _open_window(qtbot, manager, tmp_path, monkeypatch, docks=False)
    try:
        assert window.controls.pause_action.isEnabled()
        manager.shutdown()  # as typed in the console (it runs on the GUI thread)
        qtbot.waitUntil(lambda: window.status_bar.state_label.text() == "Shut down")
        assert not any(action.isEnabled() for action in window.controls.actions)
    finally:
        _close(qtbot, window)


# ----------------------------------------------------------------- 12.16: Abort and quit, console job
CONSOLE_JOB = """
@queued_exec
def collect():
    points = []
    while not manager.abort.is_set():
        points.append(len(points))
        time.sleep(0.005)
    return points

exp = collect()
"""


def test_abort_and_quit_ends_a_console_job_aborted_with_its_partial_data(qtbot, manager, tmp_path, monkeypatch):
    window = _open_window(qtbot, manager, tmp_path, monkeypatch)
    console = window.console
    qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
    with qtbot.waitSignal(console.executed, timeout=10_000):
        console.execute(CONSOLE_JOB)
    qtbot.waitUntil(lambda: manager.job_queue.running_job() is not None)
    job = manager.job_queue.running_job()
    answer = DialogAnswerer(qtbot, "Abort and quit")
    window.close()
    assert answer.done
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15000)
    assert job.status is ExpStatus.ABORTED, job.traceback
    assert isinstance(job.return_value, list)  # its partial data
    assert console.is_shut_down


# ----------------------------------------------------------------- 12.17: from hands-on use
def test_send_to_console_puts_its_note_on_a_line_of_its_own(qtbot, manager, tmp_path, monkeypatch):
    window = _open_window(qtbot, manager, tmp_path, monkeypatch)
    try:
        console = window.console
        qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
        with qtbot.waitSignal(console.executed, timeout=10_000):
            console.execute('print("no newline here", end="")')
        exp = manager.queued_exec(pow)(2, 8)
        exp.result(timeout=10)
        window.result_view.show_experiment(exp)
        qtbot.mouseClick(window.result_view.send_button, Qt.LeftButton)
        lines = console._control.toPlainText().splitlines()
        assert "# _r = result of pow(2, 8)" in lines
        assert "no newline here" in lines
    finally:
        _close(qtbot, window)


def test_delete_twice_removes_two_jobs_one_after_the_other(qtbot, manager, tmp_path, monkeypatch):
    window = _open_window(qtbot, manager, tmp_path, monkeypatch, docks=False)
    try:
        manager.pause_worker()
        jobs = [manager.queued_exec(noop)(i) for i in range(4)]
        table = window.table_view
        qtbot.waitUntil(lambda: table.model().rowCount() == 4)
        table.setFocus()
        _click_row(qtbot, table, 1)
        qtbot.keyClick(table, Qt.Key_Delete)
        qtbot.waitUntil(lambda: table.model().rowCount() == 3)
        qtbot.keyClick(table, Qt.Key_Delete)  # the job that took its place
        qtbot.waitUntil(lambda: table.model().rowCount() == 2)
        assert [exp.status for exp in jobs] == [ExpStatus.QUEUED, ExpStatus.CANCELLED, ExpStatus.CANCELLED,
                                               ExpStatus.QUEUED]
        table.clearSelection()
        qtbot.keyClick(table, Qt.Key_Delete)  # nothing selected: says so instead of nothing
        assert "Nothing selected" in window.status_bar.currentMessage()
    finally:
        _close(qtbot, window)


def test_messages_say_one_job_and_two_jobs_in_plain_english(qtbot, manager, tmp_path, monkeypatch):
    window = _open_window(qtbot, manager, tmp_path, monkeypatch, docks=False)
    try:
        done = manager.queued_exec(noop)(0)
        done.result(timeout=10)
        table = window.table_view
        qtbot.waitUntil(lambda: table.model().rowCount() == 1)
        table.setFocus()
        _click_row(qtbot, table, 0)
        qtbot.keyClick(table, Qt.Key_Delete)
        message = window.status_bar.currentMessage()
        assert message.startswith("Nothing removed: 1 job that is running or done.")
        assert "0 jobs" not in message and "job(s)" not in message
        manager.pause_worker()
        manager.queued_exec(noop)(1)
        answer = DialogAnswerer(qtbot, "Cancel")
        window.close()
        assert answer.done and "1 queued job has not run yet" in answer.texts[0] and "(s)" not in answer.texts[0]
    finally:
        _close(qtbot, window)


def test_the_result_pane_does_not_widen_itself_for_a_long_call(qtbot, manager, tmp_path, monkeypatch):
    window = _open_window(qtbot, manager, tmp_path, monkeypatch)
    try:
        short = manager.queued_exec(noop)(1)
        long = manager.queued_exec(noop)("x" * 600)  # one unbreakable word
        long.result(timeout=10)
        dock = window.result_view.parentWidget()
        window.result_view.show_experiment(short)
        qtbot.wait(50)  # let the layout settle (no state to wait for)
        width = dock.width()
        window.result_view.show_experiment(long)
        qtbot.wait(50)
        assert dock.width() == width
        assert window.result_view.minimumSizeHint().width() < 400
    finally:
        _close(qtbot, window)


def test_ctrl_c_while_the_console_waits_prints_one_short_line(qtbot, manager, tmp_path):
    from labqueue.gui.console import PythonConsole

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    console = PythonConsole(manager, settings=QSettings(str(tmp_path / "c.ini"), QSettings.IniFormat))
    qtbot.addWidget(console)
    try:
        qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
        manager.pause_worker()

        def press_ctrl_c_once_waiting(waiting: bool) -> None:  # the kernel runs the code after execute()
            if waiting:
                console.waiter.waiting_changed_signal.disconnect(press_ctrl_c_once_waiting)
                QTimer.singleShot(0, lambda: qtbot.keyClick(console._control, Qt.Key_C, Qt.ControlModifier))

        console.waiter.waiting_changed_signal.connect(press_ctrl_c_once_waiting)
        with qtbot.waitSignal(console.executed, timeout=10_000):
            console.execute("exp = queued_exec(abs)(-3)\nexp.result()")
        qtbot.waitUntil(lambda: "KeyboardInterrupt" in console._control.toPlainText())
        text = console._control.toPlainText()
        after = text[text.index("exp.result()"):]
        assert "Traceback" not in after and "console_wait" not in after and "labqueue" not in after
        assert "KeyboardInterrupt: stopped waiting for abs(-3)" in after
    finally:
        console.shutdown()


def test_the_test_email_answer_shows_whole_and_clears_an_old_error(qtbot, manager, tmp_path, monkeypatch):
    from labqueue.gui.notifications_dialog import NotificationsDialog
    from labqueue.notifications.smtp import EmailError

    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "config"))
    dialog = NotificationsDialog(manager)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.addresses_edit.setText("op@lab.example.org")
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)
    assert dialog.error_label.isVisible()  # "Not saved: enter the SMTP server"
    dialog.host_edit.setText("smtp.lab.example.org")
    reply = "550 5.7.1 " + " ".join(["the server refused the message for a reason it explains at length"] * 6)

    def refuse(*_args, **_kwargs):
        raise EmailError(reply)

    monkeypatch.setattr(manager.notifications, "send_test_email", refuse)
    with qtbot.waitSignal(dialog._result.result_signal, timeout=15_000):
        qtbot.mouseClick(dialog.test_button, Qt.LeftButton)
    assert dialog.wait_for_test_email(10)
    label = dialog.test_status
    qtbot.waitUntil(lambda: reply in label.text())
    assert not dialog.error_label.isVisible()  # the old complaint is gone
    qtbot.waitUntil(lambda: label.height() >= label.heightForWidth(label.width()))  # no line cut off
    assert label.geometry().right() <= label.parentWidget().contentsRect().right()

