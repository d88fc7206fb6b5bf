"""Remote access: other Jupyter clients attach to the window's kernel through its connection file."""

from __future__ import annotations

import asyncio
import json
import os
import stat
import subprocess
import sys
import threading

import psutil
import pytest
from jupyter_client import BlockingKernelClient
from jupyter_core.utils import ensure_event_loop
from qtpy.QtCore import QSettings

from labqueue.gui.console import SHUTDOWN_FROM_CONSOLE, PythonConsole
from labqueue.gui.console_wait import WaitInterrupted
from labqueue.gui.job_table_model import Column, JobTableModel
from labqueue.gui.kernel.window_ipython_kernel import SHUTDOWN_REFUSED
from labqueue.manager import ExpStatus


@pytest.fixture
def runtime_dir(tmp_path, monkeypatch):
    path = tmp_path / "runtime"
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(path))
    return path


@pytest.fixture
def console(qtbot, manager, tmp_path, monkeypatch, runtime_dir):
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    console = PythonConsole(manager, settings=QSettings(str(tmp_path / "console.ini"), QSettings.IniFormat))
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
    yield console
    console.shutdown()


@pytest.fixture
def table_model(manager) -> JobTableModel:
    return JobTableModel(manager.job_queue)


def client_for(console: PythonConsole, key: bytes | None = None) -> BlockingKernelClient:
    client = BlockingKernelClient(connection_file=str(console.connection_file))
    client.load_connection_file()
    if key is not None:
        client.session.key = key
    return client


def close_this_threads_event_loop() -> None:
    """jupyter_client's blocking calls leave an asyncio loop per thread; close it with the thread."""
    loop = ensure_event_loop()
    loop.close()
    asyncio.set_event_loop(None)


class RemoteRun:
    """Runs code through a blocking client on a thread, as another process would; the GUI thread spins."""

    def __init__(self, console: PythonConsole, code: str, answer: str | None = None,
                 answer_after: threading.Event | None = None):
        self.client = client_for(console)
        self.reply: dict | None = None
        self.outputs: list[str] = []
        self.prompts: list[str] = []
        self._answer = answer
        self._answer_after = answer_after
        self._thread = threading.Thread(target=self._run, args=(code,), name="remote client")
        self._thread.start()

    def _run(self, code: str) -> None:
        self.client.start_channels()
        try:
            self.client.wait_for_ready(timeout=30)
            self.reply = self.client.execute_interactive(code, timeout=60, output_hook=self._output,
                                                         allow_stdin=self._answer is not None,
                                                         stdin_hook=self._stdin)["content"]
        finally:
            self.client.stop_channels()
            close_this_threads_event_loop()

    def _output(self, msg: dict) -> None:
        content = msg["content"]
        if msg["msg_type"] in ("stream", "execute_result", "error"):
            self.outputs.append(content.get("text") or content.get("data", {}).get("text/plain", "")
                                or content.get("evalue", ""))

    def _stdin(self, msg: dict) -> None:
        self.prompts.append(msg["content"]["prompt"])
        if self._answer_after is not None:
            self._answer_after.wait(10)
        self.client.input(self._answer)

    def finished(self) -> bool:
        return not self._thread.is_alive()

    def join(self) -> None:
        self._thread.join(60)


def test_jupyter_console_cli_queues_a_job_that_runs_and_shows_in_the_table(qtbot, console, manager,
                                                                           table_model, tmp_path):
    name = console.connection_file.name
    assert name == f"kernel-labqueue-{os.getpid()}.json"
    env = dict(os.environ, IPYTHONDIR=str(tmp_path / "client-ipython"),
               JUPYTER_CONFIG_DIR=str(tmp_path / "client-config"))
    typed = "exp = queued_exec(abs)(-7)\nprint('result:', exp.result())\n"
    proc = subprocess.Popen([sys.executable, "-m", "jupyter_console", "--existing", name, "--simple-prompt"],
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, env=env)
    try:
        proc.stdin.write(typed)
        proc.stdin.close()  # end of input: jupyter console leaves (and keeps the kernel alive)
        qtbot.waitUntil(lambda: proc.poll() is not None, timeout=60_000)  # the window serves it meanwhile
        output = proc.stdout.read()
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        proc.stdout.close()
    assert "result: 7" in output, output
    qtbot.waitUntil(lambda: table_model.rowCount() == 1)
    assert table_model.index(0, Column.CALL).data() == "abs(-7)"
    assert table_model.index(0, Column.STATUS).data().startswith("Finished")
    assert console.shell.user_ns["exp"] is manager.job_queue.queue[0]
    assert console.kernel.is_running  # the client left, the window's kernel stays


