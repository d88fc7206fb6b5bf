"""Save a screenshot of ``labqueue --demo`` for the README: ``python docs/make_screenshot.py docs/screenshot.png``.

Without a display it re-runs itself under ``xvfb-run``. It waits until the demo shows a finished,
a failed and a running job with progress, saves the window, and quits as a user would (the
running job is aborted, the worker joined). Saved window layouts of the user are not used.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TIMEOUT_S = 60
SIZE = (1280, 760)


def _rerun_under_xvfb() -> int:
    xvfb_run = shutil.which("xvfb-run")
    if xvfb_run is None:
        print("make_screenshot: no display and no xvfb-run (apt-get install xvfb)", file=sys.stderr)
        return 2
    cmd = [xvfb_run, "-a", "-s", "-screen 0 1600x1000x24", sys.executable, *sys.argv]
    return subprocess.run(cmd, check=False).returncode


def _take(out: Path) -> int:
    from qtpy.QtCore import QSettings, QTimer

    from labqueue.demo import queue_demo_jobs
    from labqueue.gui.app import create_application
    from labqueue.gui.main_window import MainWindow
    from labqueue.manager import ExpStatus, Manager

    settings_dir = tempfile.mkdtemp(prefix="labqueue-screenshot-")
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, settings_dir)  # a fresh default layout
    app = create_application()
    manager = Manager()
    window = MainWindow(manager)
    window.resize(*SIZE)
    window.show()
    queue_demo_jobs(manager)
    deadline = time.monotonic() + TIMEOUT_S
    result = {"code": 1}

    def ready() -> bool:
        statuses = {e.status for e in manager.job_queue.queue}
        running = manager.job_queue.running_job()
        return ({ExpStatus.FINISHED, ExpStatus.FAILED} <= statuses and running is not None
                and (running.progress or 0) >= 0.3)

    def poll() -> None:
        if ready():
            QTimer.singleShot(300, shoot)  # let the table and status bar catch up
        elif time.monotonic() > deadline:
            print("make_screenshot: the demo did not reach the expected state in time", file=sys.stderr)
            window.quit_without_asking()
        else:
            QTimer.singleShot(100, poll)

    def shoot() -> None:
        out.parent.mkdir(parents=True, exist_ok=True)
        if window.grab().save(str(out)):
            print(f"screenshot: {out}")
            result["code"] = 0
        window.quit_without_asking()

    QTimer.singleShot(500, poll)
    app.exec_()
    stopped = manager.shutdown(wait=True, timeout=10, abort=True)
    shutil.rmtree(settings_dir, ignore_errors=True)
    return result["code"] if stopped else 1


def main(argv: list[str]) -> int:
    out = Path(argv[1] if len(argv) > 1 else "docs/screenshot.png").resolve()
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        return _rerun_under_xvfb()
    return _take(out)


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
