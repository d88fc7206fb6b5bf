"""The ``labqueue`` command: ``labqueue [--demo] [--version]`` opens the window around a new Manager;
``labqueue run SCRIPT.py`` runs a jobs script without a window (see :mod:`labqueue.script_run`)."""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Sequence

import labqueue

__all__ = ["main", "NO_DISPLAY_MESSAGE", "display_available", "create_application"]

logger = logging.getLogger("labqueue")

NO_DISPLAY_MESSAGE = ("labqueue: no display found (DISPLAY and WAYLAND_DISPLAY are not set). Run it from a "
                      "desktop session, over 'ssh -X', or without a screen as 'xvfb-run labqueue'.")

#: Seconds the app waits for an aborted job when it quits other than through the window.
EXIT_TIMEOUT_S = 10.0


def _parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="labqueue", description="A desktop job queue for lab measurements.")
    parser.add_argument("--demo", action="store_true",
                        help="queue simulated instrument jobs that show every job state within a minute")
    parser.add_argument("--version", action="version", version=f"labqueue {labqueue.__version__}")
    parser.add_argument("--history", metavar="FILE",
                        help="write the history of every job to this journal file (SQLite; default: the one "
                             "chosen in Settings, else journal.sqlite in the user data folder)")
    parser.add_argument("--no-history", action="store_true", help="keep no history journal this time")
    commands = parser.add_subparsers(dest="command", metavar="{run}")
    run = commands.add_parser(
        "run", help="run a jobs script without a window", description=(
            "Run SCRIPT.py without a window, with the console's names (queued_exec, manager, job_queue, "
            "Experiment, ExpStatus, time). Exit status: 0 every job finished; 1 a job failed or was aborted, "
            "or the script raised; 2 the script could not be run; 130 Ctrl+C."))
    run.add_argument("script", metavar="SCRIPT.py", help="the jobs script")
    run.add_argument("--history", metavar="FILE", dest="run_history",
                     help="record every job in this journal file (SQLite; the window's History shows it)")
    run.add_argument("--log-dir", metavar="DIR", help="write daily log files to this directory")
    run.add_argument("--stop-on-failure", action="store_true",
                     help="cancel the queued jobs at the first failure (default: the next jobs still run)")
    return parser.parse_args(argv)


def display_available(environ: dict[str, str] | None = None, platform: str | None = None) -> bool:
    """False on Linux/BSD when no display and no Qt platform is set, where Qt would abort."""
    env = os.environ if environ is None else environ
    platform = sys.platform if platform is None else platform
    if platform.startswith(("win", "darwin", "cygwin")):
        return True
    return any(env.get(name) for name in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))


def create_application(argv: Sequence[str] | None = None):
    """The QApplication, named for QSettings ("labqueue"/"labqueue"), with the app icon."""
    from qtpy.QtWidgets import QApplication

    from labqueue.gui.app_settings import APPLICATION, ORGANIZATION
    from labqueue.gui.resources import icon

    app = QApplication.instance() or QApplication(list(argv) if argv is not None else sys.argv[:1])
    app.setOrganizationName(ORGANIZATION)
    app.setApplicationName(APPLICATION)
    app.setApplicationVersion(labqueue.__version__)
    app.setWindowIcon(icon("labqueue"))
    return app


def _stderr_log_handler() -> logging.Handler:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S"))
    handler.setLevel(logging.INFO)
    return handler


def main(argv: Sequence[str] | None = None) -> int:
    """Run the app; returns the exit code (2: no display)."""
    try:
        args = _parse_args(argv)
    except SystemExit as exc:  # --help, --version, bad arguments
        return exc.code if isinstance(exc.code, int) else 0
    if args.command == "run":
        from labqueue.script_run.runner import run_script

        return run_script(args.script, history_file=args.run_history, log_dir=args.log_dir,
                          stop_on_failure=args.stop_on_failure)
    if not display_available():
        print(NO_DISPLAY_MESSAGE, file=sys.stderr)
        return 2

    from qtpy.QtCore import QTimer

    from labqueue.demo import queue_demo_jobs
    from labqueue.gui.excepthook import install_excepthook
    from labqueue.gui.main_window import MainWindow
    from labqueue.manager import Manager

    app = create_application()
    labqueue_logger = logging.getLogger("labqueue")
    log_handler = _stderr_log_handler()
    labqueue_logger.addHandler(log_handler)
    old_level = labqueue_logger.level
    if old_level == logging.NOTSET:
        labqueue_logger.setLevel(logging.INFO)
    hook = install_excepthook()
    from labqueue.gui.journal.journal_location import WINDOW_HISTORY_LIMIT, window_journal_path

    history_file = None if args.no_history else window_journal_path(args.history)
    manager = Manager(history_file=history_file, history_limit=WINDOW_HISTORY_LIMIT)
    hung = None
    previous_handlers = {signum: signal.getsignal(signum) for signum in (signal.SIGINT, signal.SIGTERM)}
    try:
        window = MainWindow(manager)
        hook.parent_widget = window
        # Ctrl+C in the terminal or a TERM signal close the window as if the user had confirmed.
        # Python only runs signal handlers between byte codes: a timer lets it look regularly.
        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, lambda *_: window.quit_without_asking())
        signal_timer = QTimer()
        signal_timer.timeout.connect(lambda: None)
        signal_timer.start(200)
        if args.demo:
            queue_demo_jobs(manager)
        window.show()
        code = app.exec_()
        signal_timer.stop()
        window.run_shutdown_hooks()
        hung = window.hung_job
    finally:
        for signum, handler in previous_handlers.items():
            signal.signal(signum, handler)
        stopped = manager.shutdown(wait=True, timeout=EXIT_TIMEOUT_S, abort=True)
        hook.uninstall()
    if not stopped:
        call = hung.call_text if hung is not None else "a job"
        logger.error("labqueue exits while %s still runs (it ignored Abort); the job is killed.", call)
        sys.stdout.flush()
        sys.stderr.flush()
        # A running QThread cannot be joined; a normal exit would hang in atexit or abort in Qt.
        os._exit(3)
    labqueue_logger.removeHandler(log_handler)
    labqueue_logger.setLevel(old_level)
    return code
