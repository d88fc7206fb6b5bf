"""Follows a queue's change stream in a thread: what became of every job, for the display and the summary."""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from labqueue import queue_changes as qc
from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue

__all__ = ["JobLine", "JobTally", "error_text"]


def error_text(exc: BaseException | None) -> str:
    """``ExcType: message`` (just the type when the message is empty)."""
    if exc is None:
        return ""
    message = str(exc).strip().splitlines()
    return f"{type(exc).__name__}: {message[0]}" if message else type(exc).__name__


@dataclass
class JobLine:
    """What the run reports about one job; holds no reference to the job's result."""

    number: int
    call: str
    status: ExpStatus = ExpStatus.QUEUED
    started_at: float | None = None
    finished_at: float | None = None
    fraction: float | None = None
    message: str = ""
    error: str = ""
    traceback: str = field(default="", repr=False)

    @property
    def duration(self) -> float | None:
        if self.started_at is None or self.finished_at is None:
            return None
        return self.finished_at - self.started_at


class JobTally:
    """Subscribes to ``job_queue`` at construction and, once :meth:`start` ed, applies every record
    in its own thread: a :class:`JobLine` per job, counts per status, and calls to ``display``
    (``job_queued(line)``, ``job_started(line)``, ``job_progress(line)``, ``job_done(line)``,
    ``paused(reason)``).

    ``on_done(line)`` is called (on the tally's thread) after ``display.job_done``. :meth:`stop`
    applies what is left, closes the subscription and joins the thread.
    """

    def __init__(self, job_queue: ExperimentQueue, display: object,
                 on_done: Callable[[JobLine], None] | None = None):
        self._display = display
        self._on_done = on_done
        self._lines: dict[str, JobLine] = {}
        self._order: list[JobLine] = []
        self._counts: Counter[ExpStatus] = Counter()
        #: Notified after every batch of records (see :meth:`wait_for`).
        self.changed = threading.Condition()
        snapshot, self._subscription = job_queue.subscribe()
        for job in snapshot.jobs:
            self._line(job, job.status)
        self._thread = threading.Thread(target=self._follow, name="labqueue-run-tally", daemon=True)

    # ----------------------------------------------------------------- thread
    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Apply the remaining records, then end the thread (idempotent)."""
        self._subscription.close()
        if self._thread.is_alive():
            self._thread.join()

    def _follow(self) -> None:
        sub = self._subscription
        while True:
            sub.wait()
            closed = sub.closed
            self._apply(sub.take())
            with self.changed:
                self.changed.notify_all()
            if closed:
                return

    def wait_for(self, predicate: Callable[[], bool], timeout: float) -> bool:
        """Block until ``predicate()`` holds (re-checked after each batch) or ``timeout`` s pass."""
        with self.changed:
            return self.changed.wait_for(predicate, timeout)

    # ----------------------------------------------------------------- records
    def _line(self, job: Experiment, status: ExpStatus) -> JobLine:
        line = self._lines.get(job.job_id)
        if line is None:
            line = JobLine(len(self._order) + 1, job.call_text, status)
            self._lines[job.job_id] = line
            self._order.append(line)
            self._counts[status] += 1
            self._display.job_queued(line)
        return line

    def _set_status(self, job: Experiment, status: ExpStatus, at: float) -> None:
        line = self._line(job, status)
        if line.status is status:
            return
        self._counts[line.status] -= 1
        self._counts[status] += 1
        line.status = status
        if status is ExpStatus.RUNNING:
            line.started_at = at
            self._display.job_started(line)
            return
        if status.is_done:
            line.finished_at = at
            if status is ExpStatus.FAILED:
                exc = job.exception(timeout=0)
                line.error = error_text(exc)
                line.traceback = job.traceback or ""
            self._display.job_done(line)
            if self._on_done is not None:
                self._on_done(line)

    def _apply(self, records: list[qc.Change]) -> None:
        for record in records:
            if isinstance(record, qc.Inserted):
                self._line(record.job, ExpStatus.QUEUED)
            elif isinstance(record, qc.StatusChanged):
                self._set_status(record.job, record.status, record.at)
            elif isinstance(record, qc.HistoryTrimmed):
                continue  # done jobs leaving memory: their lines stay
            elif isinstance(record, qc.RemovedRange):
                for job in record.jobs:  # queued jobs taken out: cancelled
                    self._set_status(job, ExpStatus.CANCELLED, time.time())
            elif isinstance(record, qc.Progress):
                line = self._line(record.job, ExpStatus.RUNNING)
                line.fraction, line.message = record.fraction, record.message
                self._display.job_progress(line)
            elif isinstance(record, qc.PauseChanged) and record.paused:
                self._display.paused(record.reason)

    # ----------------------------------------------------------------- results
    def counts(self) -> dict[ExpStatus, int]:
        """Jobs per status, every status present (zero if none)."""
        return {status: self._counts[status] for status in ExpStatus}

    def lines(self, status: ExpStatus | None = None) -> list[JobLine]:
        """Every job's line in the order they were queued (only ``status``, if given)."""
        return [line for line in self._order if status is None or line.status is status]
