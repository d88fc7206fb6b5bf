"""A queued function call and its outcome: :class:`Experiment` and :class:`ExpStatus`.

An Experiment behaves like a :class:`concurrent.futures.Future` that knows which function it
will call. It is thread-safe and imports no Qt, so it can be used from any thread.
"""

from __future__ import annotations

import enum
import itertools
import logging
import os
import reprlib
import threading
import time
import traceback as _traceback
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import CancelledError
from typing import Any

from labqueue import job_arguments

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


def set_wait_hook(hook: Callable[[Experiment, float | None], bool | None] | None) -> None:
    """Install (or with None remove) the function that waits for Experiments instead of blocking."""
    global _wait_hook
    _wait_hook = hook


# The "full" text (tooltips, result pane, e-mails) is long but bounded: a job given a list of two
# million points must not make every hover build a 20 MB string.
_long_repr = reprlib.Repr()
_long_repr.maxstring = _long_repr.maxother = 2000
_long_repr.maxlist = _long_repr.maxtuple = _long_repr.maxdict = _long_repr.maxset = 100
_long_repr.maxdeque = _long_repr.maxarray = 100
_long_repr.maxlevel = 4

# Job ids: unique per process (a random prefix) and cheap to make (a counter, formatted on demand).
_ID_PREFIX = os.urandom(4).hex()
_next_seq = itertools.count(1).__next__

_short_repr = reprlib.Repr()
_short_repr.maxstring = 40
_short_repr.maxother = 40
_short_repr.maxlist = _short_repr.maxtuple = _short_repr.maxdict = _short_repr.maxset = 5
_short_repr.maxlevel = 2


def _safe_repr(value: Any, full: bool = False) -> str:
    """repr() that never raises: a broken ``__repr__`` must not break a queue or a table."""
    try:
        return (_long_repr if full else _short_repr).repr(value)
    except Exception as exc:  # noqa: BLE001 - any user __repr__ may fail
        return f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"


def _func_name(func: Callable) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if not isinstance(name, str):
        return _safe_repr(func)
    return name.rpartition("<locals>.")[2]  # a function defined in a function: just its name


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
        if self._status in DONE_STATUSES:
            return
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
        """Remove the job if it is still queued. Returns True if it was cancelled."""
        queue = self._queue
        if queue is not None:
            return queue._cancel(self)
        callbacks = self._finish_if_queued()
        if callbacks is None:
            queue = self._queue  # put() claimed it meanwhile: cancel it there
            return queue._cancel(self) if queue is not None else False
        self._run_callbacks(callbacks)
        return True

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

    # ----------------------------------------------------------------- transitions (used by the queue)
    def _start(self) -> None:
        with _state:
            self._status = ExpStatus.RUNNING
            self.started_at = time.time()

    def _finish(self, status: ExpStatus, result: Any = None,
                exception: BaseException | None = None) -> list:
        """Record the outcome; return the done callbacks, which the caller runs after unlocking."""
        tb = None
        if exception is not None:
            tb = "".join(_traceback.format_exception(type(exception), exception, exception.__traceback__))
        with _state:
            self._status = status
            self._result = result
            self._exception = exception
            self._traceback = tb
            self.finished_at = time.time()
            callbacks, self._callbacks = self._callbacks, None
            waiters, self._waiters = self._waiters, None
        if waiters:
            for waiter in waiters:
                waiter.release()
        return callbacks or []

    def _finish_if_queued(self) -> list | None:
        """Cancel an Experiment that is in no queue; None if it was not (or no longer) cancellable.

        Checked and claimed in one hold of the state lock, so a concurrent ``put()`` (which claims
        the job under the same lock) either wins and the queue cancels it, or sees it CANCELLED.
        """
        with _state:
            if self._status is not ExpStatus.QUEUED or self._queue is not None:
                return None
            self._status = ExpStatus.CANCELLED
        return self._finish(ExpStatus.CANCELLED)

    def _claim_for(self, queue: object) -> None:
        """Mark the job as held by ``queue`` (``put()``); ValueError if it cannot be."""
        with _state:
            if self._status is not ExpStatus.QUEUED:
                raise ValueError(f"only QUEUED experiments can be put, {self.call_text} is "
                                 f"{self._status.name}; put a copy: exp.copy()")
            if self._queue is not None:
                raise ValueError(f"{self.call_text} is already in a queue; put a copy: exp.copy()")
            self._queue = queue

    def _run_callbacks(self, callbacks: list) -> None:
        for fn in callbacks:
            try:
                fn(self)
            except Exception:
                logger.exception("done callback %r of %s raised", fn, self.call_text)
