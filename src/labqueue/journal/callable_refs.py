"""Naming a job's function so that another process can find it again: ``"module:qualname"``.

A function is found again by importing its module and walking its qualified name. That fails for
functions defined in ``__main__`` (a script or the console: a later process has another
``__main__``), inside other functions, or as lambdas. Callables without such a name (a
``functools.partial``, a bound method) are kept by pickling them instead, where that works.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable
from typing import Any

__all__ = ["QUEUED_EXEC_MARK", "func_name", "lookup_problem", "resolve"]

#: Attribute set on the wrappers ``Manager.queued_exec`` makes; resolving a name unwraps them (calling
#: the wrapper would queue the call again instead of running it).
QUEUED_EXEC_MARK = "__labqueue_queued_exec__"


def func_name(func: Callable) -> str:
    """``"module:qualname"`` of ``func`` (best effort for callables without those names)."""
    target = func
    if not hasattr(target, "__qualname__") and hasattr(target, "func"):  # functools.partial
        target = target.func
    module = getattr(target, "__module__", None) or "?"
    qualname = getattr(target, "__qualname__", None) or type(target).__qualname__
    return f"{module}:{qualname}"


def _walk(module_name: str, qualname: str) -> Any:
    obj: Any = sys.modules[module_name]
    for part in qualname.split("."):
        obj = getattr(obj, part)
    return obj


def _unwrap(obj: Any) -> Any:
    while getattr(obj, QUEUED_EXEC_MARK, False) and hasattr(obj, "__wrapped__"):
        obj = obj.__wrapped__
    return obj


def lookup_problem(func: Callable) -> str | None:
    """None if ``func`` can be found again by its name in a new process, else the reason why not.

    Looks only at modules already imported (it never imports anything).
    """
    module = getattr(func, "__module__", None)
    qualname = getattr(func, "__qualname__", None)
    if not isinstance(module, str) or not isinstance(qualname, str):
        return "it has no module-level name"
    if module == "__main__" or module.startswith("__main__."):
        return "its function was defined in __main__ (a script or the console); define it in a module to re-run it"
    if "<lambda>" in qualname:
        return "its function is a lambda; define it with def in a module to re-run it"
    if "<locals>" in qualname:
        return "its function was defined inside another function; define it at module level to re-run it"
    try:
        found = _walk(module, qualname)
    except (KeyError, AttributeError):
        return f"{module}:{qualname} cannot be found by that name"
    if found is not func and _unwrap(found) is not func:
        return f"{module}:{qualname} names another object"
    return None


def resolve(name: str) -> Callable:
    """The callable ``"module:qualname"`` names (importing the module); ValueError with the reason."""
    module, _, qualname = name.partition(":")
    if not module or not qualname or module == "?":
        raise ValueError(f"{name!r} is not a module:qualname function name")
    if module == "__main__" or module.startswith("__main__."):
        raise ValueError(f"{name} was defined in __main__ (a script or the console), which a new session "
                         "does not have; define it in a module to re-run it")
    if "<locals>" in qualname or "<lambda>" in qualname:
        raise ValueError(f"{name} was defined inside a function or as a lambda and cannot be found again")
    try:
        importlib.import_module(module)
        obj = _unwrap(_walk(module, qualname))
    except Exception as exc:  # noqa: BLE001 - any import error is a reason to refuse, not a crash
        raise ValueError(f"{name} cannot be imported ({type(exc).__name__}: {exc})") from None
    if not callable(obj):
        raise ValueError(f"{name} is not callable")
    return obj