def test_remote_result_waits_while_the_table_keeps_updating(qtbot, console, manager, table_model):
    # The job ends only once the table (GUI thread) shows it running: a remote exp.result()
    # that blocked the event loop would leave the job waiting until its 10 s timeout (False).
    release = threading.Event()

    def check(*_args) -> None:
        if any(table_model.index(r, Column.STATUS).data().startswith("Running")
               for r in range(table_model.rowCount())):
            release.set()

    table_model.dataChanged.connect(check)
    console.push({"release": release})
    remote = RemoteRun(console, "exp = queued_exec(release.wait)(10)\nexp.result()")
    qtbot.waitUntil(remote.finished, timeout=30_000)
    remote.join()
    assert remote.reply["status"] == "ok"
    assert remote.outputs == ["True"]
    assert manager.job_queue.queue[0].status is ExpStatus.FINISHED


def test_connection_file_is_private_and_ports_are_on_localhost_only(console, runtime_dir):
    path = console.connection_file
    assert path.parent == runtime_dir
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    info = json.loads(path.read_text())
    assert info["ip"] == "127.0.0.1" and info["transport"] == "tcp"
    assert info["signature_scheme"] == "hmac-sha256" and len(info["key"]) >= 32
    ports = {info[f"{name}_port"] for name in ("shell", "iopub", "stdin", "control", "hb")}
    assert len(ports) == 5
    listening = {c.laddr.port: c.laddr.ip for c in psutil.Process().net_connections(kind="inet")
                 if c.status == psutil.CONN_LISTEN}
    assert {port: listening.get(port) for port in ports} == {port: "127.0.0.1" for port in ports}


def test_connection_file_is_removed_on_shutdown_and_leaves_no_thread(qtbot, manager, tmp_path, runtime_dir):
    before = set(threading.enumerate())
    console = PythonConsole(manager, settings=QSettings(str(tmp_path / "c.ini"), QSettings.IniFormat))
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
    path = console.connection_file
    assert path.is_file()
    console.shutdown()
    assert not path.exists() and console.connection_file is None
    assert set(threading.enumerate()) <= before


def test_a_client_with_a_wrong_key_is_ignored(qtbot, console, caplog):
    intruder = client_for(console, key=b"not-the-key")
    intruder.start_channels()
    try:
        intruder.execute("intruded = True")
        qtbot.waitUntil(lambda: "signed with the wrong key" in caplog.text, timeout=10_000)
    finally:
        intruder.stop_channels()
    remote = RemoteRun(console, "answer = 6 * 7")
    qtbot.waitUntil(remote.finished, timeout=30_000)
    remote.join()
    assert remote.reply["status"] == "ok"
    assert console.shell.user_ns["answer"] == 42 and "intruded" not in console.shell.user_ns


def test_stale_connection_files_are_removed_and_never_reused(qtbot, manager, tmp_path, runtime_dir):
    runtime_dir.mkdir(parents=True)
    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    dead = runtime_dir / f"kernel-labqueue-{int(ended.stdout)}.json"
    ours = runtime_dir / f"kernel-labqueue-{os.getpid()}.json"  # a crashed session that had our pid
    alive = runtime_dir / f"kernel-labqueue-{os.getppid()}.json"  # another window that still runs
    stale = {"shell_port": 1, "iopub_port": 2, "stdin_port": 3, "control_port": 4, "hb_port": 5,
             "ip": "127.0.0.1", "key": "stale-key", "transport": "tcp", "signature_scheme": "hmac-sha256"}
    for path in (dead, ours, alive):
        path.write_text(json.dumps(stale))
    console = PythonConsole(manager, settings=QSettings(str(tmp_path / "c.ini"), QSettings.IniFormat))
    qtbot.addWidget(console)
    try:
        qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
        assert not dead.exists() and alive.exists()
        info = json.loads(ours.read_text())
        assert info["key"] != "stale-key" and info["shell_port"] != 1
    finally:
        console.shutdown()


