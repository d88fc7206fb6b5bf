"""The names a scientist starts with, in the embedded console and in ``labqueue run`` scripts."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from labqueue.experiment import Experiment, ExpStatus

if TYPE_CHECKING:
    from labqueue.manager import Manager

__all__ = ["console_namespace"]


def console_namespace(manager: Manager) -> dict[str, Any]:
    """``manager``, ``queued_exec``, ``job_queue``, ``Experiment``, ``ExpStatus`` and ``time``."""
    return {
        "manager": manager,
        "queued_exec": manager.queued_exec,
        "job_queue": manager.job_queue,
        "Experiment": Experiment,
        "ExpStatus": ExpStatus,
        "time": time,
    }
