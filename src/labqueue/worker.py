"""The loop that runs jobs one after another in its own QThread: :class:`Worker`."""

from __future__ import annotations

import asyncio
import inspect
import logging
import queue
import threading
from collections.abc import Callable, Iterable
from typing import Any

from qtpy.QtCore import QObject, QThread

from labqueue.experiment import Experiment, ExpStatus, set_current_job
from labqueue.experiment_queue import ExperimentQueue

__all__ = ["Worker", "WorkerThread"]

logger = logging.getLogger("labqueue")


class Worker(QObject):
    """Takes jobs from ``job_q`` and runs them; non-None results go to ``result_q``.

    ``running`` is a ``threading.Event``: set = jobs may start, cleared = pause before the next
    job. A job that returns while any of ``abort_events`` is set ends ABORTED. The worker sleeps
    without polling: on an event of its own while idle (the queue wakes it when work arrives),
    on ``running`` itself while paused (so ``running.set()`` from anywhere resumes it).
    """

    def __init__(self, job_q: ExperimentQueue, result_q: queue.Queue, abort_events: Iterable[threading.Event]):
        super().__init__()
        self.job_q = job_q
        self.result_q = result_q
        #: The abort events, replaced whole (never mutated) when the Manager registers more.
        self.abort_events: tuple[threading.Event, ...] = tuple(abort_events)
        #: Pause after a FAILED job, so the next steps of a broken measurement do not run.
        self.pause_on_failure = False
        self.running = threading.Event()
        self.running.set()
        self._wake = threading.Event()
        self._sleeping = False
        self._stop = False
        self._drain = False
        self._set_running_to_stop = False
        self._thread_id: int | None = None
        self._in_job = False
        #: ``fn(exp, status)`` called under the queue lock right after a job is done, before the
        #: next one starts (loop mode, duration statistics). Keep them short; they must not raise.
        self.done_hooks: list[Callable[[Experiment, ExpStatus], None]] = []
        job_q.on_work = self._on_work
        job_q.on_busy_put = self._wake.set  # belt and braces: a sleeping worker takes the lock and merges

    def _on_work(self) -> None:
        """Under the queue lock: a job may be startable now; wake the worker if it sleeps."""
        if self._sleeping:
            self._sleeping = False
            self._wake.set()

    def wake(self) -> None:
        """Make a sleeping worker look at the queue again (after ``running`` was set, say)."""
        with self.job_q:
            self._on_work()

    def in_worker_thread(self) -> bool:
        """True when called on the worker's thread (inside a job or a done callback)."""
        return threading.get_ident() == self._thread_id

    def in_job(self) -> bool:
        """True when called from inside a running job's function (not from its done callbacks)."""
        return self._in_job and threading.get_ident() == self._thread_id

    def stop(self, drain: bool = False) -> None:
        """Ask the loop to end after the current job (``drain``: once nothing is queued or it is paused)."""
        with self.job_q:
            if drain and self.running.is_set():
                self._drain = True
            else:
                self._stop = True
            self._on_work()
        if not self.running.is_set():
            # A paused worker sleeps on ``running``: set it so the loop sees the stop. The Manager
            # clears it again once the thread has ended (restore_pause_after_stop).
            self._set_running_to_stop = True
            self.running.set()

    def restore_pause_after_stop(self) -> None:
        """After the thread ended: clear ``running`` again if :meth:`stop` set it to wake the loop."""
        if self._set_running_to_stop:
            self._set_running_to_stop = False
            self.running.clear()

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
        """Run jobs until ``stop()``. Never lets an exception escape (fatal in a QThread under PyQt)."""
        self._thread_id = threading.get_ident()
        try:
            exp = None
            while True:
                if exp is None:
                    exp = self._next_or_sleep()
                    if exp is None:
                        break
                exp = self._run(exp)
        except BaseException:  # noqa: BLE001 - a bug here must not abort the process
            logger.critical("The worker loop stopped after an internal error; no more jobs will run.",
                            exc_info=True)
        finally:
            self._thread_id = None

    def _next_or_sleep(self) -> Experiment | None:
        """The next job to run, sleeping until there is one; None when the loop should end."""
        q = self.job_q
        while True:
            self._wake.clear()
            with q:
                if self._should_stop():
                    return None
                paused = not self.running.is_set()
                if paused:
                    q.set_paused(True)  # also when someone cleared ``running`` directly
                else:
                    exp = self._take_next()
                    if exp is not None:
                        return exp
                    self._sleeping = True
            if paused:
                self.running.wait()
                with q:  # resumed, unless paused again meanwhile: then saying "resumed" would be wrong
                    if self.running.is_set() and not self._should_stop():
                        q.set_paused(False)
            else:
                self._wake.wait()

    def _run(self, exp: Experiment) -> Experiment | None:
        """Run ``exp``, record its outcome, and return the next job if it could start at once.

        Finishing one job and starting the next share one hold of the queue lock, so a burst of
        short jobs costs one lock round trip per job. Job events are logged from the queue's change
        stream (labqueue.notifications), not here.
        """
        failure: BaseException | None = None
        result = None
        self._in_job = True
        set_current_job(exp)
        try:
            result = _call(exp)
        except BaseException as exc:  # noqa: BLE001 - any failure of a job is recorded, the worker lives on
            failure = _without_worker_frames(exc)
        finally:
            self._in_job = False
            set_current_job(None)
        if failure is None and result is not None:
            self.result_q.put(result)  # before the job is done: result() and result_q agree
        if failure is not None:
            status, value = ExpStatus.FAILED, failure
            if self.pause_on_failure:  # before result() can return: whoever catches the failure sees the pause
                self.running.clear()
        else:
            status, value = ExpStatus.FINISHED, result
        exp, status, nxt = self.job_q.finish_and_start_next(
            status, value, self.abort_events, self._between_jobs, self._may_start_next)
        exp.run_done_callbacks()
        return nxt

    def _between_jobs(self, exp: Experiment, status: ExpStatus) -> None:
        """Under the queue lock, after ``exp`` is done and before the next job starts."""
        if status is ExpStatus.FAILED and self.pause_on_failure:
            # Cleared again here, with the pause it goes with: a resume since the early clear in _run
            # came before this failure was recorded, so the failure's pause wins.
            self.running.clear()
            self.job_q.set_paused(True, f"{exp.call_text} failed")  # published after the failure record
        for hook in self.done_hooks:
            hook(exp, status)

    def _may_start_next(self) -> bool:
        """Under the queue lock, with jobs queued: may the next one start now?"""
        return self.running.is_set() and not self._stop


def _without_worker_frames(exc: BaseException) -> BaseException:
    """``exc`` with its traceback starting at the job's own code (this module's frames dropped).

    A scientist reading a failure wants their function's lines, not the queue's machinery.
    """
    tb = exc.__traceback__
    while tb is not None and tb.tb_frame.f_code.co_filename == __file__:
        tb = tb.tb_next
    return exc.with_traceback(tb)


def _call(exp: Experiment) -> Any:
    """Call the job's function; a coroutine (``async def``) is run to completion here."""
    result = exp.func(*exp.args, **exp.kwargs)
    if inspect.iscoroutine(result):
        result = asyncio.run(result)
    return result


class WorkerThread(QThread):
    """The QThread a Worker runs in; ``run()`` is the worker's loop (no event loop needed)."""

    def __init__(self, worker: Worker):
        super().__init__()
        self._worker = worker
        worker.moveToThread(self)

    def run(self) -> None:
        self._worker.process()
