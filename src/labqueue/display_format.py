"""How labqueue writes durations, sizes, counts and values for people: one style everywhere.

The table, the status bar, the result pane, log messages and e-mails all format through these
functions, so one job shows one duration wherever it appears. Pure functions, no Qt; a user's
``__repr__`` / ``__str__`` that raises never escapes from here.

Building the repr of a result can be slow (a user class, a huge list): the window never calls
:func:`value_summary` or :func:`value_text` on its GUI thread (see ``labqueue.gui.result_texts``).
"""

from __future__ import annotations

import pprint
import reprlib
import sys
from typing import Any

__all__ = [
    "duration_text", "size_text", "count_text", "safe_repr", "exception_line", "value_summary", "value_text",
    "MAX_VALUE_CHARS",
]

#: Longest value text shown (result pane); "Copy" still copies the whole repr.
MAX_VALUE_CHARS = 200_000

_bounded = reprlib.Repr()
_bounded.maxlevel = 6
_bounded.maxlist = _bounded.maxtuple = _bounded.maxdict = 200
_bounded.maxset = _bounded.maxfrozenset = _bounded.maxdeque = _bounded.maxarray = 200
_bounded.maxstring = _bounded.maxother = 20_000
_bounded.maxlong = 1000


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


def size_text(n_bytes: float) -> str:
    """``512 bytes``, ``2.3 kB``, ``14.0 MB``, ``1.2 GB`` (powers of 1024)."""
    for unit in ("bytes", "kB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return ""  # pragma: no cover


def count_text(n: int, noun: str, plural: str | None = None) -> str:
    """``1 job``, ``3 jobs``, ``0 jobs`` (``plural`` for irregular nouns)."""
    return f"{n} {noun if n == 1 else (plural or noun + 's')}"


def safe_repr(value: Any, repr_fn: Any = repr) -> str:
    """``repr_fn(value)``, or a short note if the user's ``__repr__`` raises."""
    try:
        return repr_fn(value)
    except Exception as exc:  # noqa: BLE001 - any user __repr__ may fail
        return f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"


def exception_line(exc: BaseException | None) -> str:
    """``ExcType: first line of the message`` (just the type if the message is empty or unprintable)."""
    if exc is None:
        return ""
    try:
        lines = str(exc).strip().splitlines()
    except Exception:  # noqa: BLE001 - a user __str__ may fail
        lines = []
    name = type(exc).__name__
    return f"{name}: {lines[0]}" if lines else name


def value_summary(value: Any) -> str:
    """Type, shape / length and memory size: ``ndarray · shape (100, 3) · float64 · 2.3 kB``."""
    cls = type(value)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    parts = [name]
    try:
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple):
            parts.append(f"shape {shape}")
            dtype = getattr(value, "dtype", None)
            if dtype is not None:
                parts.append(str(dtype))
        elif hasattr(value, "__len__") and not isinstance(value, type):
            parts.append(f"length {len(value)}")
        n_bytes = getattr(value, "nbytes", None)
        if not isinstance(n_bytes, int):
            n_bytes = sys.getsizeof(value)
        parts.append(size_text(n_bytes))
    except Exception:  # noqa: BLE001 - a user object may raise from anything
        pass
    return " · ".join(parts)


def value_text(value: Any) -> str:
    """Readable repr of ``value``: pretty-printed when small, bounded when large; never raises."""
    try:
        small = not hasattr(value, "__len__") or isinstance(value, (str, bytes)) or len(value) <= 2000
        text = pprint.pformat(value, width=100, sort_dicts=False) if small else _bounded.repr(value)
    except Exception as exc:  # noqa: BLE001 - user __repr__ may fail
        return f"<{type(value).__name__}: repr failed with {type(exc).__name__}: {exc}>"
    if len(text) > MAX_VALUE_CHARS:
        more = len(text) - MAX_VALUE_CHARS
        text = text[:MAX_VALUE_CHARS] + f"\n… ({more} more characters; Copy copies all)"
    return text
