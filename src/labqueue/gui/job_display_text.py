"""Short texts the job table shows: times, durations, results, errors, time left.

Pure functions of an Experiment (no Qt), so the model, the view's progress bar and the tests
format things the same way.
"""

from __future__ import annotations

import reprlib
import time

from labqueue.experiment import Experiment, ExpStatus

__all__ = [
    "clock_text", "duration_text", "estimated_remaining", "progress_text", "result_text", "result_tooltip",
    "timestamp_text",
]

_TOOLTIP_LIMIT = 3000  # a tooltip of megabytes (a big array's repr) would freeze the GUI

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 6
_short.maxlevel = 2

# Tooltip text: long, but bounded before it is built (a 2-million-point list must not be repr'd whole).
_long = reprlib.Repr()
_long.maxstring = _long.maxother = _TOOLTIP_LIMIT
_long.maxlist = _long.maxtuple = _long.maxdict = _long.maxset = _long.maxdeque = _long.maxarray = 200
_long.maxlevel = 4


def _safe(fn, value) -> str:
    """Call a repr function that must never raise (a user's ``__repr__`` may)."""
    try:
        return fn(value)
    except Exception as exc:  # noqa: BLE001 - any user __repr__ may fail
        return f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def duration_text(seconds: float | None) -> str:
    """``0.42 s``, ``12.3 s``, ``3 min 05 s``, ``2 h 03 min``; empty for None."""
    if seconds is None:
        return ""
    seconds = max(0.0, seconds)
    if seconds < 10:
        return f"{seconds:.2f} s"
    if seconds < 60:
        return f"{seconds:.1f} s"
    whole = int(seconds)
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"


def clock_text(timestamp: float | None, now: float | None = None) -> str:
    """``14:03:27`` for today, ``01 May 14:03`` for another day (the tooltip has the year); empty for None."""
    if timestamp is None:
        return ""
    local = time.localtime(timestamp)
    today = time.localtime(time.time() if now is None else now)
    if local[:3] == today[:3]:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%d %b %H:%M", local)


def timestamp_text(timestamp: float | None) -> str:
    """Full local date and time, for tooltips; empty for None."""
    if timestamp is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def estimated_remaining(exp: Experiment, now: float | None = None) -> float | None:
    """Seconds left for a running job, extrapolated from its progress; None if unknown."""
    fraction, started = exp.progress, exp.started_at
    if exp.status is not ExpStatus.RUNNING or not fraction or started is None:
        return None
    elapsed = (time.time() if now is None else now) - started
    return max(0.0, elapsed * (1.0 - fraction) / fraction)


def progress_text(exp: Experiment) -> str:
    """``42 % · 1 min 20 s left`` for a running job that reported progress, else empty."""
    if exp.progress is None:
        return ""
    text = f"{exp.progress * 100:.0f} %"
    left = estimated_remaining(exp)
    if left is not None and exp.progress < 1.0:
        text += f" · {duration_text(left)} left"
    return text


def _exception_line(exc: BaseException | None) -> str:
    if exc is None:
        return ""
    message = _safe(str, exc).strip().splitlines()
    name = type(exc).__name__
    return f"{name}: {message[0]}" if message else name


def result_text(exp: Experiment) -> str:
    """One line: the result's short repr, ``ExcType: message`` for a failure, ``partial: …``."""
    status = exp.status
    if status is ExpStatus.FINISHED:
        value = exp.return_value
        return "" if value is None else _safe(_short.repr, value)
    if status is ExpStatus.FAILED:
        return _cap(_exception_line(exp.exception(timeout=0)), 200)
    if status is ExpStatus.ABORTED and exp.return_value is not None:
        return "partial: " + _safe(_short.repr, exp.return_value)
    return ""


def result_tooltip(exp: Experiment) -> str:
    """The traceback of a failure, or the full (capped) repr of a result; empty otherwise."""
    status = exp.status
    if status is ExpStatus.FAILED:
        tb = exp.traceback or _exception_line(exp.exception(timeout=0))
        return tb if len(tb) <= _TOOLTIP_LIMIT else "…" + tb[-_TOOLTIP_LIMIT:]
    if status in (ExpStatus.FINISHED, ExpStatus.ABORTED) and exp.return_value is not None:
        prefix = "Partial result (aborted):\n" if status is ExpStatus.ABORTED else ""
        return prefix + _cap(_safe(_long.repr, exp.return_value), _TOOLTIP_LIMIT)
    return ""
