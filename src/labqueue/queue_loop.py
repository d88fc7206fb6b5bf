"""Loop mode (``manager.loop``): every job that FINISHES is queued again, as a new copy, at the end.

Failed, aborted and cancelled jobs are not repeated, so a broken step does not run again and
again overnight. The worker calls :meth:`QueueLoop.job_done` under the queue's lock right after a
job ends and before it takes the next one, so a loop of a single job keeps running.
"""

from __future__ import annotations

import logging

from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue

__all__ = ["QueueLoop"]

logger = logging.getLogger("labqueue")


class QueueLoop:
    """Re-queues finished jobs of ``job_queue`` while :attr:`enabled`."""

    def __init__(self, job_queue: ExperimentQueue):
        self.job_queue = job_queue
        self.enabled = False

    def job_done(self, exp: Experiment, status: ExpStatus) -> None:
        """Worker hook: queue a copy of ``exp`` at the end if loop mode is on and it FINISHED."""
        if not self.enabled or status is not ExpStatus.FINISHED:
            return
        try:
            self.job_queue.put(exp.copy())
        except RuntimeError:  # the Manager is shutting down: nothing more is queued
            pass
