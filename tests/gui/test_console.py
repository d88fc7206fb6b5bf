"""The embedded console: namespace, queueing from typed code, waiting without freezing, shutdown."""

from __future__ import annotations

import threading

import pytest
from qtconsole import styles
from qtpy.QtCore import QSettings, Qt, QTimer
from qtpy.QtGui import QColor, QPalette
from qtpy.QtWidgets import QApplication

from labqueue.gui.console import BANNER, FONT_SIZE_KEY, PythonConsole
from labqueue.gui.job_table_model import EXPERIMENT_ROLE, Column, JobTableModel
from labqueue.manager import Experiment, ExpStatus


@pytest.fixture
def settings(tmp_path, monkeypatch) -> QSettings:
    """Console settings in tmp_path; IPython's profile and history go next to them, never to $HOME."""
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    return QSettings(str(tmp_path / "console.ini"), QSettings.IniFormat)


@pytest.fixture
def make_console(qtbot, manager, settings):
    made: list[PythonConsole] = []

    def factory(m=None) -> PythonConsole:
        console = PythonConsole(m or manager, settings=settings)
        qtbot.addWidget(console)
        made.append(console)
        qtbot.waitUntil(lambda: "In [1]" in text_of(console))
        return console

    yield factory
    for console in made:
        console.shutdown()


@pytest.fixture
def console(make_console) -> PythonConsole:
    return make_console()


def text_of(console: PythonConsole) -> str:
    return console._control.toPlainText()


def run(qtbot, console: PythonConsole, code: str) -> dict:
    """Execute ``code`` as if typed and wait for its reply; return the user namespace."""
    with qtbot.waitSignal(console.executed, timeout=10_000):
        console.execute(code)
    return console.shell.user_ns


def test_banner_shows_and_its_names_work(qtbot, console, manager):
    assert BANNER.splitlines()[0] in text_of(console)
    assert len(BANNER.strip().splitlines()) == 5
    assert "Shift+Enter" in BANNER and "empty line" in BANNER
    ns = run(qtbot, console, "exp = queued_exec(time.sleep)(0)\nresult = exp.result()")
    exp = ns["exp"]
    assert manager.job_queue.queue == [exp]
    assert exp.status is ExpStatus.FINISHED and ns["result"] is None
    ns = run(qtbot, console, "names = (manager, job_queue, Experiment, ExpStatus)")
    assert ns["names"][0] is manager and ns["names"][1] is manager.job_queue
    assert ns["names"][3] is ExpStatus


@pytest.fixture
def table_model(qtbot, manager) -> JobTableModel:
    """The table's model: it mirrors the queue through the GUI thread's event loop."""
    return JobTableModel(manager.job_queue)


def test_typed_call_shows_in_the_table_and_its_result_is_read(qtbot, console, manager, table_model):
    manager.pause_worker()
    ns = run(qtbot, console, "def double(x):\n    return 2 * x\n\nexp = queued_exec(double)(21)")
    qtbot.waitUntil(lambda: table_model.rowCount() == 1)
    assert table_model.index(0, Column.CALL).data() == "double(21)"
    assert table_model.index(0, 0).data(EXPERIMENT_ROLE) is ns["exp"]
    assert [e.call_text for e in manager.job_queue.queue] == ["double(21)"]
    manager.resume_worker()
    ns = run(qtbot, console, "answer = exp.result()")
    assert ns["answer"] == 42


def test_user_types_a_call_and_presses_enter(qtbot, console, manager, table_model, recwarn):
    console._control.setFocus()
    qtbot.keyClicks(console._control, "exp = queued_exec(abs)(-5)")
    with qtbot.waitSignal(console.executed, timeout=10_000):
        qtbot.keyClick(console._control, Qt.Key_Return)
    qtbot.waitUntil(lambda: table_model.rowCount() == 1)
    assert table_model.index(0, Column.CALL).data() == "abs(-5)"
    qtbot.keyClicks(console._control, "exp.res")
    qtbot.keyClick(console._control, Qt.Key_Tab)  # completion request to the kernel
    qtbot.waitUntil(lambda: console.input_buffer == "exp.result")
    qtbot.keyClicks(console._control, "()")
    with qtbot.waitSignal(console.executed, timeout=10_000):
        qtbot.keyClick(console._control, Qt.Key_Return)
    qtbot.waitUntil(lambda: "Out[2]: 5" in text_of(console))
    assert [str(w.message) for w in recwarn.list] == []


def _release_when_the_table_shows_running(model: JobTableModel, release: threading.Event) -> None:
    def check(*_args) -> None:
        rows = range(model.rowCount())
        if any(model.index(r, Column.STATUS).data().startswith("Running") for r in rows):
            release.set()

    model.dataChanged.connect(check)


