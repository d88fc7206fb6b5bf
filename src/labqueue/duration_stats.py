"""How long each function usually takes: :class:`DurationStats`, learnt from finished runs.

Functions are named ``"module:qualname"`` (:func:`func_key`), the same name the journal stores
in ``JobRecord.func`` (the same function names it), so the statistics can be seeded from an earlier session's records
(:meth:`DurationStats.seed`) as well as fed by this session's jobs (:meth:`DurationStats.record_job`).
The expected duration of a function is the median of its last :data:`KEEP` finished runs: one
unusually slow run (an instrument that had to warm up) barely moves it.
"""

from __future__ import annotations

import statistics
import threading
from collections import deque
from collections.abc import Callable, Iterable
from typing import Any

from labqueue.experiment import Experiment, ExpStatus
from labqueue.journal.callable_refs import func_name

__all__ = ["DurationStats", "func_key", "KEEP"]

#: Finished runs remembered per function.
KEEP = 50


_key_cache: dict[Callable, str] = {}
_KEY_CACHE_MAX = 4096


def func_key(func: Callable) -> str:
    """``"module:qualname"`` of ``func``: the journal's name for it (``JobRecord.func``).

    Cached per function: the worker asks for every job it finishes.
    """
    try:
        return _key_cache[func]
    except KeyError:
        pass
    except TypeError:  # an unhashable callable
        return func_name(func)
    key = func_name(func)
    if len(_key_cache) >= _KEY_CACHE_MAX:
        _key_cache.clear()
    _key_cache[func] = key
    return key


class DurationStats:
    """Durations of finished runs per function; thread-safe; ``expected(key)`` is their median."""

    def __init__(self, keep: int = KEEP):
        self._keep = keep
        self._lock = threading.Lock()
        self._runs: dict[str, deque[float]] = {}
        self._medians: dict[str, float] = {}  # cache, dropped when a run of that function is added

    def record(self, key: str, seconds: float) -> None:
        """Add one finished run of ``key`` that took ``seconds``."""
        if seconds is None or seconds < 0:
            return
        with self._lock:
            runs = self._runs.get(key)
            if runs is None:
                runs = self._runs[key] = deque(maxlen=self._keep)
            runs.append(float(seconds))
            self._medians.pop(key, None)

    def record_job(self, exp: Experiment) -> None:
        """Add ``exp`` if it FINISHED (failed or aborted runs say nothing about a normal run)."""
        if exp.status is not ExpStatus.FINISHED or exp.started_at is None or exp.finished_at is None:
            return
        self.record(func_key(exp.func), exp.finished_at - exp.started_at)

    def seed(self, records: Iterable[Any]) -> int:
        """Add earlier runs from journal records (``func``, ``status``, ``started_at``, ``finished_at``).

        They count as older than the runs recorded so far. Returns how many were used.
        """
        older: dict[str, list[float]] = {}
        for rec in records:
            status = getattr(rec, "status", None)
            name = getattr(status, "name", status)
            started, finished = getattr(rec, "started_at", None), getattr(rec, "finished_at", None)
            key = getattr(rec, "func", None)
            if name != "FINISHED" or not key or started is None or finished is None or finished < started:
                continue
            older.setdefault(key, []).append(float(finished - started))
        with self._lock:
            for key, seconds in older.items():
                newer = self._runs.get(key, ())
                self._runs[key] = deque([*seconds, *newer], maxlen=self._keep)
                self._medians.pop(key, None)
        return sum(len(v) for v in older.values())

    def expected(self, key: str | None) -> float | None:
        """Median duration of the finished runs of ``key``, or None when none is known."""
        if key is None:
            return None
        with self._lock:
            median = self._medians.get(key)
            if median is None:
                runs = self._runs.get(key)
                if not runs:
                    return None
                median = self._medians[key] = statistics.median(runs)
            return median

    def expected_for(self, exp: Experiment) -> float | None:
        """Expected duration of a run of ``exp``'s function, or None."""
        return self.expected(func_key(exp.func))

    def __len__(self) -> int:
        """Number of functions with at least one known run."""
        with self._lock:
            return len(self._runs)
