"""The public API: :class:`Manager` wires a queue, a worker thread and abort events together.

``from labqueue.manager import Manager, Experiment, ExpStatus, ExperimentQueue, Worker``
"""

from __future__ import annotations

import atexit
import functools
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from qtpy.QtCore import QObject, Signal

from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue
from labqueue.notification_settings import check_addresses, check_level, default_log_dir
from labqueue.notifications import Notifications
from labqueue.worker import Worker, WorkerThread

__all__ = ["Manager", "Experiment", "ExpStatus", "ExperimentQueue", "Worker"]

logger = logging.getLogger("labqueue")

# Managers whose worker thread may still run. Holding them here keeps a QThread from being
# garbage-collected while it runs (which would abort the process) and lets atexit join them.
_live_managers: set[Manager] = set()


class Manager(QObject):
    """Runs queued function calls one at a time in a background thread.

    Queue calls with the :meth:`queued_exec` decorator or ``job_queue.put(Experiment(...))``;
    pause, resume and abort with the methods below. Use as a context manager, or call
    :meth:`shutdown`, to stop the worker thread.
    """

    #: ``running`` was set (True) or cleared (False): the queue resumed or paused.
    running_changed_signal = Signal(bool)

    def __init__(self, notify_address: Iterable[str] | str = (), email_handler_level: int | str = logging.WARNING,
                 log_file_dir: str | Path | None = None, pause_on_failure: bool = True,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.job_queue = ExperimentQueue(self)
        self.result_queue: queue.Queue = queue.Queue()
        self.abort = threading.Event()
        self._abort_events: list[threading.Event] = [self.abort]
        self.worker = Worker(self.job_queue, self.result_queue, self._abort_events)
        self.worker.pause_on_failure = pause_on_failure
        self.worker.add_running_listener(self.running_changed_signal.emit)
        self.running = self.worker.running
        # Checked before anything is set up, so a bad argument leaves no handler or file behind.
        self._notify_address: list[str] = check_addresses(notify_address)
        self._email_handler_level = check_level(email_handler_level)
        self._log_file_dir = Path(log_file_dir).expanduser() if log_file_dir is not None else None
        #: Log files, e-mail and the job watchdog (see labqueue.notifications); a given dir turns files on.
        self.notifications = Notifications(self, log_to_file=log_file_dir is not None)
        self.notify_address = notify_address
        self.email_handler_level = email_handler_level
        self._shut_down = False
        self._thread = WorkerThread(self.worker)
        self._thread.setObjectName("labqueue-worker")
        _live_managers.add(self)
        self._thread.start()

    # ----------------------------------------------------------------- queueing
    def queued_exec(self, func: Callable) -> Callable[..., Experiment]:
        """Decorator: calling the wrapped function queues it and returns its Experiment.

        Called from inside a running job, the wrapped function runs at once and returns its
        value, so procedures built from queued functions compose.
        """
        if not callable(func):
            raise TypeError(f"queued_exec decorates a callable, got {type(func).__name__}: {func!r}")

        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if self.worker.in_job():
                return func(*args, **kwargs)
            exp = Experiment(func, args, kwargs)
            self.job_queue.put(exp)
            return exp

        return wrapper

    def report_progress(self, fraction: float, message: str = "") -> None:
        """From inside a job: tell the GUI how far it is (``fraction`` 0..1, optional message)."""
        self.job_queue.report_progress(fraction, message)

    # ----------------------------------------------------------------- control
    def pause_worker(self) -> None:
        """Pause: the current job finishes, the next one waits until :meth:`resume_worker`."""
        self.running.clear()
        self.job_queue.set_paused(True)
        logger.info("Queue paused.")

    def resume_worker(self) -> None:
        """Resume running queued jobs."""
        self.job_queue.set_paused(False)
        self.running.set()
        logger.info("Queue resumed.")

    def abort_job(self, job: Experiment | None = None) -> bool:
        """Ask the running job to stop (sets every abort event); it then ends ABORTED.

        Does nothing when no job runs, or when ``job`` is given and is not the running one.
        Returns whether an abort was requested.
        """
        with self.job_queue.changed:
            running = self.job_queue.running_job()
            if running is None or (job is not None and job is not running):
                return False
            for event in self._abort_events:
                event.set()
        logger.warning("Abort requested: %s", running.call_text, extra={"experiment": running})
        return True

    def clear_all_jobs(self) -> None:
        """Cancel every queued job; the running job goes on."""
        n = self.job_queue.qsize("queued")
        self.job_queue.clear()
        if n:
            logger.info("Cleared %d queued job(s).", n)

    @property
    def abort_events(self) -> list[threading.Event]:
        """All abort events: ``abort`` and any registered ones. Assign a list to register more."""
        return list(self._abort_events)

    @abort_events.setter
    def abort_events(self, events: Iterable[threading.Event]) -> None:
        events = list(events)
        for event in events:
            if not all(callable(getattr(event, m, None)) for m in ("set", "clear", "is_set")):
                raise TypeError(f"abort events need set(), clear() and is_set(); got {type(event).__name__}")
        with self.job_queue.changed:
            self._abort_events[:] = [self.abort] + [e for e in events if e is not self.abort]

    # ----------------------------------------------------------------- notification settings
    @property
    def notify_address(self) -> list[str]:
        """E-mail addresses that get notifications (a list; assign a list or one string)."""
        return list(self._notify_address)

    @notify_address.setter
    def notify_address(self, addresses: Iterable[str] | str) -> None:
        self._notify_address = check_addresses(addresses)
        self.notifications.apply()

    @property
    def email_handler_level(self) -> int:
        """Lowest logging level that is e-mailed (default ``logging.WARNING``)."""
        return self._email_handler_level

    @email_handler_level.setter
    def email_handler_level(self, level: int | str) -> None:
        self._email_handler_level = check_level(level)
        self.notifications.apply()

    @property
    def log_file_dir(self) -> Path:
        """Directory for log files (default: the user log directory of labqueue)."""
        return self._log_file_dir if self._log_file_dir is not None else default_log_dir()

    @log_file_dir.setter
    def log_file_dir(self, path: str | Path) -> None:
        """Setting it turns log files on and moves them there (``OSError``: nothing changes)."""
        previous = self._log_file_dir
        self._log_file_dir = Path(path).expanduser()
        try:
            self.notifications.log_to_file = True
        except OSError:
            self._log_file_dir = previous
            raise

    @property
    def log_to_file(self) -> bool:
        """Write daily log files to ``log_file_dir`` (off until set or a directory is given)."""
        return self.notifications.log_to_file

    @log_to_file.setter
    def log_to_file(self, on: bool) -> None:
        self.notifications.log_to_file = on

    # ----------------------------------------------------------------- shutdown
    @property
    def is_shut_down(self) -> bool:
        return self._shut_down

    def shutdown(self, wait: bool = True, timeout: float | None = None, *, abort: bool = False,
                 cancel_pending: bool = True) -> bool:
        """Stop the worker thread after the current job; queued jobs are cancelled.

        ``abort=True`` also aborts the running job; ``cancel_pending=False`` lets queued jobs run
        first (unless paused). With ``wait``, joins the thread (at most ``timeout`` seconds) and
        returns whether it has stopped.
        """
        self._shut_down = True
        if cancel_pending:
            self.job_queue.close()  # cancels the queued jobs and refuses new ones
        if abort:
            self.abort_job()
        self.worker.stop(drain=not cancel_pending)
        if self.worker.in_worker_thread():
            return False  # called by a job or a done callback: the thread ends after it returns
        return self.join(timeout) if wait else self._thread.isFinished()

    def join(self, timeout: float | None = None, *, wait_for_mail: bool = True) -> bool:
        """Wait for the worker thread to end (interruptible with Ctrl+C); True if it has.

        Then stops the notification threads; ``wait_for_mail=False`` does not wait for an e-mail
        still being sent (the window uses it so that a dead mail server cannot freeze it; a
        later ``join()`` waits for the mail).
        """
        if self.worker.in_worker_thread():
            raise RuntimeError("join() was called from the worker thread (inside a job or a done "
                               "callback); the worker cannot wait for itself")
        deadline_ms = None if timeout is None else int(timeout * 1000)
        waited = 0
        while not self._thread.wait(100):
            waited += 100
            if deadline_ms is not None and waited >= deadline_ms:
                return False
        _live_managers.discard(self)
        self.job_queue.close()  # anything a paused drain left behind; no new jobs after this
        # After the worker's last job events are logged and mailed.
        self.notifications.close(timeout if wait_for_mail else 0)
        return True

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, *exc_info: Any) -> None:
        self.shutdown(wait=True)

    def __repr__(self) -> str:
        q = self.job_queue
        state = "shut down" if self._shut_down else ("running" if self.running.is_set() else "paused")
        return (f"<Manager {state}: {q.qsize('queued')} queued, {q.qsize('running')} running, "
                f"{q.qsize('history')} done>")


def live_managers() -> list[Manager]:
    """Managers whose worker thread has not been joined yet."""
    return list(_live_managers)


@atexit.register
def _join_at_exit() -> None:
    """At interpreter exit, let queued jobs finish (like ThreadPoolExecutor), then join."""
    for manager in list(_live_managers):
        pending = manager.job_queue.qsize("queued") + manager.job_queue.qsize("running")
        if pending and manager.running.is_set() and not manager.is_shut_down:
            logger.warning("Waiting for %d job(s) to finish before exit (Ctrl+C cancels them).", pending)
        try:
            manager.shutdown(wait=True, cancel_pending=False)
        except KeyboardInterrupt:
            manager.shutdown(wait=True, abort=True)
