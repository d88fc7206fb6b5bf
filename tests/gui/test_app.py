"""The ``labqueue`` command: no display → one clear line and exit 2; --version; --demo opens and quits."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys

from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication
from window_support import redirect_settings

import labqueue
from labqueue.gui import app
from labqueue.gui.main_window import MainWindow
from labqueue.manager import ExpStatus, live_managers


def test_without_a_display_it_prints_one_line_and_exits_2(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env["HOME"] = str(tmp_path)
    done = subprocess.run([sys.executable, "-m", "labqueue"], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 2
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert "no display" in lines[0] and "xvfb-run labqueue" in lines[0] and "ssh -X" in lines[0]
    assert done.stdout == ""


def test_display_detection():
    assert not app.display_available({}, "linux")
    assert app.display_available({"DISPLAY": ":0"}, "linux")
    assert app.display_available({"WAYLAND_DISPLAY": "wayland-0"}, "linux")
    assert app.display_available({"QT_QPA_PLATFORM": "offscreen"}, "linux")
    assert app.display_available({}, "win32") and app.display_available({}, "darwin")


def test_version(capsys):
    assert app.main(["--version"]) == 0
    assert capsys.readouterr().out.strip() == f"labqueue {labqueue.__version__}"


def test_bad_argument_exits_2(capsys):
    assert app.main(["--no-such-option"]) == 2
    assert "--no-such-option" in capsys.readouterr().err


def test_demo_opens_the_window_with_jobs_and_quits_cleanly(qtbot, tmp_path, monkeypatch):
    """Runs main(["--demo"]) in-process; a timer plays the user who looks and quits."""
    redirect_settings(tmp_path)
    monkeypatch.setattr(MainWindow, "_build_docks", lambda self: None)  # docks have their own tests
    seen: dict[str, object] = {}

    def look_and_quit() -> None:
        windows = [w for w in QApplication.topLevelWidgets() if isinstance(w, MainWindow) and w.isVisible()]
        if not windows:
            QTimer.singleShot(20, look_and_quit)
            return
        window = windows[0]
        seen["calls"] = [e.call_text for e in window.manager.job_queue.queue]
        seen["manager"] = window.manager
        window.quit_without_asking()

    handlers_before = list(logging.getLogger("labqueue").handlers)
    QTimer.singleShot(0, look_and_quit)
    assert app.main(["--demo"]) == 0
    assert logging.getLogger("labqueue").handlers == handlers_before  # main() cleaned up after itself
    calls = seen["calls"]
    assert len(calls) >= 6
    assert calls[0].startswith("SourceMeter.measure_resistance(")
    assert any(c.startswith("Spectrometer.acquire(") for c in calls)
    manager = seen["manager"]
    assert manager.is_shut_down and manager not in live_managers()
    assert all(e.done() for e in manager.job_queue.queue)
    assert not any(e.status is ExpStatus.QUEUED for e in manager.job_queue.queue)


def test_sigterm_during_the_demo_aborts_the_job_and_exits_cleanly(tmp_path):
    """The real program: quits on TERM while a job runs, exit 0, no "QThread: Destroyed" abort."""
    env = {k: v for k, v in os.environ.items() if k not in ("XDG_CONFIG_HOME", "XDG_DATA_HOME")}
    env.update(HOME=str(tmp_path), QT_QPA_PLATFORM="offscreen", PYTHONUNBUFFERED="1")
    proc = subprocess.Popen([sys.executable, "-m", "labqueue", "--demo"], env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    try:
        output = []
        for line in proc.stdout:  # the app logs job events to stderr
            output.append(line)
            if "Started: Cryostat.ramp_to" in line:
                break
        proc.send_signal(signal.SIGTERM)
        rest, _ = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    text = "".join(output) + rest
    assert proc.returncode == 0, text
    assert "Aborted: Cryostat.ramp_to" in text
    assert "QThread: Destroyed" not in text
