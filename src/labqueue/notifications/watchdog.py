"""Warn once when a job runs longer than its time limit: :class:`JobWatchdog`, :func:`time_limit`.

A limit comes from (first match): ``watchdog.set_time_limit(exp, seconds)``, the ``@time_limit``
decorator on the job's function, or the global ``watchdog.limit``. The warning is a WARNING
record on the "labqueue" logger with the job attached, so it reaches the log file and e-mail.
The watchdog's thread starts only when a limit is in play, and waits without polling.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

from qtpy.QtCore import Qt

from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue
from labqueue.notifications.email_message import format_duration
from labqueue.notifications.settings import check_limit

__all__ = ["JobWatchdog", "time_limit", "check_limit"]

logger = logging.getLogger("labqueue")

_ATTRIBUTE = "labqueue_time_limit"

# Watchdogs listen to the queue only once some limit exists (a global or per-job one, or any
# function decorated with @time_limit): the status signal costs the worker time on every job.
_watchdogs: weakref.WeakSet[JobWatchdog] = weakref.WeakSet()
_any_decorated = False


def time_limit(seconds: float) -> Callable[[Callable], Callable]:
    """Decorator: warn if a job calling this function runs longer than ``seconds``.

    Put it *below* ``@manager.queued_exec``.
    """
    limit = check_limit(seconds)

    def decorate(func: Callable) -> Callable:
        global _any_decorated
        setattr(func, _ATTRIBUTE, limit)
        _any_decorated = True
        for watchdog in list(_watchdogs):
            watchdog._listen()
        return func

    return decorate


class JobWatchdog:
    """Watches the running job of one queue and logs one warning when it exceeds its limit."""

    def __init__(self, job_queue: ExperimentQueue):
        self._queue = job_queue
        self._cond = threading.Condition()
        self._limit: float | None = None
        self._limits: weakref.WeakKeyDictionary[Experiment, float] = weakref.WeakKeyDictionary()
        self._warned: weakref.WeakSet[Experiment] = weakref.WeakSet()
        self._changed = False
        self._stop = False
        self._thread: threading.Thread | None = None
        self._listening = False
        _watchdogs.add(self)
        if _any_decorated:
            self._listen()

    def _listen(self) -> None:
        """Start following the queue's status changes (once; from any thread)."""
        with self._queue.changed:  # the queue lock: no status change between connecting and looking
            if self._listening or self._stop:
                return
            self._listening = True
            # Direct: runs on the worker thread while the queue lock is held, so it only wakes us up.
            self._queue.status_changed_signal.connect(self._on_status_changed, Qt.DirectConnection)
            if self._queue.running_job() is not None:
                self._on_status_changed(-1, ExpStatus.RUNNING)

    # ----------------------------------------------------------------- settings
    @property
    def limit(self) -> float | None:
        """Global time limit in seconds for every job (None: none)."""
        return self._limit

    @limit.setter
    def limit(self, seconds: float | None) -> None:
        self._limit = check_limit(seconds)
        if self._limit is not None:
            self._listen()
        self._wake(start=self._limit is not None)

    def set_time_limit(self, exp: Experiment, seconds: float | None) -> None:
        """Give one job its own limit (None removes it); it may already be running."""
        if not isinstance(exp, Experiment):
            raise TypeError(f"set_time_limit() takes an Experiment, got {type(exp).__name__}")
        seconds = check_limit(seconds)
        if seconds is None:
            self._limits.pop(exp, None)
        else:
            self._limits[exp] = seconds
            self._listen()
        self._wake(start=seconds is not None)

    def limit_for(self, exp: Experiment) -> float | None:
        """The limit that applies to ``exp`` (its own, its function's, or the global one)."""
        own = self._limits.get(exp)
        if own is not None:
            return own
        by_function = getattr(exp.func, _ATTRIBUTE, None)
        return by_function if by_function is not None else self._limit

    @property
    def is_running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    # ----------------------------------------------------------------- thread
    def _on_status_changed(self, _index: int, status: Any) -> None:
        if status is ExpStatus.RUNNING:
            running = self._queue.running_job()
            self._wake(start=running is not None and self.limit_for(running) is not None)
        elif self._thread is not None:
            self._wake(start=False)

    def _wake(self, start: bool) -> None:
        with self._cond:
            if self._stop:
                return
            self._changed = True
            self._cond.notify_all()
            if start and self._thread is None:
                self._thread = threading.Thread(target=self._run, name="labqueue-watchdog", daemon=True)
                self._thread.start()

    def stop(self, timeout: float | None = None) -> bool:
        """End the thread and join it; returns whether it has ended."""
        with self._cond:
            self._stop = True
            self._cond.notify_all()
            thread = self._thread
        with self._queue.changed:
            listening, self._listening = self._listening, False
        if listening:
            try:
                self._queue.status_changed_signal.disconnect(self._on_status_changed)
            except (TypeError, RuntimeError):
                pass
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True

    def _run(self) -> None:
        while True:
            exp = self._queue.running_job()
            limit = self.limit_for(exp) if exp is not None and exp not in self._warned else None
            started = exp.started_at if exp is not None else None
            with self._cond:
                if self._stop:
                    return
                if self._changed:
                    self._changed = False
                    continue
                if limit is None or started is None:
                    self._cond.wait()
                    continue
                remaining = started + limit - time.time()
                if remaining > 0:
                    self._cond.wait(remaining)
                    continue
            self._warn(exp, limit)

    def _warn(self, exp: Experiment, limit: float) -> None:
        self._warned.add(exp)
        if not exp.running():
            return
        logger.warning("Watchdog: %s is still running after %s (time limit %s).", exp.call_text,
                       format_duration(exp.duration), format_duration(limit),
                       extra={"experiment": exp, "labqueue_watchdog": True})
