"""repr() for display that never raises and never grows without bound: :func:`safe_repr`.

A queue shows other people's objects: a broken ``__repr__`` must not break a table, a log line or
an e-mail, and a job given two million points must not make every tooltip build a 20 MB string.
"""

from __future__ import annotations

import reprlib
from collections.abc import Callable
from typing import Any

__all__ = ["safe_repr", "func_name"]

# The "full" text (tooltips, result pane, e-mails) is long but bounded: a job given a list of two
# million points must not make every hover build a 20 MB string.
_long_repr = reprlib.Repr()
_long_repr.maxstring = _long_repr.maxother = 2000
_long_repr.maxlist = _long_repr.maxtuple = _long_repr.maxdict = _long_repr.maxset = 100
_long_repr.maxdeque = _long_repr.maxarray = 100
_long_repr.maxlevel = 4


_short_repr = reprlib.Repr()
_short_repr.maxstring = 40
_short_repr.maxother = 40
_short_repr.maxlist = _short_repr.maxtuple = _short_repr.maxdict = _short_repr.maxset = 5
_short_repr.maxlevel = 2


def safe_repr(value: Any, full: bool = False) -> str:
    """repr() that never raises: a broken ``__repr__`` must not break a queue or a table."""
    try:
        return (_long_repr if full else _short_repr).repr(value)
    except BaseException as exc:  # noqa: BLE001 - any user __repr__ may fail, even with SystemExit
        return f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"


def func_name(func: Callable) -> str:
    name = getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
    if not isinstance(name, str):
        return safe_repr(func)
    return name.rpartition("<locals>.")[2]  # a function defined in a function: just its name
