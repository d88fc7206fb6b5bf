"""The change stream of an ExperimentQueue: typed, immutable records and :class:`Subscription`.

Every change of a queue is published as exactly one record, in the order the queue made it, to
every subscriber: the GUI mirror, the journal, log files and e-mail, and the seed's Qt signals.
Take a consistent start with ``snapshot, subscription = job_queue.subscribe()``: every change is
either already in ``snapshot.jobs`` or arrives as a record, never both, never neither.

A subscriber drains at its own pace (``take()`` returns every record since the last call), so a
slow one never slows the worker: work scales with the subscriber's frames or batches, not with
jobs. Records name jobs by the Experiment itself; ``job.job_id`` is the stable name to use across
a boundary (files, drag payloads, remote clients).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING, NamedTuple

from qtpy.QtCore import QObject, Signal

if TYPE_CHECKING:
    from labqueue.experiment import Experiment, ExpStatus

__all__ = [
    "Change", "Inserted", "RemovedRange", "HistoryTrimmed", "StatusChanged", "Moved", "Progress",
    "JobUpdated", "PauseChanged", "QueueSnapshot", "Subscription",
]


@dataclass(frozen=True, slots=True)
class Inserted:
    """``job`` was added at ``index`` (``put`` appends; a re-insert may name another index)."""

    index: int
    job: Experiment


@dataclass(frozen=True, slots=True)
class RemovedRange:
    """Jobs ``first..last`` (inclusive) left the queue; ``jobs`` are them, in their old order.

    Queued jobs removed by ``remove_items`` / ``clear`` / ``cancel`` / shutdown: they are CANCELLED
    by the time a subscriber sees this record.
    """

    first: int
    last: int
    jobs: tuple[Experiment, ...]


@dataclass(frozen=True, slots=True)
class HistoryTrimmed(RemovedRange):
    """Done jobs ``first..last`` left memory (``history_limit`` / ``clear_history``); a journal keeps them."""


@dataclass(frozen=True, slots=True)
class StatusChanged:
    """``job`` (at ``index``) became ``status`` at time ``at`` (epoch seconds)."""

    index: int
    job: Experiment
    status: ExpStatus
    at: float


@dataclass(frozen=True, slots=True)
class Moved:
    """The queued ``job`` moved from index ``src`` to index ``dst``."""

    src: int
    dst: int
    job: Experiment


@dataclass(frozen=True, slots=True)
class Progress:
    """The running ``job`` (at ``index``) reported ``fraction`` (0..1) and ``message``."""

    index: int
    job: Experiment
    fraction: float
    message: str


@dataclass(frozen=True, slots=True)
class JobUpdated:
    """Something shown of ``job`` (at ``index``) changed other than its status, e.g. its arguments."""

    index: int
    job: Experiment


@dataclass(frozen=True, slots=True)
class PauseChanged:
    """The queue was paused (``paused``) or resumed; ``reason`` is a short text for people, or ''."""

    paused: bool
    reason: str = ""


Change = Inserted | RemovedRange | StatusChanged | Moved | Progress | JobUpdated | PauseChanged


class QueueSnapshot(NamedTuple):
    """What a new subscriber starts from: every job in order, whether the queue is paused, and each
    job's status as it was at that moment (read in the same lock hold: a job's live ``status`` may
    already be ahead, its record then waits in the subscription)."""

    jobs: list[Experiment]
    paused: bool
    statuses: list[ExpStatus] | None = None


class Subscription(QObject):
    """One subscriber's view of the stream; make it with ``job_queue.subscribe()``.

    GUI subscribers connect ``ready_signal`` with ``Qt.QueuedConnection`` and call :meth:`take` in the
    slot; thread subscribers loop on :meth:`wait` and :meth:`take`. ``ready_signal`` is emitted (on
    the publishing thread) only for the first record after a ``take()``: one wake-up per burst.
    """

    #: Records are waiting (emitted for the first record after ``take()``).
    ready_signal = Signal()

    def __init__(self) -> None:
        super().__init__()
        # A lock of its own, held only to append or swap the list: take() never waits for the
        # queue's lock, which a worker running short jobs holds most of the time.
        self._lock = threading.Lock()
        self._records: list[Change] = []
        self._waiting = threading.Event()
        self._closed = False

    def publish(self, record: Change) -> None:
        """Append ``record`` (the queue calls this under its lock, so records keep its order)."""
        with self._lock:
            if self._closed:
                return
            self._records.append(record)
            first = len(self._records) == 1
        if first:
            self._waiting.set()
            self.ready_signal.emit()

    def take(self) -> list[Change]:
        """Every record since the last call, oldest first."""
        with self._lock:
            records, self._records = self._records, []
            self._waiting.clear()
        return records

    def wait(self, timeout: float | None = None) -> bool:
        """Block until records are waiting (or :meth:`close`); False on timeout."""
        return self._waiting.wait(timeout)

    @property
    def closed(self) -> bool:
        return self._closed

    def close(self) -> None:
        """Stop receiving records (wakes a thread blocked in :meth:`wait`)."""
        with self._lock:
            self._closed = True
        self._waiting.set()