def test_result_wait_keeps_the_table_updating(qtbot, console, manager, table_model):
    # The job ends only once the table model (GUI thread) shows it running. With a blocking
    # result() the event loop would be frozen, the job would time out and return False.
    release = threading.Event()
    _release_when_the_table_shows_running(table_model, release)
    console.push({"release": release})
    ns = run(qtbot, console, "exp = queued_exec(release.wait)(10)\nok = exp.result()")
    assert ns["ok"] is True
    assert not console.waiter.is_waiting


def test_result_of_a_job_queued_any_way_keeps_the_table_updating(qtbot, console, manager, table_model):
    release = threading.Event()
    _release_when_the_table_shows_running(table_model, release)
    console.push({"release": release})
    code = ("exp = Experiment(release.wait, (10,))\njob_queue.put(exp)\n"
            "again = manager.queued_exec(release.wait)(10)\nok = [exp.result(), again.exception()]")
    ns = run(qtbot, console, code)
    assert ns["ok"] == [True, None]
    assert ns["exp"].status is ns["again"].status is ExpStatus.FINISHED


def when_the_console_waits(console: PythonConsole, fn) -> None:
    """Call ``fn()`` from the event loop once, as soon as code in the console starts waiting for a job."""
    def started(waiting: bool) -> None:
        if waiting:
            console.waiter.waiting_changed_signal.disconnect(started)
            QTimer.singleShot(0, fn)

    console.waiter.waiting_changed_signal.connect(started)


def test_waiting_on_a_paused_queue_hints_and_ctrl_c_stops_the_wait(qtbot, console, manager):
    manager.pause_worker()

    def press_ctrl_c():
        assert console.waiter.is_waiting
        qtbot.keyClick(console._control, Qt.Key_C, Qt.ControlModifier)

    when_the_console_waits(console, press_ctrl_c)
    ns = run(qtbot, console, "exp = queued_exec(abs)(-3)\nexp.result()")
    qtbot.waitUntil(lambda: "KeyboardInterrupt" in text_of(console))
    assert "The queue is paused" in text_of(console)
    assert ns["exp"].status is ExpStatus.QUEUED  # the job itself is untouched
    manager.resume_worker()
    ns = run(qtbot, console, "value = exp.result()")
    assert ns["value"] == 3


def test_a_wait_inside_a_console_wait_and_ctrl_c_ends_both(qtbot, console, manager):
    # Other GUI code may wait for a job while the console waits (e.g. from a slot).
    manager.pause_worker()
    inner = manager.queued_exec(abs)(-2)
    outcome = []

    def wait_from_a_slot():
        QTimer.singleShot(0, lambda: qtbot.keyClick(console._control, Qt.Key_C, Qt.ControlModifier))
        try:
            inner.result()
        except KeyboardInterrupt:
            outcome.append("inner interrupted")

    when_the_console_waits(console, wait_from_a_slot)
    run(qtbot, console, "exp = queued_exec(abs)(-3)\nexp.result()")
    qtbot.waitUntil(lambda: "KeyboardInterrupt" in text_of(console))
    assert outcome == ["inner interrupted"] and not console.waiter.is_waiting


def test_result_timeout_raises_timeout_error(qtbot, console, manager):
    manager.pause_worker()
    run(qtbot, console, "exp = queued_exec(abs)(-3)\nexp.result(timeout=0.01)")
    qtbot.waitUntil(lambda: "TimeoutError" in text_of(console))
    assert not console.waiter.is_waiting


def test_run_i_script_queues_its_jobs(qtbot, console, manager, tmp_path):
    script = tmp_path / "sweep.py"
    script.write_text("@queued_exec\ndef step(i):\n    return i * i\n\njobs = [step(i) for i in range(3)]\n")
    ns = run(qtbot, console, f"%run -i {script}")
    assert [e.call_text for e in manager.job_queue.queue] == ["step(0)", "step(1)", "step(2)"]
    ns = run(qtbot, console, "squares = [job.result() for job in jobs]")
    assert ns["squares"] == [0, 1, 4]


def test_font_size_keys_change_and_remember_it(qtbot, make_console, settings):
    console = make_console()
    console.show()
    qtbot.waitExposed(console)
    QApplication.setActiveWindow(console)  # no window manager under Xvfb to activate it
    console._control.setFocus()
    before = console.font.pointSize()
    qtbot.keyClick(console._control, Qt.Key_Plus, Qt.ControlModifier)
    qtbot.keyClick(console._control, Qt.Key_Equal, Qt.ControlModifier)  # Ctrl+= : "+" without Shift
    assert console.font.pointSize() == before + 2
    qtbot.keyClick(console._control, Qt.Key_Minus, Qt.ControlModifier)
    assert console.font.pointSize() == before + 1
    assert int(settings.value(FONT_SIZE_KEY)) == before + 1
    qtbot.keyClick(console._control, Qt.Key_0, Qt.ControlModifier)
    assert console.font.pointSize() == before and settings.value(FONT_SIZE_KEY) is None
    qtbot.keyClick(console._control, Qt.Key_Minus, Qt.ControlModifier)
    console.shutdown()  # one kernel per process: the next console starts after this one ended
    assert make_console().font.pointSize() == before - 1


