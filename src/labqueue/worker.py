"""The loop that runs jobs one after another in its own QThread: :class:`Worker`."""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable

from qtpy.QtCore import QObject, QThread

from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue

__all__ = ["Worker", "WorkerThread"]

logger = logging.getLogger("labqueue")


class _WakingEvent(threading.Event):
    """A ``threading.Event`` that calls ``on_change(is_set)`` after ``set()`` and ``clear()``.

    The worker sleeps on the queue's condition; whoever sets ``running`` must wake it up.
    """

    def __init__(self, on_change: Callable[[bool], None]):
        super().__init__()
        self._on_change = on_change

    def set(self) -> None:
        super().set()
        self._on_change(True)

    def clear(self) -> None:
        super().clear()
        self._on_change(False)


class Worker(QObject):
    """Takes jobs from ``job_q`` and runs them; non-None results go to ``result_q``.

    ``running`` is a ``threading.Event``: set = jobs may start, cleared = pause before the next
    job. A job that returns while any of ``abort_events`` is set ends ABORTED.
    """

    def __init__(self, job_q: ExperimentQueue, result_q: queue.Queue, abort_events: list[threading.Event]):
        super().__init__()
        self.job_q = job_q
        self.result_q = result_q
        self.abort_events = abort_events
        #: Pause after a FAILED job, so the next steps of a broken measurement do not run.
        self.pause_on_failure = False
        self._running_listeners: list[Callable[[bool], None]] = []
        self.running = _WakingEvent(self._running_changed)
        self.running.set()
        self._stop = False
        self._drain = False
        self._thread_id: int | None = None
        self._in_job = False
        #: ``fn(exp, status)`` called under the queue lock right after a job is done, before the
        #: next one starts (loop mode, duration statistics). Keep them short; they must not raise.
        self.done_hooks: list[Callable[[Experiment, ExpStatus], None]] = []

    def add_running_listener(self, fn: Callable[[bool], None]) -> None:
        """Call ``fn(is_set)`` whenever ``running`` is set or cleared (from that thread)."""
        self._running_listeners.append(fn)

    def _running_changed(self, is_set: bool) -> None:
        with self.job_q.changed:
            self.job_q.changed.notify_all()
        for fn in self._running_listeners:
            fn(is_set)

    def in_worker_thread(self) -> bool:
        """True when called on the worker's thread (inside a job or a done callback)."""
        return threading.get_ident() == self._thread_id

    def in_job(self) -> bool:
        """True when called from inside a running job's function (not from its done callbacks)."""
        return self._in_job and threading.get_ident() == self._thread_id

    def stop(self, drain: bool = False) -> None:
        """Ask the loop to end after the current job (``drain``: once nothing is queued)."""
        with self.job_q.changed:
            if drain:
                self._drain = True
            else:
                self._stop = True
            self.job_q.changed.notify_all()

    def _should_stop(self) -> bool:
        return self._stop or (self._drain and (not self.job_q.qsize("queued") or not self.running.is_set()))

    def _take_next(self) -> Experiment | None:
        """Under the queue lock: start the next job if one may start now, else None."""
        q = self.job_q
        if self._should_stop() or not self.running.is_set() or not q.qsize("queued"):
            return None
        exp = q.get_next_job()
        for event in self.abort_events:  # an abort asked for while idle must not hit this job
            if event.is_set():
                event.clear()
        return exp

    def process(self) -> None:
        """Run jobs until ``stop()``; waits on a condition, never polls.

        Finishing one job and starting the next share one hold of the queue lock, so a burst of
        short jobs costs one lock round trip per job.
        """
        self._thread_id = threading.get_ident()
        cond = self.job_q.changed
        exp = None
        while True:
            if exp is None:
                with cond:
                    exp = self._take_next()
                    while exp is None and not self._should_stop():
                        cond.wait()
                        exp = self._take_next()
                if exp is None:
                    break
            exp = self._run(exp)
        self._thread_id = None

    def _run(self, exp: Experiment) -> Experiment | None:
        """Run ``exp``, record its outcome, and return the next job if it could start at once.

        Job events are logged from the queue's change stream (labqueue.notifications), not here.
        """
        failure: BaseException | None = None
        result = None
        self._in_job = True
        try:
            result = exp.func(*exp.args, **exp.kwargs)
        except BaseException as exc:  # noqa: BLE001 - any failure of a job is recorded, the worker lives on
            failure = exc
        finally:
            self._in_job = False
        if failure is None and result is not None:
            self.result_q.put(result)  # before the job is done: result() and result_q agree
        with self.job_q.changed:
            aborted = False
            for event in self.abort_events:
                if event.is_set():
                    aborted = True
                    event.clear()
            if failure is not None:
                if self.pause_on_failure:
                    self.running.clear()
                    self.job_q.set_paused(True, f"{exp.call_text} failed")
                status, value = ExpStatus.FAILED, failure
            else:
                status, value = (ExpStatus.ABORTED if aborted else ExpStatus.FINISHED), result
            _, callbacks = self.job_q._finish_running(status, value)
            for hook in self.done_hooks:
                hook(exp, status)
            nxt = self._take_next()
        if callbacks:
            exp._run_callbacks(callbacks)
        return nxt


class WorkerThread(QThread):
    """The QThread a Worker runs in; ``run()`` is the worker's loop (no event loop needed)."""

    def __init__(self, worker: Worker):
        super().__init__()
        self._worker = worker
        worker.moveToThread(self)

    def run(self) -> None:
        self._worker.process()