def test_remote_shutdown_request_is_refused_and_the_window_goes_on(qtbot, console, caplog):
    client = client_for(console)
    replies = []

    def ask_to_shut_down():
        client.start_channels()
        try:
            client.wait_for_ready(timeout=30)
            client.shutdown()
            replies.append(client.control_channel.get_msg(timeout=30)["content"])
        finally:
            client.stop_channels()
            close_this_threads_event_loop()

    thread = threading.Thread(target=ask_to_shut_down)
    thread.start()
    qtbot.waitUntil(lambda: not thread.is_alive(), timeout=30_000)
    thread.join()
    assert replies[0]["status"] == "error" and replies[0]["evalue"] == SHUTDOWN_REFUSED
    assert "refused" in caplog.text
    remote = RemoteRun(console, "still = 'here'")
    qtbot.waitUntil(remote.finished, timeout=30_000)
    remote.join()
    assert console.shell.user_ns["still"] == "here"


def test_manager_shutdown_typed_remotely_is_refused_and_nothing_queued_is_lost(qtbot, console, manager):
    manager.pause_worker()
    queued = manager.queued_exec(abs)(-1)
    remote = RemoteRun(console, "manager.shutdown()")
    qtbot.waitUntil(remote.finished, timeout=30_000)
    remote.join()
    assert remote.reply["status"] == "error" and remote.reply["ename"] == "RuntimeError"
    assert remote.reply["evalue"] == SHUTDOWN_FROM_CONSOLE
    assert not manager.is_shut_down and queued.status is ExpStatus.QUEUED
    manager.resume_worker()
    assert manager.queued_exec(abs)(-2).result(timeout=10) == 2


def test_interrupt_request_from_a_client_stops_a_remote_wait(qtbot, console, manager):
    manager.pause_worker()
    interrupter = client_for(console)
    interrupter.start_channels()

    def interrupt_once_waiting(waiting: bool) -> None:  # runs inside the wait's local event loop
        if waiting:
            console.waiter.waiting_changed_signal.disconnect(interrupt_once_waiting)
            interrupter.control_channel.send(interrupter.session.msg("interrupt_request", {}))

    console.waiter.waiting_changed_signal.connect(interrupt_once_waiting)
    try:
        remote = RemoteRun(console, "exp = queued_exec(abs)(-3)\nexp.result()")
        qtbot.waitUntil(remote.finished, timeout=30_000)
    finally:
        interrupter.stop_channels()
    remote.join()
    assert remote.reply["status"] == "error" and remote.reply["ename"] == WaitInterrupted.__name__
    assert manager.job_queue.queue[0].status is ExpStatus.QUEUED  # the job itself is untouched


def test_help_remote_access_shows_the_exact_commands_and_quit_removes_the_file(qtbot, manager, tmp_path,
                                                                              monkeypatch, runtime_dir):
    from qtpy.QtCore import Qt
    from qtpy.QtWidgets import QApplication, QMessageBox

    from labqueue.gui.main_window import MainWindow

    monkeypatch.delenv("IPYTHONDIR", raising=False)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    window = MainWindow(manager)
    qtbot.addWidget(window)
    window.show()
    qtbot.waitExposed(window)
    path = window.console.connection_file
    ports = json.loads(path.read_text())
    help_menu = window.menu("Help")
    action = next(a for a in help_menu.actions() if a.objectName() == "remote_access_action")
    assert help_menu.actions().index(action) == len(help_menu.actions()) - 2  # just above About
    action.trigger()
    box = next(w for w in QApplication.topLevelWidgets()
               if isinstance(w, QMessageBox) and w.objectName() == "remote_access_box")
    text = box.text()
    assert f"jupyter console --existing kernel-labqueue-{os.getpid()}.json" in text
    assert f"jupyter qtconsole --existing kernel-labqueue-{os.getpid()}.json" in text
    assert str(path) in text and "--ssh" in text
    for name in ("shell", "iopub", "stdin", "control", "hb"):
        port = ports[f"{name}_port"]
        assert f"-L {port}:127.0.0.1:{port}" in text
    assert "0600" in text and "127.0.0.1" in text
    qtbot.keyClick(box, Qt.Key_Escape)
    window.quit_without_asking()
    qtbot.waitUntil(lambda: not window.isVisible(), timeout=15_000)
    assert not path.exists()


