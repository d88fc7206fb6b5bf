"""How long until the queue is empty, and when each queued job should start: :class:`QueueEta`.

A job's expected duration is, while it runs, what its progress reports imply (elapsed time
scaled by the fraction done), else the median of earlier finished runs of the same function
(:class:`~labqueue.duration_stats.DurationStats`). Jobs of unknown duration count as 0; the
estimate is None only when no job left in the queue has a known duration. The clock is a
parameter so that tests control time instead of sleeping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from typing import NamedTuple

from labqueue.duration_stats import DurationStats
from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue

__all__ = ["QueueEta", "ExpectedStart", "Estimate"]


class Estimate(NamedTuple):
    """Seconds until the queue is empty (None: nothing known) and the number of jobs of unknown duration."""

    seconds: float | None
    unknown: int


class ExpectedStart(NamedTuple):
    """When a queued job should start: ``seconds`` from now; ``exact`` is False when an earlier
    job's duration is unknown (then it starts no earlier than that, but maybe later)."""

    seconds: float
    exact: bool


class QueueEta:
    """Estimates for the jobs of ``job_queue`` from ``durations``; ``clock()`` gives epoch seconds."""

    def __init__(self, job_queue: ExperimentQueue, durations: DurationStats,
                 clock: Callable[[], float] = time.time):
        self.job_queue = job_queue
        self.durations = durations
        self.clock = clock

    def _pending_jobs(self) -> list[Experiment]:
        """The running job (if any) and the queued ones, in order, taken under the queue's lock."""
        q = self.job_queue
        with q.changed:
            start = q.qsize("history")
            return q.queue[start:]

    def remaining(self, exp: Experiment, now: float | None = None,
                  memo: dict[object, float | None] | None = None) -> float | None:
        """Seconds ``exp`` still needs (all of its expected duration if it has not started).

        ``memo`` (function -> expected duration) saves looking the same function up again when
        thousands of queued jobs call it.
        """
        status = exp.status
        if status is ExpStatus.QUEUED:
            if memo is None:
                return self.durations.expected_for(exp)
            func = exp.func
            try:
                return memo[func]
            except KeyError:
                expected = memo[func] = self.durations.expected_for(exp)
                return expected
            except TypeError:  # an unhashable callable
                return self.durations.expected_for(exp)
        if status is ExpStatus.RUNNING and exp.started_at is not None:
            now = self.clock() if now is None else now
            elapsed = max(now - exp.started_at, 0.0)
            fraction = exp.progress
            if fraction is not None and fraction > 0:
                return elapsed * (1.0 - fraction) / fraction
            expected = self.durations.expected_for(exp)
            return None if expected is None else max(expected - elapsed, 0.0)
        return 0.0

    def seconds_left(self) -> float | None:
        """Seconds until the queue is empty (see the module docstring); 0.0 when nothing is left."""
        return self.estimate().seconds

    def estimate(self) -> Estimate:
        """:meth:`seconds_left` and how many of the jobs left have an unknown duration."""
        jobs = self._pending_jobs()
        if not jobs:
            return Estimate(0.0, 0)
        total, n_known, n_unknown = 0.0, 0, 0
        for _exp, _queued, seconds in self._each_left(jobs, self.clock()):
            if seconds is None:
                n_unknown += 1
            else:
                total += seconds
                n_known += 1
        return Estimate(total if n_known else None, n_unknown)

    def expected_starts(self, delay: float = 0.0) -> dict[str, ExpectedStart]:
        """``job_id`` -> :class:`ExpectedStart` of every queued job, if the queue starts in ``delay`` s.

        ``delay`` is the wait before queued jobs may start (a timed start); the running job goes on.
        """
        return {exp.job_id: start for exp, start in self._walk_starts(delay)}

    def expected_start(self, job: Experiment, delay: float = 0.0) -> ExpectedStart | None:
        """:class:`ExpectedStart` of the queued ``job`` alone (None if it is not queued here).

        Walks only as far as ``job`` (a tooltip on a 100,000-job queue)."""
        for exp, start in self._walk_starts(delay):
            if exp is job:
                return start
        return None

    def _walk_starts(self, delay: float) -> Iterator[tuple[Experiment, ExpectedStart]]:
        """Each queued job with its expected start, in queue order (lazily)."""
        offset, exact, first = 0.0, True, True
        for exp, queued, seconds in self._each_left(self._pending_jobs(), self.clock()):
            if queued:
                if first:  # the first queued job: the running one must end and the delay pass
                    offset, first = max(offset, delay), False
                yield exp, ExpectedStart(offset, exact)
            if seconds is None:
                exact = False
            else:
                offset += seconds

    def _each_left(self, jobs: list[Experiment], now: float
                   ) -> Iterator[tuple[Experiment, bool, float | None]]:
        """(job, is it queued, seconds it still needs or None) for each job; 100,000 jobs: keep it lean."""
        memo: dict[object, float | None] = {}
        queued = ExpStatus.QUEUED
        remaining = self.remaining
        for exp in jobs:
            if exp.status is queued:
                try:
                    seconds = memo[exp.func]
                except (KeyError, TypeError):
                    seconds = remaining(exp, now, memo)
                yield exp, True, seconds
            else:
                yield exp, False, remaining(exp, now)
