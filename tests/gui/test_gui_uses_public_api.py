"""The GUI reads the queue only through its change stream and public methods (issue 10).

A GUI module that takes the queue's lock can freeze the window behind a worker that holds it; one
that calls private engine methods breaks whenever the engine changes underneath.
"""

from __future__ import annotations

import re
from pathlib import Path

import labqueue.gui

GUI_DIR = Path(labqueue.gui.__file__).parent

FORBIDDEN = {
    "the queue's lock": re.compile(r"\.changed\b(?!_signal)|\b_lock\b(?!\w)"),
    "a private method or attribute of an engine object": re.compile(
        r"\b(?:job_queue|_job_queue|queue|manager|_manager|worker|exp|job|experiment)\._[a-z]\w*"),
    "the worker's pause event (use PauseChanged records)": re.compile(
        r"running_changed_signal|_WakingEvent|\.running\.(?:is_set|set|clear|wait)\b"),
    "the old per-view feed (one subscription per window: QueueMirror)": re.compile(r"\bchange_feed\(\)"),
}


def test_no_gui_module_takes_the_queue_lock_or_calls_private_engine_code():
    found = []
    for path in sorted(GUI_DIR.rglob("*.py")):
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            code = line.split("#", 1)[0]
            for what, pattern in FORBIDDEN.items():
                if pattern.search(code):
                    found.append(f"{path.relative_to(GUI_DIR)}:{number}: {what}: {line.strip()}")
    assert not found, "\n".join(found)


def test_the_window_subscribes_to_the_queue_once(qtbot, manager, tmp_path, monkeypatch):
    from window_support import redirect_settings

    from labqueue.gui.main_window import MainWindow

    redirect_settings(tmp_path)
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    calls = []
    subscribe = manager.job_queue.subscribe
    monkeypatch.setattr(manager.job_queue, "subscribe", lambda: calls.append(1) or subscribe())
    window = MainWindow(manager)
    qtbot.addWidget(window)
    assert len(calls) == 1
    window.quit_without_asking()
    qtbot.waitUntil(lambda: manager.is_shut_down)
