"""A queued function call and its outcome: :class:`Experiment` and :class:`ExpStatus`.

An Experiment behaves like a :class:`concurrent.futures.Future` that knows which function it
will call. It is thread-safe and imports no Qt, so it can be used from any thread.
"""

from __future__ import annotations

import enum
import itertools
import logging
import os
import threading
import time
import traceback as _traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import CancelledError
from typing import Any

from labqueue import job_arguments
from labqueue.safe_repr import func_name as _func_name
from labqueue.safe_repr import safe_repr as _safe_repr

__all__ = ["ExpStatus", "Experiment", "set_wait_hook"]

logger = logging.getLogger("labqueue")


class ExpStatus(enum.Enum):
    """Where an Experiment is in its life."""

    QUEUED = "queued"
    RUNNING = "running"
    FINISHED = "finished"
    FAILED = "failed"
    ABORTED = "aborted"
    CANCELLED = "cancelled"

    @property
    def is_done(self) -> bool:
        return self not in (ExpStatus.QUEUED, ExpStatus.RUNNING)


DONE_STATUSES = frozenset(s for s in ExpStatus if s.is_done)

# One lock guards the state of every Experiment. State changes are rare and short, and a shared
# lock keeps each finished job small (it sits in the history, possibly 100,000 times). A thread
# that waits for a job parks on a lock of its own (see _wait), so finishing one job wakes only
# the threads waiting for that job.
_state = threading.Lock()

#: Optional ``hook(exp, timeout) -> bool | None`` consulted by ``result()``/``exception()`` before
#: blocking: True = done, False = timed out, None = not handled here (block as usual). The GUI's
#: console uses it to keep the window alive while a wait runs on the GUI thread.
_wait_hook: Callable[[Experiment, float | None], bool | None] | None = None


# The job running on this thread (set by the worker around the call), so that a job waiting for
# itself, or for a job that can only start after it, fails at once instead of deadlocking.
_current = threading.local()


def current_job() -> Experiment | None:
    """The Experiment whose function runs on this thread right now, or None."""
    return getattr(_current, "job", None)


def set_current_job(exp: Experiment | None) -> None:
    """Executor side: mark ``exp`` as the job running on this thread (None when it returns)."""
    _current.job = exp


def set_wait_hook(hook: Callable[[Experiment, float | None], bool | None] | None) -> None:
    """Install (or with None remove) the function that waits for Experiments instead of blocking."""
    global _wait_hook
    _wait_hook = hook


# Job ids: unique per process (a random prefix) and cheap to make (a counter, formatted on demand).
_ID_PREFIX = os.urandom(4).hex()
_next_seq = itertools.count(1).__next__


