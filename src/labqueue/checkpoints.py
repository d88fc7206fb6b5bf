"""Pausing inside a running job: :class:`CheckpointGate`.

A long job calls ``manager.checkpoint()`` at points where it may safely stop for a while (between
two scans, with the instrument in a quiet state). Normally that returns at once. After
``manager.pause_worker(now=True)`` the next checkpoint blocks until the queue is resumed or the
job is aborted. Waiting uses a condition variable: no polling, and no Qt.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from labqueue.experiment import Experiment

__all__ = ["CheckpointGate"]

logger = logging.getLogger("labqueue")


class CheckpointGate:
    """A gate that jobs pass at their checkpoints; closed by :meth:`request`, opened by :meth:`release`.

    ``listeners`` are called as ``fn(job)`` when a job starts waiting at a checkpoint and as
    ``fn(None)`` when it goes on (on the job's thread, outside the gate's lock).
    """

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._requested = False
        self._waiting: Experiment | None = None
        self.listeners: list[Callable[[Experiment | None], None]] = []

    @property
    def requested(self) -> bool:
        """True while a pause inside the running job is asked for."""
        return self._requested

    @property
    def waiting_job(self) -> Experiment | None:
        """The job blocked at a checkpoint now, or None."""
        return self._waiting

    def request(self) -> None:
        """Make the next checkpoint block (``pause_worker(now=True)``)."""
        with self._cond:
            self._requested = True

    def release(self) -> None:
        """Let a job waiting at a checkpoint go on, and later checkpoints pass (resume or abort)."""
        with self._cond:
            self._requested = False
            self._cond.notify_all()

    def wait(self, job: Experiment | None) -> bool:
        """Called at a checkpoint: block while a pause is requested. Returns whether it waited."""
        with self._cond:
            if not self._requested:
                return False
            self._waiting = job
        self._tell(job)
        try:
            with self._cond:
                while self._requested:
                    self._cond.wait()
        finally:
            with self._cond:
                self._waiting = None
            self._tell(None)
        return True

    def _tell(self, job: Experiment | None) -> None:
        for fn in list(self.listeners):
            try:
                fn(job)
            except Exception:
                logger.exception("checkpoint listener %r raised", fn)
