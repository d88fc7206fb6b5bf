"""Child process of figure 8: start an app, print READY once it is usable, then quit.

    python startup_child.py labqueue   # the real ``labqueue`` command (gui.app.main)
    python startup_child.py bare       # QApplication + an empty QMainWindow

"Usable" means the main window is shown and, for labqueue, the console shows its first prompt.
The parent times from starting this process to reading READY.
"""

from __future__ import annotations

import sys

from qtpy.QtCore import QTimer
from qtpy.QtWidgets import QApplication, QMainWindow

READY = "READY"


def _labqueue_window() -> QMainWindow | None:
    for widget in QApplication.topLevelWidgets():
        if type(widget).__name__ == "MainWindow" and widget.isVisible():
            return widget
    return None


def _console_ready(window: QMainWindow) -> bool:
    console = getattr(window, "console", None)
    return console is not None and "In [1]" in console._control.toPlainText()


def run_labqueue() -> int:
    """Run ``labqueue`` (no arguments) and quit it as soon as its window and console are ready."""
    from labqueue.gui.app import main

    app = QApplication.instance() or QApplication(sys.argv[:1])  # main() reuses it

    def poll() -> None:
        window = _labqueue_window()
        if window is not None and _console_ready(window):
            print(READY, flush=True)
            window.quit_without_asking()
        else:
            QTimer.singleShot(2, poll)

    QTimer.singleShot(0, poll)
    code = main([])
    del app
    return code


def run_bare() -> int:
    app = QApplication(sys.argv[:1])
    window = QMainWindow()
    window.setWindowTitle("bare")
    window.resize(1100, 650)
    window.show()

    def ready() -> None:
        print(READY, flush=True)
        window.close()
        app.quit()

    QTimer.singleShot(0, ready)
    return app.exec_()


if __name__ == "__main__":
    sys.exit(run_labqueue() if sys.argv[1:] == ["labqueue"] else run_bare())
