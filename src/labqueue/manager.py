"""The public API: :class:`Manager` wires a queue, a worker thread and abort events together.

``from labqueue.manager import Manager, Experiment, ExpStatus, ExperimentQueue, Worker``
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import logging
import os
import queue
import sys
import threading
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from qtpy.QtCore import QObject, Qt, Signal

from labqueue.checkpoints import CheckpointGate
from labqueue.duration_stats import DurationStats
from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue
from labqueue.journal import History, load_queue, save_queue
from labqueue.journal.callable_refs import QUEUED_EXEC_MARK
from labqueue.notifications import Notifications
from labqueue.notifications.settings import NotificationSettings
from labqueue.queue_eta import QueueEta
from labqueue.queue_loop import QueueLoop
from labqueue.scheduled_start import ScheduledStart
from labqueue.worker import Worker, WorkerThread

__all__ = ["Manager", "Experiment", "ExpStatus", "ExperimentQueue", "Worker"]

logger = logging.getLogger("labqueue")

#: Finished runs read from the journal at start to learn how long each function takes.
SEED_RECORDS = 5000

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
    #: ``loop`` was switched on (True) or off (False).
    loop_changed_signal = Signal(bool)
    #: A job started waiting at a checkpoint (the Experiment) or went on (None).
    checkpoint_signal = Signal(object)
    #: ``resume_at`` changed: the new time (a datetime) or None.
    resume_at_changed_signal = Signal(object)

    def __init__(self, notify_address: Iterable[str] | str = (), email_handler_level: int | str = logging.WARNING,
                 log_file_dir: str | Path | None = None, pause_on_failure: bool = True,
                 parent: QObject | None = None, *, history_file: str | Path | None = None,
                 history_limit: int | None = None):
        super().__init__(parent)
        if not isinstance(pause_on_failure, bool):
            raise TypeError(f"pause_on_failure must be True or False, got {type(pause_on_failure).__name__}: "
                            f"{pause_on_failure!r}")
        # Checked before anything is set up, so a bad argument leaves no thread, handler or file behind.
        notification_settings = NotificationSettings().replace(
            notify_address=notify_address, email_level=email_handler_level, log_file_dir=log_file_dir,
            log_to_file=log_file_dir is not None)
        self.job_queue = ExperimentQueue(self)
        self.job_queue.history_limit = history_limit  # ValueError before anything starts
        self.result_queue: queue.Queue = queue.Queue()
        self.abort = threading.Event()
        self.worker = Worker(self.job_queue, self.result_queue, (self.abort,))
        self.worker.pause_on_failure = pause_on_failure
        self.job_queue.pause_changed_signal.connect(self._on_pause_changed, Qt.DirectConnection)
        self.running = self.worker.running
        self._setup_operator_features()
        #: Log files, e-mail and the job watchdog (see labqueue.notifications); a given dir turns files on.
        self.notifications = Notifications(self, notification_settings)
        self._shut_down = False
        #: The journal (labqueue.journal.History): always present; ``enabled`` False without a file.
        self.history = History(self.job_queue, history_file)
        self._seed_durations_from_history()
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

        setattr(wrapper, QUEUED_EXEC_MARK, True)  # the journal re-runs ``func``, not the wrapper
        return wrapper

    def report_progress(self, fraction: float, message: str = "") -> None:
        """From inside a job: tell the GUI how far it is (``fraction`` 0..1, optional message)."""
        self.job_queue.report_progress(fraction, message)

    # ----------------------------------------------------------------- operator features
    def _setup_operator_features(self) -> None:
        """Loop mode, duration statistics, checkpoints and the timed start (see their modules)."""
        #: Durations of finished runs per function (this session; seed it from journal records).
        self.durations = DurationStats()
        #: Estimates behind :meth:`queue_eta` and the expected start of each queued job.
        self.eta = QueueEta(self.job_queue, self.durations)
        self._loop = QueueLoop(self.job_queue)
        self.worker.done_hooks += [lambda exp, status: self.durations.record_job(exp), self._loop.job_done]
        self._checkpoints = CheckpointGate()
        self._checkpoints.listeners.append(self.checkpoint_signal.emit)
        # resume_worker() and abort_job() open the gate (see CheckpointGate).
        self._scheduled_start = ScheduledStart(self._timed_resume)

    def _seed_durations_from_history(self) -> None:
        """Learn durations from the journal's finished runs of earlier sessions (the newest few thousand)."""
        if not self.history.enabled:
            return
        try:
            self.durations.seed(self.history.records(status=ExpStatus.FINISHED, limit=SEED_RECORDS))
        except Exception:  # noqa: BLE001 - a journal that cannot be read must not stop the Manager
            logger.warning("Could not read job durations from the journal.", exc_info=True)

    def _on_pause_changed(self, paused: bool, _reason: str) -> None:
        self.running_changed_signal.emit(not paused)

    def queue_eta(self) -> float | None:
        """Seconds until the queue is empty (running job's rest + queued jobs' expected durations).

        None when no job left has a known duration; 0.0 for an empty queue. See :mod:`labqueue.queue_eta`.
        """
        return self.eta.seconds_left()

    @property
    def loop(self) -> bool:
        """Loop mode: while True, every job that FINISHES is queued again (a new copy) at the end."""
        return self._loop.enabled

    @loop.setter
    def loop(self, on: bool) -> None:
        on = bool(on)
        if on == self._loop.enabled:
            return
        self._loop.enabled = on
        logger.info("Loop %s.", "on: finished jobs are queued again" if on else "off")
        self.loop_changed_signal.emit(on)

    def checkpoint(self) -> None:
        """Inside a job: wait here if ``pause_worker(now=True)`` asked for a pause inside the job.

        Returns at once otherwise, and outside a job. After ``abort_job()`` it returns with
        ``manager.abort`` set; the queue stays paused.
        """
        if not self._checkpoints.requested or not self.worker.in_job():
            return  # the usual case, called in a tight measurement loop: no lock taken
        job = self.job_queue.running_job()
        logger.warning("Paused inside %s at a checkpoint; resume to go on.", job.call_text if job else "the job",
                       extra={"experiment": job})
        self._checkpoints.wait(job)

    @property
    def checkpoint_job(self) -> Experiment | None:
        """The job waiting at a checkpoint now, or None."""
        return self._checkpoints.waiting_job

    @property
    def resume_at(self) -> dt.datetime | None:
        """When a timed start (``resume_worker(at=...)``) resumes the queue, or None."""
        return self._scheduled_start.at

    def _timed_resume(self) -> None:
        logger.info("Timed start: resuming the queue.")
        self.resume_at_changed_signal.emit(None)
        self.resume_worker()

    def _cancel_timed_start(self) -> None:
        if self._scheduled_start.cancel():
            logger.info("Timed start cancelled.")
            self.resume_at_changed_signal.emit(None)

    # ----------------------------------------------------------------- control
    def pause_worker(self, now: bool = False) -> None:
        """Pause: the current job finishes, the next one waits until :meth:`resume_worker`.

        ``now=True`` also pauses inside the running job at its next :meth:`checkpoint`. A pending
        timed start is cancelled.
        """
        self._cancel_timed_start()
        if now:
            self._checkpoints.request()
        self.running.clear()
        # Logged from the change stream (labqueue.notifications), with the reason.
        self.job_queue.set_paused(True, "inside the running job, at its next checkpoint" if now else "")

    def resume_worker(self, at: dt.datetime | float | None = None) -> None:
        """Resume running queued jobs; with ``at`` (a datetime, naive = local, or seconds from
        now), pause now (between jobs) and resume at that time instead."""
        if at is not None:
            self._scheduled_start.cancel()
            self.running.clear()
            when = self._scheduled_start.schedule(at)
            self.job_queue.set_paused(True, f"starts at {when:%H:%M}")
            logger.info("Queue paused; it starts at %s.", f"{when:%Y-%m-%d %H:%M:%S}")
            self.resume_at_changed_signal.emit(when)
            return
        self._cancel_timed_start()
        self._checkpoints.release()
        self.job_queue.set_paused(False)  # logged from the change stream
        self.running.set()

    def abort_job(self, job: Experiment | None = None) -> bool:
        """Ask the running job to stop (sets every abort event); it then ends ABORTED.

        Does nothing when no job runs, or when ``job`` is given and is not the running one.
        Returns whether an abort was requested.
        """
        with self.job_queue:
            running = self.job_queue.running_job()
            if running is None or (job is not None and job is not running):
                return False
            for event in self.worker.abort_events:
                event.set()
        self._checkpoints.release()  # a job waiting at a checkpoint goes on, sees the abort
        logger.warning("Abort requested: %s", running.call_text, extra={"experiment": running})
        return True

    def clear_all_jobs(self) -> int:
        """Cancel every queued job and return how many; the running job goes on."""
        n = self.job_queue.clear()
        if n:
            logger.info("Cleared %d queued job%s.", n, "" if n == 1 else "s")
        return n

    @property
    def abort_events(self) -> list[threading.Event]:
        """All abort events: ``abort`` and any registered ones. Assign a list to register more."""
        return list(self.worker.abort_events)

    @abort_events.setter
    def abort_events(self, events: Iterable[threading.Event]) -> None:
        events = list(events)
        for event in events:
            if not all(callable(getattr(event, m, None)) for m in ("set", "clear", "is_set")):
                raise TypeError(f"abort events need set(), clear() and is_set(); got {type(event).__name__}")
        with self.job_queue:  # not while abort_job() sets them
            self.worker.abort_events = (self.abort, *(e for e in events if e is not self.abort))

    # ----------------------------------------------------------------- saved queues (journal, issue 11)
    def save_queue(self, path: str | Path) -> int:
        """Write the queued jobs to ``path`` (JSON); returns how many. ValueError names jobs that cannot be saved."""
        return save_queue(self.job_queue, path)

    def load_queue(self, path: str | Path) -> list[Experiment]:
        """Queue the jobs saved in ``path``; returns the new Experiments (nothing is queued on ValueError)."""
        return load_queue(self.job_queue, path)

    @property
    def history_limit(self) -> int | None:
        """At most this many done jobs stay in memory (``job_queue.history_limit``); None = all."""
        return self.job_queue.history_limit

    @history_limit.setter
    def history_limit(self, limit: int | None) -> None:
        self.job_queue.history_limit = limit

    # ----------------------------------------------------------------- notification settings
    # Thin proxies of manager.notifications.settings (checked and applied there, in one place).
    @property
    def notify_address(self) -> list[str]:
        """E-mail addresses that get notifications (a list; assign a list or one string)."""
        return list(self.notifications.settings.notify_address)

    @notify_address.setter
    def notify_address(self, addresses: Iterable[str] | str) -> None:
        self.notifications.update(notify_address=addresses)

    @property
    def email_handler_level(self) -> int:
        """Lowest logging level that is e-mailed (default ``logging.WARNING``)."""
        return self.notifications.settings.email_level

    @email_handler_level.setter
    def email_handler_level(self, level: int | str) -> None:
        self.notifications.update(email_level=level)

    @property
    def log_file_dir(self) -> Path:
        """Directory for log files (default: the user log directory of labqueue)."""
        return self.notifications.settings.log_folder

    @log_file_dir.setter
    def log_file_dir(self, path: str | Path) -> None:
        """Setting it turns log files on and moves them there (on an error nothing changes)."""
        self.notifications.update(log_file_dir=path, log_to_file=True)

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
        first (unless paused; a pending timed start is waited for when ``wait`` and no ``timeout``).
        With ``wait``, joins the thread (at most ``timeout`` seconds) and returns whether it has stopped.
        """
        if (wait and timeout is None and not cancel_pending and not abort and self.resume_at is not None
                and self.job_queue.qsize("queued") and not self.worker.in_worker_thread()):
            # A script that scheduled its jobs (resume_worker(at=...)) and ended: they run at that time.
            logger.warning("Waiting for the timed start at %s to run the %d queued job(s) (Ctrl+C cancels them).",
                           f"{self.resume_at:%Y-%m-%d %H:%M}", self.job_queue.qsize("queued"))
            self._scheduled_start.wait()
        self._shut_down = True
        self._scheduled_start.close()
        self._checkpoints.release()  # a job paused inside must not keep the thread from ending
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
                self.history.flush(1.0)  # the process may be killed next: keep what is known
                return False
        _live_managers.discard(self)
        self.worker.restore_pause_after_stop()
        self.job_queue.close()  # anything a paused drain left behind; no new jobs after this
        self.history.close()  # writes the last batch and marks the session ended
        # After the worker's last job events are logged and mailed.
        self.notifications.close(timeout if wait_for_mail else 0)
        return True

    def __enter__(self) -> Manager:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *_: Any) -> None:
        """Like ``with ThreadPoolExecutor()``: the queued jobs run to the end (until a pause), then the
        thread is joined. Left by an exception, the queued jobs are cancelled instead."""
        self.shutdown(wait=True, cancel_pending=exc_type is not None)

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
        try:
            if pending and manager.running.is_set() and not manager.is_shut_down:
                logger.warning("Waiting for %d job%s to finish before exit (Ctrl+C cancels them).",
                               pending, "" if pending == 1 else "s")
            manager.shutdown(wait=True, cancel_pending=False)
        except KeyboardInterrupt:
            _interrupted_at_exit()


def _interrupted_at_exit() -> None:
    """Ctrl+C while exit waits for jobs: abort the running one, cancel the rest, exit with 130.

    The exit status must say the script did not finish, so ``sweep.py && analyse.py`` stops.
    """
    logger.warning("Interrupted: aborting the running job and cancelling the queued ones.")
    for other in list(_live_managers):
        other.shutdown(wait=False, abort=True)
    for other in list(_live_managers):
        other.join(timeout=10)
    logging.shutdown()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(130)