class Experiment:
    """A function call to run later, with its status, result and timestamps.

    ``Experiment(func, args=(), kwargs=None)``; put it on a queue, then read ``result()``.
    """

    __slots__ = (
        "func", "args", "kwargs", "queued_at", "started_at", "finished_at",
        "_status", "_result", "_exception", "_traceback", "_callbacks", "_queue",
        "_progress", "_progress_message", "_call_text", "_waiters", "_seq", "__weakref__",
    )

    def __init__(self, func: Callable, args: Iterable = (), kwargs: Mapping | None = None):
        if not callable(func):
            raise TypeError(f"Experiment needs a callable, got {type(func).__name__}: {_safe_repr(func)}")
        if isinstance(args, (str, bytes)):
            raise TypeError(
                f"args must be a sequence of arguments, got the string {_safe_repr(args)}; "
                f"write args=({_safe_repr(args)},) to pass it as one argument")
        try:
            args = tuple(args)
        except TypeError:
            raise TypeError(f"args must be iterable, got {type(args).__name__}") from None
        if kwargs is None:
            kwargs = {}
        elif not isinstance(kwargs, Mapping):
            raise TypeError(f"kwargs must be a mapping (dict), got {type(kwargs).__name__}")
        bad_keys = [k for k in kwargs if not isinstance(k, str)]
        if bad_keys:
            raise TypeError(f"kwargs keys must be argument names (str), got {_safe_repr(bad_keys[0])} "
                            f"({type(bad_keys[0]).__name__})")
        self.func = func
        self.args = args
        self.kwargs = dict(kwargs)
        self.queued_at: float = time.time()
        self.started_at: float | None = None
        self.finished_at: float | None = None
        self._status = ExpStatus.QUEUED
        self._result: Any = None
        self._exception: BaseException | None = None
        self._traceback: str | None = None
        self._callbacks: list | None = None
        self._waiters: list | None = None  # locks of threads blocked in _wait, released by _finish
        self._queue = None
        self._progress: float | None = None
        self._progress_message = ""
        self._call_text: str | None = None
        self._seq = _next_seq()

    @property
    def job_id(self) -> str:
        """Stable name of this job, unique per process and journal (a copy gets a new one)."""
        return f"{_ID_PREFIX}-{self._seq}"

    # ----------------------------------------------------------------- state queries
    @property
    def status(self) -> ExpStatus:
        """The current :class:`ExpStatus`."""
        return self._status

    def running(self) -> bool:
        """True while the job runs."""
        return self._status is ExpStatus.RUNNING

    def done(self) -> bool:
        """True once the job finished, failed, was aborted or cancelled."""
        return self._status in DONE_STATUSES

    def cancelled(self) -> bool:
        """True if the job was removed before it ran (``concurrent.futures`` name)."""
        return self._status is ExpStatus.CANCELLED

    @property
    def duration(self) -> float | None:
        """Seconds the job ran (so far, while running); None before it started."""
        if self.started_at is None:
            return None
        end = self.finished_at if self.finished_at is not None else time.time()
        return end - self.started_at

    @property
    def traceback(self) -> str | None:
        """Formatted traceback of a FAILED job, else None."""
        return self._traceback

    @property
    def return_value(self) -> Any:
        """What the call returned, also for an ABORTED job (its partial data); None otherwise."""
        return self._result

    @property
    def progress(self) -> float | None:
        """Last progress fraction (0..1) the job reported, or None."""
        return self._progress

    @property
    def progress_message(self) -> str:
        return self._progress_message

    @property
    def call_text(self) -> str:
        """Short, safe display text of the call, e.g. ``sweep(1, 2, step=0.1)``."""
        if self._call_text is None:
            self._call_text = self._format_call(full=False)
        return self._call_text

    def full_call_text(self) -> str:
        """Display text of the call with each argument's repr (long, but capped at ~2,000 characters)."""
        return self._format_call(full=True)

    def _format_call(self, full: bool) -> str:
        parts = [_safe_repr(a, full) for a in self.args]
        parts += [f"{k}={_safe_repr(v, full)}" for k, v in self.kwargs.items()]
        return f"{_func_name(self.func)}({', '.join(parts)})"

    def __repr__(self) -> str:
        return f"<Experiment {self.call_text} {self._status.name}>"

    # ----------------------------------------------------------------- future API
    def _wait(self, timeout: float | None) -> None:
        if timeout is not None:
            if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
                raise TypeError(f"timeout must be a number of seconds or None, got {type(timeout).__name__}: "
                                f"{_safe_repr(timeout)}")
            if timeout != timeout:  # NaN
                raise ValueError("timeout is NaN")
        if self._status in DONE_STATUSES:
            return
        self._refuse_deadlock()
        hook = _wait_hook
        if hook is not None:
            handled = hook(self, timeout)
            if handled is True:
                return
            if handled is False:
                raise TimeoutError(f"{self.call_text} did not finish within {timeout} s "
                                   f"(status: {self._status.name})")
        with _state:
            if self._status in DONE_STATUSES:
                return
            waiter = threading.Lock()
            waiter.acquire()
            if self._waiters is None:
                self._waiters = []
            self._waiters.append(waiter)
        if waiter.acquire(timeout=-1 if timeout is None else max(timeout, 0)):
            return
        with _state:
            if self._status in DONE_STATUSES:
                return
            self._waiters.remove(waiter)
        raise TimeoutError(f"{self.call_text} did not finish within {timeout} s (status: {self._status.name})")

    def _refuse_deadlock(self) -> None:
        """RuntimeError if the calling job would wait for itself, or for a job that starts only after it."""
        caller = current_job()
        if caller is None:
            return
        if caller is self:
            raise RuntimeError(f"{self.call_text} waits for its own result from inside the job; "
                               "that would never return (return the value instead)")
        if self._queue is not None and self._queue is caller._queue and self._status is ExpStatus.QUEUED:
            raise RuntimeError(f"{caller.call_text} waits for {self.call_text}, which is queued behind it in the "
                               "same queue and can only start after it returns; that would never return. Call the "
                               "function directly inside the job instead.")

    def result(self, timeout: float | None = None) -> Any:
        """Wait for the job and return its result.

        Raises ``TimeoutError`` after ``timeout`` seconds, ``CancelledError`` if the job was
        aborted or cancelled, or the job's own exception if it failed.
        """
        self._wait(timeout)
        status = self._status
        if status is ExpStatus.FAILED:
            raise self._exception
        if status in (ExpStatus.ABORTED, ExpStatus.CANCELLED):
            raise CancelledError(f"{self.call_text} was {status.name.lower()}")
        return self._result

    def exception(self, timeout: float | None = None) -> BaseException | None:
        """Wait for the job and return the exception it raised (None if it did not fail)."""
        self._wait(timeout)
        if self._status in (ExpStatus.ABORTED, ExpStatus.CANCELLED):
            raise CancelledError(f"{self.call_text} was {self._status.name.lower()}")
        return self._exception

    def add_done_callback(self, fn: Callable[[Experiment], Any]) -> None:
        """Call ``fn(self)`` when the job is done (at once if it already is).

        The callback runs on the thread that finished the job (usually the worker thread).
        """
        if not callable(fn):
            raise TypeError(f"callback must be callable, got {type(fn).__name__}")
        with _state:
            if not self.done():
                if self._callbacks is None:
                    self._callbacks = []
                self._callbacks.append(fn)
                return
        self._run_callbacks([fn])

    def cancel(self) -> bool:
        """Remove the job if it is still queued; True if it is now cancelled (also if it already was).

        False if it is running or has finished, failed or been aborted (as ``Future.cancel()``).
        """
        queue = self._queue
        if queue is not None:
            queue.remove_jobs([self])
        elif self._finish_if_queued():
            self.run_done_callbacks()
        elif self._queue is not None:  # put() claimed it meanwhile: cancel it there
            self._queue.remove_jobs([self])
        return self._status is ExpStatus.CANCELLED

    def update_arguments(self, *args: Any, **kwargs: Any) -> None:
        """Replace the arguments of this still QUEUED job (see :mod:`labqueue.job_arguments`).

        ``TypeError`` if they do not fit the function's signature, ``ValueError`` if the job is no
        longer queued; either way nothing changes.
        """
        job_arguments.update_arguments(self, args, kwargs)

    def _set_arguments(self, args: tuple, kwargs: dict) -> None:
        with _state:
            self.args = tuple(args)
            self.kwargs = dict(kwargs)
            self._call_text = None

    def copy(self) -> Experiment:
        """A new, queued Experiment making the same call (e.g. to re-run a failed job)."""
        return Experiment(self.func, self.args, self.kwargs)

    # ----------------------------------------------------------------- executor side
    # Used by whoever runs the job (ExperimentQueue and Worker), as concurrent.futures.Future's
    # set_running_or_notify_cancel / set_result / set_exception. Setting an outcome records it and
    # wakes the threads waiting in result(); the done callbacks run only when the executor calls
    # run_done_callbacks(), so it can first release its own locks.
    def set_owner(self, owner: object | None) -> None:
        """Mark the job as held by ``owner`` (a queue), or released with None.

        ``ValueError`` if it is not QUEUED, or already held by another owner.
        """
        with _state:
            if owner is None:
                self._queue = None
                return
            if self._status is not ExpStatus.QUEUED:
                raise ValueError(f"only QUEUED experiments can be put, {self.call_text} is "
                                 f"{self._status.name}; put a copy: exp.copy()")
            if self._queue is not None:
                raise ValueError(f"{self.call_text} is already in a queue; put a copy: exp.copy()")
            self._queue = owner

    def set_running_or_notify_cancel(self) -> bool:
        """QUEUED → RUNNING (True); False if the job was cancelled meanwhile."""
        with _state:
            if self._status is not ExpStatus.QUEUED:
                return False
            self._status = ExpStatus.RUNNING
            self.started_at = time.time()
        return True

    def set_result(self, result: Any) -> None:
        """The job returned ``result``: FINISHED."""
        self._set_outcome(ExpStatus.FINISHED, result, None)

    def set_exception(self, exception: BaseException) -> None:
        """The job raised ``exception``: FAILED (``result()`` re-raises it)."""
        if not isinstance(exception, BaseException):
            raise TypeError(f"set_exception() takes an exception, got {type(exception).__name__}")
        self._set_outcome(ExpStatus.FAILED, None, exception)

    def set_aborted(self, partial_result: Any = None) -> None:
        """The job returned after an abort request: ABORTED, keeping what it returned (partial data)."""
        self._set_outcome(ExpStatus.ABORTED, partial_result, None)

    def set_cancelled(self) -> None:
        """The job was removed before it ran: CANCELLED."""
        self._set_outcome(ExpStatus.CANCELLED, None, None)

    def run_done_callbacks(self) -> None:
        """Run the done callbacks registered before the outcome was set (each once, in order).

        A callback that raises anything, ``BaseException`` subclasses included, is logged at ERROR;
        the other callbacks and the caller go on.
        """
        with _state:
            if self._status not in DONE_STATUSES:
                return
            callbacks, self._callbacks = self._callbacks, None
        if callbacks:
            self._run_callbacks(callbacks)

    def _set_outcome(self, status: ExpStatus, result: Any, exception: BaseException | None) -> None:
        tb = None
        if exception is not None:
            try:
                tb = "".join(_traceback.format_exception(type(exception), exception, exception.__traceback__))
            except BaseException as exc:  # noqa: BLE001 - a hostile __str__ must not lose the failure
                tb = f"{type(exception).__name__}: <str() of the exception raised {type(exc).__name__}>\n"
        with _state:
            self._status = status
            self._result = result
            self._exception = exception
            self._traceback = tb
            self.finished_at = time.time()
            waiters, self._waiters = self._waiters, None
        if waiters:
            for waiter in waiters:
                waiter.release()

    def _finish_if_queued(self) -> bool:
        """Cancel an Experiment that is in no queue; False if it was not (or no longer) cancellable.

        Checked and claimed in one hold of the state lock, so a concurrent ``put()`` (which claims
        the job under the same lock) either wins and the queue cancels it, or sees it CANCELLED.
        """
        with _state:
            if self._status is not ExpStatus.QUEUED or self._queue is not None:
                return False
            self._status = ExpStatus.CANCELLED
        self.set_cancelled()
        return True

    def _run_callbacks(self, callbacks: list) -> None:
        for fn in callbacks:
            try:
                fn(self)
            except BaseException:  # noqa: BLE001 - a callback must not take down the worker or the process
                try:
                    logger.exception("done callback %s of %s raised", _safe_repr(fn), self.call_text)
                except BaseException:  # noqa: BLE001, S110 - logging itself failed: nothing more to do
                    pass