def _free_port_run(count: int = 5) -> int:
    """The first of ``count`` consecutive ports that are free on 127.0.0.1."""
    from labqueue.gui.kernel.kernel_ports import ports_in_use

    for base in range(41000, 60000, 97):
        if not ports_in_use({str(i): base + i for i in range(count)}):
            return base
    pytest.skip("no run of free ports")


def _start_console(qtbot, manager, tmp_path) -> PythonConsole:
    console = PythonConsole(manager, settings=QSettings(str(tmp_path / "c.ini"), QSettings.IniFormat))
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
    return console


def test_fixed_ports_from_the_environment(qtbot, manager, tmp_path, monkeypatch, runtime_dir):
    base = _free_port_run()
    monkeypatch.setenv("LABQUEUE_KERNEL_PORTS", str(base))
    console = _start_console(qtbot, manager, tmp_path)
    try:
        info = json.loads(console.connection_file.read_text())
        assert [info[f"{name}_port"] for name in ("shell", "iopub", "stdin", "control", "hb")] == \
            [base, base + 1, base + 2, base + 3, base + 4]
        remote = RemoteRun(console, "here = True")
        qtbot.waitUntil(remote.finished, timeout=30_000)
        remote.join()
        assert console.shell.user_ns["here"] is True
    finally:
        console.shutdown()


def test_fixed_ports_in_use_fall_back_to_free_ports_with_a_message(qtbot, manager, tmp_path, monkeypatch,
                                                                   runtime_dir, caplog):
    import socket

    base = _free_port_run()
    monkeypatch.setenv("LABQUEUE_KERNEL_PORTS", str(base))
    with socket.socket() as squatter:  # e.g. another labqueue window started with the same setting
        squatter.bind(("127.0.0.1", base + 2))
        squatter.listen()
        console = _start_console(qtbot, manager, tmp_path)
        try:
            assert f"{base + 2} already in use" in caplog.text
            info = json.loads(console.connection_file.read_text())
            assert base + 2 not in {info[f"{name}_port"] for name in ("shell", "iopub", "stdin", "control", "hb")}
            remote = RemoteRun(console, "here = True")
            qtbot.waitUntil(remote.finished, timeout=30_000)
            remote.join()
            assert console.shell.user_ns["here"] is True
        finally:
            console.shutdown()


def test_input_typed_remotely_asks_that_client_and_the_window_goes_on(qtbot, console, manager, table_model):
    from qtpy.QtCore import QTimer

    manager.queued_exec(abs)(-1).result(timeout=10)  # one row in the table before
    gui_alive = threading.Event()  # the GUI thread's event loop ran while input() waited
    ticker = QTimer()
    ticker.timeout.connect(lambda: console.kernel.is_reading_input and gui_alive.set())
    ticker.start(20)
    remote = RemoteRun(console, "name = input('Sample name? ')\nexp = queued_exec(str.upper)(name)",
                       answer="quartz", answer_after=gui_alive)
    qtbot.waitUntil(remote.finished, timeout=30_000)
    ticker.stop()
    remote.join()
    assert gui_alive.is_set()
    assert remote.reply["status"] == "ok" and remote.prompts == ["Sample name? "]
    assert console.shell.user_ns["name"] == "quartz"
    qtbot.waitUntil(lambda: table_model.rowCount() == 2)
    assert console.shell.user_ns["exp"].result(timeout=10) == "QUARTZ"
