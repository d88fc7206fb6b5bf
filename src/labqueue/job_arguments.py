"""Changing a queued job's arguments: :func:`update_arguments` (``exp.update_arguments(...)``).

The new arguments are bound against the function's signature first, so a call that could not
run is refused with ``TypeError`` before anything changes. The change is made under the queue's
lock (the worker takes jobs under the same lock): a job is changed only while it is still
QUEUED, and views are told with a ``JobUpdated`` record.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from labqueue.experiment import Experiment

__all__ = ["check_arguments", "plain_signature", "update_arguments"]


def plain_signature(func: Callable) -> str:
    """``sweep(start, stop, steps=10)``: the call's shape without annotations, or ``name(…)`` if unknown."""
    name = getattr(func, "__name__", type(func).__name__)
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return f"{name}(…)"
    plain = signature.replace(
        parameters=[p.replace(annotation=inspect.Parameter.empty) for p in signature.parameters.values()],
        return_annotation=inspect.Signature.empty)
    return f"{name}{plain}"


def check_arguments(func: Callable, args: tuple, kwargs: dict[str, Any]) -> None:
    """``TypeError`` if ``func(*args, **kwargs)`` does not fit ``func``'s signature.

    Functions without a readable signature (some built-ins) accept anything here.
    """
    try:
        signature = inspect.signature(func)
    except (TypeError, ValueError):
        return
    try:
        signature.bind(*args, **kwargs)
    except TypeError as exc:
        raise TypeError(f"{plain_signature(func)}: {exc}") from None


def update_arguments(exp: Experiment, args: tuple, kwargs: dict[str, Any]) -> None:
    """Replace the arguments of the QUEUED ``exp``; ``TypeError`` / ``ValueError`` change nothing."""
    from labqueue.experiment import ExpStatus

    check_arguments(exp.func, args, kwargs)
    while True:
        queue = exp._queue
        if queue is None:
            if exp.status is not ExpStatus.QUEUED:
                raise ValueError(f"{exp.call_text} is {exp.status.name}: only queued jobs can be changed")
            exp._set_arguments(args, kwargs)
            return
        with queue:
            if exp._queue is not queue:
                continue  # removed or cancelled meanwhile: look again
            if exp.status is not ExpStatus.QUEUED:
                raise ValueError(f"{exp.call_text} is {exp.status.name}: only queued jobs can be changed")
            exp._set_arguments(args, kwargs)
            queue.publish_job_updated(exp)
            return
