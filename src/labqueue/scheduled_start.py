"""Resume the queue at a given time: :class:`ScheduledStart` (``manager.resume_worker(at=...)``).

One small thread waits on an event until the time comes (re-reading the clock at least every
:data:`RECHECK_S` seconds, so a changed system clock is followed), then calls ``on_time()``.
:meth:`ScheduledStart.cancel` wakes and joins it. No Qt: it works in a plain script.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable

__all__ = ["ScheduledStart", "to_datetime"]

#: Longest single wait before the clock is read again.
RECHECK_S = 30.0


def to_datetime(at: dt.datetime | dt.timedelta | float | int, clock: Callable[[], float] = time.time) -> dt.datetime:
    """``at`` as a datetime: a datetime as is (naive = local time), a timedelta or seconds from now."""
    if isinstance(at, bool):
        raise TypeError("at must be a datetime or seconds from now, got a bool")
    if isinstance(at, dt.datetime):
        return at
    if isinstance(at, dt.timedelta):
        at = at.total_seconds()
    if isinstance(at, (int, float)):
        return dt.datetime.fromtimestamp(clock() + float(at))
    raise TypeError(f"at must be a datetime or seconds from now, got {type(at).__name__}: {at!r}")


class ScheduledStart:
    """Calls ``on_time()`` once at the scheduled time, on its own thread, unless cancelled first."""

    def __init__(self, on_time: Callable[[], None], clock: Callable[[], float] = time.time):
        self._on_time = on_time
        self.clock = clock
        self._lock = threading.Lock()
        self._at: dt.datetime | None = None
        self._cancel: threading.Event | None = None
        self._thread: threading.Thread | None = None
        self._fired: threading.Thread | None = None  # a thread that fired; joined by close()

    @property
    def at(self) -> dt.datetime | None:
        """The time it fires (a datetime), or None when nothing is scheduled."""
        return self._at

    def seconds_left(self) -> float | None:
        """Seconds until it fires (0 when due), or None when nothing is scheduled."""
        at = self._at
        return None if at is None else max(at.timestamp() - self.clock(), 0.0)

    def schedule(self, at: dt.datetime | dt.timedelta | float | int) -> dt.datetime:
        """Fire at ``at`` (replacing an earlier schedule); returns it as a datetime."""
        when = to_datetime(at, self.clock)
        self.cancel()
        cancel = threading.Event()
        thread = threading.Thread(target=self._run, args=(when, cancel), name="labqueue-scheduled-start",
                                  daemon=True)
        with self._lock:
            self._at, self._cancel, self._thread = when, cancel, thread
        thread.start()
        return when

    def cancel(self) -> bool:
        """Drop the schedule and join its thread; returns whether one was pending."""
        with self._lock:
            cancel, thread = self._cancel, self._thread
            self._at = self._cancel = self._thread = None
        if cancel is None:
            return False
        cancel.set()
        if thread is not None and thread is not threading.current_thread():
            thread.join()
        return True

    def _run(self, when: dt.datetime, cancel: threading.Event) -> None:
        target = when.timestamp()
        while not cancel.is_set():
            left = target - self.clock()
            if left <= 0:
                break
            cancel.wait(min(left, RECHECK_S))
        with self._lock:
            if cancel.is_set() or self._cancel is not cancel:
                return
            self._at = self._cancel = self._thread = None
            self._fired = threading.current_thread()
        self._on_time()

    def wait(self) -> None:
        """Block until the schedule has fired or was cancelled (Ctrl+C can interrupt it)."""
        while True:
            with self._lock:
                thread = self._thread
            if thread is None or not thread.is_alive():
                return
            thread.join(0.2)  # in slices: a KeyboardInterrupt gets in between

    def close(self) -> None:
        """Cancel, and join also a thread that has already fired (shutdown)."""
        self.cancel()
        with self._lock:
            fired, self._fired = self._fired, None
        if fired is not None and fired is not threading.current_thread():
            fired.join()