def test_console_follows_the_light_or_dark_palette(qtbot, make_console):
    app = QApplication.instance()
    old = app.palette()
    light, dark = QPalette(old), QPalette(old)
    light.setColor(QPalette.Window, QColor(240, 240, 240))
    dark.setColor(QPalette.Window, QColor(30, 30, 30))
    try:
        app.setPalette(light)
        console = make_console()
        assert console.syntax_style == styles.default_light_syntax_style
        assert console.style_sheet == styles.default_light_style_sheet
        app.setPalette(dark)
        qtbot.waitUntil(lambda: console.syntax_style == styles.default_dark_syntax_style)
        assert console.style_sheet == styles.default_dark_style_sheet
        app.setPalette(light)
        qtbot.waitUntil(lambda: console.syntax_style == styles.default_light_syntax_style)
    finally:
        app.setPalette(old)


def test_shutdown_leaves_no_thread_and_no_warning(qtbot, manager, settings, recwarn, tmp_path):
    before = set(threading.enumerate())
    console = PythonConsole(manager, settings=settings)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: "In [1]" in text_of(console))
    run(qtbot, console, "x = 1")
    console.shutdown()
    assert set(threading.enumerate()) <= before
    assert console.is_shut_down
    assert type(manager.queued_exec(abs)(1)) is Experiment  # the console no longer adopts jobs
    assert console.ipython_dir() == str(tmp_path / "ipython")
    assert (tmp_path / "ipython" / "profile_default" / "history.sqlite").is_file()
    assert [str(w.message) for w in recwarn.list] == []


def test_shutdown_while_waiting_stops_the_wait_then_the_kernel(qtbot, manager, settings):
    before = set(threading.enumerate())
    console = PythonConsole(manager, settings=settings)
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: "In [1]" in text_of(console))
    manager.pause_worker()
    # e.g. the window is closed while the console waits
    when_the_console_waits(console, console.shutdown)
    with qtbot.waitSignal(console.shut_down_signal, timeout=10_000):
        console.execute("exp = queued_exec(abs)(-1)\nexp.result()")
    assert set(threading.enumerate()) <= before
    assert manager.job_queue.queue[0].status is ExpStatus.QUEUED


def test_a_block_typed_line_by_line_dedents_after_return_and_runs_on_an_empty_line(qtbot, console):
    control = console._control
    control.setFocus()
    qtbot.keyClicks(control, "def double(x):")
    qtbot.keyClick(control, Qt.Key_Return)
    qtbot.waitUntil(lambda: console.input_buffer == "def double(x):\n    ")  # indented for the body
    qtbot.keyClicks(control, "if x is None:")
    qtbot.keyClick(control, Qt.Key_Return)
    qtbot.waitUntil(lambda: console.input_buffer.endswith("if x is None:\n        "))
    qtbot.keyClicks(control, "return 0")
    qtbot.keyClick(control, Qt.Key_Return)
    qtbot.waitUntil(lambda: console.input_buffer.endswith("return 0\n    "))  # one level out
    qtbot.keyClicks(control, "return 2 * x")
    qtbot.keyClick(control, Qt.Key_Return)
    qtbot.waitUntil(lambda: console.input_buffer.endswith("return 2 * x\n"))  # back at the left edge
    with qtbot.waitSignal(console.executed, timeout=10_000):
        qtbot.keyClick(control, Qt.Key_Return)  # the empty line runs the block
    ns = console.shell.user_ns
    assert ns["double"](21) == 42 and ns["double"](None) == 0


def test_dedent_rule_leaves_other_lines_alone():
    from labqueue.gui.console_dedent import dedent_after_block_end

    assert dedent_after_block_end("def f():\n    return 1", "incomplete", 4) == 0
    assert dedent_after_block_end("for i in x:\n    if i:\n        break", "incomplete", 8) == 4
    assert dedent_after_block_end("def f():\n    returned = 1", "incomplete", 4) == 4  # a name, not return
    assert dedent_after_block_end("def f():\n    return (1,", "incomplete", 8) == 8  # open bracket
    assert dedent_after_block_end("x = 1", "complete", None) is None
