"""What the journal keeps of a job's call: its function's name, argument reprs and a pickle to rebuild it.

Runs on the journal's writer thread, never on the worker's: pickling and repr() of large arguments
cost time. Every repr is capped and may fail without harm; a call that cannot be pickled is still
recorded (with the reason it cannot be re-run).
"""

from __future__ import annotations

import io
import json
import pickle
import reprlib
import types
from collections.abc import Callable
from typing import Any, NamedTuple

from labqueue.journal.callable_refs import func_name, lookup_problem, resolve

__all__ = ["CallCapture", "MAX_PICKLE_BYTES", "capped_repr", "capture_call", "rebuild_call"]

#: Arguments whose pickle is larger than this are not kept (their reprs are).
MAX_PICKLE_BYTES = 1_000_000

_repr = reprlib.Repr()
_repr.maxstring = _repr.maxother = 2000
_repr.maxlist = _repr.maxtuple = _repr.maxdict = _repr.maxset = 100
_repr.maxdeque = _repr.maxarray = 100
_repr.maxlevel = 4

_NO_ARGS_REPR = json.dumps({"args": [], "kwargs": {}})
_NO_ARGS_PICKLE = pickle.dumps((None, (), {}), protocol=pickle.HIGHEST_PROTOCOL)
# Plain functions, builtins and classes are looked up once (a flood of jobs calls a few functions).
_CACHEABLE = (types.FunctionType, types.BuiltinFunctionType, type)
_lookup_cache: dict[Any, tuple[str, str | None]] = {}
_CACHE_MAX = 512
_no_args_cache: dict[Any, CallCapture] = {}  # the capture of a call without arguments, per function


def capped_repr(value: Any) -> str:
    """repr() capped at about 2,000 characters that never raises."""
    try:
        return _repr.repr(value)
    except Exception as exc:  # noqa: BLE001 - any user __repr__ may fail
        return f"<{type(value).__name__} (repr failed: {type(exc).__name__})>"


class CallCapture(NamedTuple):
    func: str                 # module:qualname
    args_repr: str            # JSON of the argument reprs
    args_pickle: bytes | None
    rebuild_error: str | None


def _lookup(func: Callable) -> tuple[str, str | None]:
    """(``module:qualname``, why it cannot be found by that name or None), cached for plain functions."""
    if isinstance(func, _CACHEABLE):
        try:
            return _lookup_cache[func]
        except (KeyError, TypeError):
            pass
        found = func_name(func), lookup_problem(func)
        if len(_lookup_cache) >= _CACHE_MAX:
            _lookup_cache.clear()
        try:
            _lookup_cache[func] = found
        except TypeError:
            pass
        return found
    return func_name(func), lookup_problem(func)


class _TooLarge(Exception):
    pass


class _CappedBuffer(io.BytesIO):
    """A BytesIO that refuses to grow past ``MAX_PICKLE_BYTES``: a huge argument is given up early,
    not pickled whole (time and memory) and then thrown away."""

    def write(self, data: Any) -> int:
        if self.tell() + len(data) > MAX_PICKLE_BYTES:
            raise _TooLarge
        return super().write(data)


def _pickle(obj: Any) -> tuple[bytes | None, str | None]:
    buffer = _CappedBuffer()
    try:
        pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL).dump(obj)
    except _TooLarge:
        return None, f"its arguments are too large to keep (over {MAX_PICKLE_BYTES / 1e6:g} MB pickled)"
    except Exception as exc:  # noqa: BLE001 - anything unpicklable is a reason, not a failure
        return None, f"its arguments cannot be saved ({type(exc).__name__}: {exc})"
    return buffer.getvalue(), None


def capture_call(func: Callable, args: tuple, kwargs: dict) -> CallCapture:
    """The journal's record of ``func(*args, **kwargs)``."""
    if not args and not kwargs:
        found = _no_args_cache.get(func) if isinstance(func, _CACHEABLE) else None
        if found is not None:
            return found
    name, problem = _lookup(func)
    keep_func: Any = None
    if problem is not None:
        module = getattr(func, "__module__", None) or getattr(getattr(func, "func", None), "__module__", None)
        if module != "__main__" and not isinstance(func, types.FunctionType):
            keep_func = func  # a partial or a bound method may pickle as a whole
    if not args and not kwargs:
        args_repr = _NO_ARGS_REPR
        if problem is None:
            found = CallCapture(name, args_repr, _NO_ARGS_PICKLE, None)
            if isinstance(func, _CACHEABLE) and len(_no_args_cache) < _CACHE_MAX:
                try:
                    _no_args_cache[func] = found
                except TypeError:
                    pass
            return found
    else:
        args_repr = json.dumps({"args": [capped_repr(a) for a in args],
                                "kwargs": {str(k): capped_repr(v) for k, v in kwargs.items()}})
    if problem is not None and keep_func is None:
        return CallCapture(name, args_repr, None, problem)
    data, why = _pickle((keep_func, tuple(args), dict(kwargs)))
    if keep_func is not None and data is not None and b"__main__" in data:
        # e.g. a partial of a console function: a later session has another __main__.
        data, why = None, "its function refers to __main__ (a script or the console); define it in a module"
    return CallCapture(name, args_repr, data, why)


def rebuild_call(call: str, func: str, args_pickle: bytes | None,
                 rebuild_error: str | None) -> tuple[Callable, tuple, dict]:
    """``(func, args, kwargs)`` of a recorded call; ValueError naming ``call`` and the reason if impossible."""
    if args_pickle is None:
        raise ValueError(f"{call} cannot be re-queued: {rebuild_error or 'its arguments were not saved'}")
    try:
        kept, args, kwargs = pickle.loads(args_pickle)
    except Exception as exc:  # noqa: BLE001 - e.g. a class that no longer exists
        raise ValueError(f"{call} cannot be re-queued: its arguments cannot be restored "
                         f"({type(exc).__name__}: {exc})") from None
    if kept is not None:
        return kept, tuple(args), dict(kwargs)
    try:
        target = resolve(func)
    except ValueError as exc:
        raise ValueError(f"{call} cannot be re-queued: {exc}") from None
    return target, tuple(args), dict(kwargs)
