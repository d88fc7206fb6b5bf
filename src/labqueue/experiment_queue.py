"""The ordered list of all jobs — finished, running and queued — with Qt signals for views.

Order is always ``[history..., running?, queued...]``: jobs are appended and the worker takes the
first queued one, so the queued jobs form a contiguous tail. That keeps ``qsize``,
``get_next_job`` and ``job_done`` O(1) however long the history grows.

Every signal is emitted while the lock is held, so a receiver connected with
``Qt.QueuedConnection`` sees the changes in exactly the order they were made.
"""

from __future__ import annotations

import math
import queue as _queue_module
import threading
import weakref
from collections.abc import Iterable, Sequence
from typing import Any

from qtpy.QtCore import QMetaMethod, QObject, Signal

from labqueue import queue_changes as qc
from labqueue.change_feed import ChangeFeed
from labqueue.experiment import DONE_STATUSES, Experiment, ExpStatus

__all__ = ["ExperimentQueue"]

_QSIZE_KEYS = ("queued", "running", "history")


def _check_index(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")


class ExperimentQueue(QObject):
    """All jobs of a Manager in order; thread-safe; emits Qt signals on every change."""

    #: A job was appended; carries its index.
    added_signal = Signal(int)
    #: A job was appended; carries its index and the Experiment (for views that mirror the queue).
    inserted_signal = Signal(int, object)
    #: A job was removed; carries its index. Several at once: one per job, descending order.
    removed_signal = Signal(int)
    #: Jobs ``first..last`` (inclusive) were removed; one signal per removal call.
    removed_range_signal = Signal(int, int)
    #: A job's status changed; carries its index and new ExpStatus.
    status_changed_signal = Signal(int, object)
    #: A queued job moved from index ``src`` to index ``dst``.
    moved_signal = Signal(int, int)
    #: The running job reported progress: index, fraction (0..1), message.
    progress_signal = Signal(int, float, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        #: signal name -> number of connections; emitting a Qt signal costs about a microsecond even
        #: when nobody listens, so the hot paths skip signals without receivers.
        self._listeners: dict[str, int] = {}
        #: Weak references to the ChangeFeeds of views (see change_feed()).
        self._feeds: tuple[weakref.ref, ...] = ()
        self._lock = threading.RLock()
        #: Notified on every change that could let the worker start a job.
        self.changed = threading.Condition(self._lock)
        self._items: list[Experiment] = []
        self._n_history = 0
        self._n_running = 0
        self._closed = False
        self._paused = False
        self._subscriptions: tuple[qc.Subscription, ...] = ()
        self._history_limit: int | None = None

    def connectNotify(self, signal: QMetaMethod) -> None:  # noqa: N802 - Qt's name
        """Qt calls this on every connect: count the receivers of each signal."""
        name = bytes(signal.name()).decode()
        self._listeners[name] = self._listeners.get(name, 0) + 1

    def disconnectNotify(self, signal: QMetaMethod) -> None:  # noqa: N802 - Qt's name
        """Qt calls this on every disconnect."""
        name = bytes(signal.name()).decode()
        self._listeners[name] = self._listeners.get(name, 0) - 1

    def change_feed(self) -> ChangeFeed:
        """A new :class:`ChangeFeed` of every later change: one event per burst instead of one per change.

        Take a snapshot of ``queue`` under ``changed`` (the queue's lock) in the same block, so
        every change is either in the snapshot or in the feed. The queue keeps only a weak
        reference: the feed lives as long as its view holds it.
        """
        with self._lock:
            feed = ChangeFeed()
            self._feeds = tuple(r for r in self._feeds if r() is not None) + (weakref.ref(feed),)
        return feed

    def subscribe(self) -> tuple[qc.QueueSnapshot, qc.Subscription]:
        """A consistent start for a subscriber: the jobs now, and every later change as a record.

        See :mod:`labqueue.queue_changes`. Close the subscription when done with it.
        """
        with self._lock:
            sub = qc.Subscription()
            self._subscriptions = tuple(s for s in self._subscriptions if not s.closed) + (sub,)
            return qc.QueueSnapshot(list(self._items), self._paused), sub

    def _publish(self, record: qc.Change) -> None:
        """Send ``record`` to every subscriber (under the lock, so records keep the queue's order)."""
        for sub in self._subscriptions:
            sub.publish(record)

    @property
    def paused(self) -> bool:
        """True while no new job may start (the Manager paused the queue)."""
        return self._paused

    def set_paused(self, paused: bool, reason: str = "") -> None:
        """Record the pause state and publish it (the Manager and the worker call this)."""
        with self._lock:
            if paused == self._paused:
                return
            self._paused = paused
            self._publish(qc.PauseChanged(paused, reason))

    def _record(self, *change: Any) -> None:
        """Append ``change`` to every live feed (under the lock)."""
        for ref in self._feeds:
            feed = ref()
            if feed is not None:
                feed.append(change)

    # ----------------------------------------------------------------- reading
    @property
    def queue(self) -> list[Experiment]:
        """Snapshot list of all jobs in order: history, running, queued."""
        with self._lock:
            return list(self._items)

    def qsize(self, status: str | None = None) -> int:
        """Number of jobs: ``'queued'``, ``'running'``, ``'history'`` or all (``None``)."""
        with self._lock:  # the counters change together; never report a job twice
            if status is None:
                return len(self._items)
            if status == "queued":
                return len(self._items) - self._n_history - self._n_running
            if status == "running":
                return self._n_running
            if status == "history":
                return self._n_history
        raise ValueError(f"qsize status must be one of {', '.join(map(repr, _QSIZE_KEYS))} or None, "
                         f"got {status!r}")

    def close(self) -> None:
        """Refuse new jobs from now on (``put`` raises RuntimeError) and cancel the queued ones."""
        with self._lock:
            self._closed = True
        self.clear()

    def __len__(self) -> int:
        return len(self._items)

    @property
    def first_queued_index(self) -> int:
        """Index of the first queued job (== len(queue) when none is queued)."""
        return self._n_history + self._n_running

    def running_job(self) -> Experiment | None:
        """The job that runs now, or None."""
        with self._lock:
            return self._items[self._n_history] if self._n_running else None

    # ----------------------------------------------------------------- adding / running
    def put(self, exp: Experiment) -> None:
        """Append a queued Experiment; emits ``added_signal``."""
        if not isinstance(exp, Experiment):
            raise TypeError(f"ExperimentQueue.put() takes an Experiment, got {type(exp).__name__}")
        with self._lock:
            if self._closed:
                raise RuntimeError(f"cannot queue {exp.call_text}: its Manager has been shut down")
            exp._claim_for(self)
            index = len(self._items)
            self._items.append(exp)
            listeners = self._listeners
            if listeners.get("inserted_signal"):
                self.inserted_signal.emit(index, exp)
            if self._feeds:
                self._record("inserted", index, exp)
            if self._subscriptions:
                self._publish(qc.Inserted(index, exp))
            if listeners.get("added_signal"):
                self.added_signal.emit(index)
            self.changed.notify_all()

    def get_next_job(self) -> Experiment:
        """Mark the first queued job RUNNING and return it; ``queue.Empty`` if none is queued."""
        with self._lock:
            if self._n_running:
                raise RuntimeError("a job is already running; call job_done() first")
            index = self._n_history
            if index >= len(self._items):
                raise _queue_module.Empty
            exp = self._items[index]
            exp._start()
            self._n_running = 1
            if self._listeners.get("status_changed_signal"):
                self.status_changed_signal.emit(index, ExpStatus.RUNNING)
            if self._feeds:
                self._record("status_changed", index, ExpStatus.RUNNING)
            if self._subscriptions:
                self._publish(qc.StatusChanged(index, exp, ExpStatus.RUNNING, exp.started_at))
            return exp

    def job_done(self, exit_status: ExpStatus, result: Any = None) -> None:
        """Finish the running job with ``exit_status``; for FAILED, ``result`` is the exception."""
        if not isinstance(exit_status, ExpStatus) or exit_status not in DONE_STATUSES:
            raise ValueError(f"exit_status must be FINISHED, FAILED, ABORTED or CANCELLED, got {exit_status!r}")
        if exit_status is ExpStatus.FAILED and not isinstance(result, BaseException):
            raise TypeError(f"a FAILED job's result must be its exception, got {type(result).__name__}")
        with self._lock:
            exp, callbacks = self._finish_running(exit_status, result)
        exp._run_callbacks(callbacks)

    def _finish_running(self, exit_status: ExpStatus, result: Any) -> tuple[Experiment, list]:
        """Finish the running job under the lock; return it and the callbacks to run unlocked."""
        with self._lock:
            if not self._n_running:
                raise RuntimeError("job_done() called but no job is running")
            index = self._n_history
            exp = self._items[index]
            if exit_status is ExpStatus.FAILED:
                callbacks = exp._finish(exit_status, exception=result)
            else:
                callbacks = exp._finish(exit_status, result=result)
            self._n_running = 0
            self._n_history += 1
            if self._listeners.get("status_changed_signal"):
                self.status_changed_signal.emit(index, exit_status)
            if self._feeds:
                self._record("status_changed", index, exit_status)
            if self._subscriptions:
                self._publish(qc.StatusChanged(index, exp, exit_status, exp.finished_at))
            if self._history_limit is not None and self._n_history > self._history_limit:
                self._trim_history_locked(self._history_limit)
            self.changed.notify_all()
        return exp, callbacks

    def report_progress(self, fraction: float, message: str = "") -> None:
        """Record progress (0..1) of the running job; emits ``progress_signal``."""
        fraction = float(fraction)
        if math.isnan(fraction):
            raise ValueError("progress fraction is NaN")
        fraction = min(max(fraction, 0.0), 1.0)
        with self._lock:
            if not self._n_running:
                raise RuntimeError("report_progress() called but no job is running")
            index = self._n_history
            exp = self._items[index]
            exp._progress = fraction
            exp._progress_message = str(message)
            self.progress_signal.emit(index, fraction, exp._progress_message)
            if self._feeds:
                self._record("progress", index, fraction, exp._progress_message)
            if self._subscriptions:
                self._publish(qc.Progress(index, exp, fraction, exp._progress_message))

    def _job_updated(self, exp: Experiment) -> None:
        """Under the lock: tell views that ``exp`` (queued, arguments changed) must be redrawn."""
        index = self._items.index(exp, self.first_queued_index)
        if self._subscriptions:
            self._publish(qc.JobUpdated(index, exp))

    # ----------------------------------------------------------------- removing / moving
    def _normalise(self, name: str, i: int) -> int:
        _check_index(name, i)
        n = len(self._items)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError(f"{name} {i} is out of range: the queue holds {n} job(s)"
                             + (f" (indices 0..{n - 1})" if n else ""))
        return j

    def _check_removable(self, first: int, last: int) -> None:
        if first < self.first_queued_index:
            bad = self._items[first]
            raise ValueError(f"job {first} ({bad.call_text}) is {bad.status.name}; "
                             f"only queued jobs (index {self.first_queued_index} and up) can be removed")

    def remove_item(self, i: int) -> None:
        """Remove the queued job at index ``i``; it becomes CANCELLED."""
        self.remove_items(i, i)

    def remove_items(self, i_start: int, i_end: int | None = None) -> None:
        """Remove queued jobs ``i_start..i_end`` (inclusive); nothing is removed on error."""
        removed = self._take_items(i_start, i_end)
        self._cancel_all(removed)

    def _take_items(self, i_start: int, i_end: int | None = None) -> list[Experiment]:
        """Remove queued jobs like remove_items() but leave cancelling them to the caller.

        For callers that hold the lock across several removals: they call ``_cancel_all`` after
        releasing it, so done callbacks never run under the queue lock.
        """
        with self._lock:
            first = self._normalise("i_start", i_start)
            last = first if i_end is None else self._normalise("i_end", i_end)
            if last < first:
                raise ValueError(f"i_end ({i_end}) comes before i_start ({i_start})")
            self._check_removable(first, last)
            return self._remove_range(first, last)

    def clear(self) -> None:
        """Remove every queued job (they become CANCELLED); the running job and history stay."""
        with self._lock:
            first, last = self.first_queued_index, len(self._items) - 1
            removed = self._remove_range(first, last) if last >= first else []
        self._cancel_all(removed)

    def _remove_range(self, first: int, last: int, record: type[qc.RemovedRange] = qc.RemovedRange
                      ) -> list[Experiment]:
        removed = self._items[first:last + 1]
        del self._items[first:last + 1]
        for exp in removed:
            exp._queue = None
        self.removed_range_signal.emit(first, last)
        if self._feeds:
            self._record("removed_range", first, last)
        if self._subscriptions:
            self._publish(record(first, last, tuple(removed)))
        if self._listeners.get("removed_signal"):
            for index in range(last, first - 1, -1):
                self.removed_signal.emit(index)
        return removed

    @staticmethod
    def _cancel_all(removed: list[Experiment]) -> None:
        for exp in removed:
            callbacks = exp._finish(ExpStatus.CANCELLED)
            exp._run_callbacks(callbacks)

    def _cancel(self, exp: Experiment) -> bool:
        """Remove ``exp`` if it is still queued here (``Experiment.cancel``)."""
        with self._lock:
            if exp._queue is not self or exp.status is not ExpStatus.QUEUED:
                return False
            index = self._items.index(exp, self.first_queued_index)
            removed = self._remove_range(index, index)
        self._cancel_all(removed)
        return True

    # ----------------------------------------------------------------- edits by identity
    # A view's rows may lag behind the queue, so its row numbers are not queue indices: these take
    # the Experiments themselves and find their indices under the lock.
    def remove_jobs(self, jobs: Iterable[Experiment]) -> int:
        """Remove those of ``jobs`` still queued here; returns how many were removed.

        Each contiguous run is one removal (one ``RemovedRange``); running and done jobs are skipped.
        """
        wanted = set(jobs)
        if not wanted:
            return 0
        removed: list[Experiment] = []
        with self._lock:
            first = self.first_queued_index
            indices = [first + i for i, exp in enumerate(self._items[first:]) if exp in wanted]
            for start, end in reversed(contiguous_runs(indices)):  # from the back: earlier indices stay valid
                removed += self._remove_range(start, end)
        self._cancel_all(removed)
        return len(removed)

    def move_jobs(self, jobs: Sequence[Experiment], before: Experiment | None = None) -> bool:
        """Move the queued ones of ``jobs`` (in that order) to just before ``before`` (None: the end).

        If ``before`` is running or done, they go to the top of the queued jobs. Returns whether
        any of them was queued (and so could be moved).
        """
        with self._lock:
            first = self.first_queued_index
            tail = self._items[first:]
            in_tail = set(tail)
            moving = [exp for exp in dict.fromkeys(jobs) if exp in in_tail]
            if not moving:
                return False
            anchor = _anchor_for(before, tail, set(moving))
            for exp in moving:  # each lands just before the anchor, i.e. right after the previous one
                src = tail.index(exp)
                target = tail.index(anchor) if anchor is not None else len(tail)
                dst = target - 1 if src < target else target
                if src != dst:
                    self.move_item(first + src, first + dst)
                    tail.insert(dst, tail.pop(src))
        return True

    def move_jobs_to_top(self, jobs: Sequence[Experiment]) -> bool:
        """Move the queued ones of ``jobs`` to the front of the queued jobs (they run next)."""
        with self._lock:
            first = self.first_queued_index
            return self.move_jobs(jobs, self._items[first] if first < len(self._items) else None)

    def job_by_id(self, job_id: str) -> Experiment | None:
        """The job with that ``job_id`` still in this queue, or None."""
        with self._lock:
            for exp in reversed(self._items):
                if exp.job_id == job_id:
                    return exp
        return None

    # ----------------------------------------------------------------- history in memory (journal, issue 11)
    @property
    def history_limit(self) -> int | None:
        """At most this many done jobs stay in ``queue`` (and memory); None = all. Older ones are
        removed (published as ``HistoryTrimmed``) when the next job is done; a journal keeps them."""
        return self._history_limit

    @history_limit.setter
    def history_limit(self, limit: int | None) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"history_limit must be a non-negative int or None, got {limit!r}")
        with self._lock:
            self._history_limit = limit
            if limit is not None and self._n_history > limit:
                self._trim_history_locked(limit)

    def trim_history(self, keep: int) -> int:
        """Remove the oldest done jobs so that at most ``keep`` stay; returns how many left."""
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise ValueError(f"keep must be a non-negative int, got {keep!r}")
        with self._lock:
            return self._trim_history_locked(keep)

    def clear_history(self) -> int:
        """Remove every done job from memory now (a journal keeps them); returns how many."""
        return self.trim_history(0)

    def _trim_history_locked(self, keep: int) -> int:
        n = self._n_history - keep
        if n <= 0:
            return 0
        self._n_history -= n
        self._remove_range(0, n - 1, qc.HistoryTrimmed)
        return n

    def move_item(self, src: int, dst: int) -> None:
        """Move the queued job at ``src`` so that it ends up at index ``dst`` (also queued)."""
        with self._lock:
            src = self._normalise("src", src)
            dst = self._normalise("dst", dst)
            self._check_removable(src, src)
            if dst < self.first_queued_index:
                raise ValueError(f"cannot move a job to index {dst}: queued jobs start at "
                                 f"{self.first_queued_index}")
            if src == dst:
                return
            self._items.insert(dst, self._items.pop(src))
            self.moved_signal.emit(src, dst)
            if self._feeds:
                self._record("moved", src, dst)
            if self._subscriptions:
                self._publish(qc.Moved(src, dst, self._items[dst]))


def _anchor_for(before: Experiment | None, tail: list[Experiment], moving: set[Experiment]) -> Experiment | None:
    """The queued job that moved jobs should end up just before (None: the end)."""
    if before is None:
        return None
    if before in moving:  # dropped onto its own rows: keep the place, i.e. before the next other job
        for exp in tail[tail.index(before) + 1:]:
            if exp not in moving:
                return exp
        return None
    if before.status is ExpStatus.QUEUED and before in tail:
        return before
    if before.status is ExpStatus.CANCELLED:  # removed meanwhile: append
        return None
    # Running or finished: snap to the first queued position.
    return next((exp for exp in tail if exp not in moving), None)


def contiguous_runs(indices: list[int]) -> list[tuple[int, int]]:
    """Sorted ints → inclusive (first, last) runs: [2, 3, 4, 7] → [(2, 4), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
