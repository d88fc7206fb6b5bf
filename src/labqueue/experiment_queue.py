"""The ordered list of all jobs — done, running and queued — and its change stream.

Order is always ``[history..., running?, queued...]``: jobs are appended and the worker takes the
first queued one, so the queued jobs form a contiguous tail and ``qsize``, ``get_next_job`` and
``job_done`` are O(1) however long the history grows.

Every change is published from one place (:meth:`ExperimentQueue._publish`) as one typed record
of :mod:`labqueue.queue_changes`, under the queue's lock, so every subscriber sees the changes in
exactly the order they were made. The Qt signals of the reference API are an adapter on the same
records, emitted only while something is connected to them.

``put()`` never waits for the worker: a submitting thread drops the job in an inbox and merges it
itself if the lock is free; otherwise whoever holds the lock merges the inbox before letting go.
"""

from __future__ import annotations

import collections
import math
import queue as _queue_module
import threading
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from qtpy.QtCore import QMetaMethod, QObject, Signal

from labqueue import queue_changes as qc
from labqueue.experiment import DONE_STATUSES, Experiment, ExpStatus
from labqueue.queue_edits import anchor_for, contiguous_runs

__all__ = ["ExperimentQueue", "contiguous_runs"]

_QSIZE_KEYS = ("queued", "running", "history")


def _check_index(name: str, value: Any) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}: {value!r}")


class ExperimentQueue(QObject):
    """All jobs of a Manager in order; thread-safe; publishes every change (see ``subscribe``)."""

    #: A job was appended; carries its index.
    added_signal = Signal(int)
    #: A job was removed; carries its index. Several at once: one per job, descending order.
    removed_signal = Signal(int)
    #: A job's status changed; carries its index and new ExpStatus.
    status_changed_signal = Signal(int, object)
    #: A job was appended; carries its index and the Experiment.
    inserted_signal = Signal(int, object)
    #: Jobs ``first..last`` (inclusive) were removed; one signal per removal.
    removed_range_signal = Signal(int, int)
    #: A queued job moved from index ``src`` to index ``dst``.
    moved_signal = Signal(int, int)
    #: The running job reported progress: index, fraction (0..1), message.
    progress_signal = Signal(int, float, str)
    #: The queue was paused (True) or resumed (False); carries the reason text.
    pause_changed_signal = Signal(bool, str)

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._inbox: collections.deque[Experiment] = collections.deque()
        self._lock = _InboxLock(self._inbox, self._merge_inbox)
        #: A condition on the queue's lock, notified on every change (for code that waits for a state).
        self.changed = threading.Condition(self._lock)
        self._items: list[Experiment] = []
        self._n_history = 0
        self._n_running = 0
        self._closed = False
        self._paused = False
        self._pause_reason = ""
        self._history_limit: int | None = None
        self._subscriptions: tuple[qc.Subscription, ...] = ()
        #: signal name -> number of connections; emitting costs about a microsecond even with no
        #: receiver, so the adapter skips signals nobody listens to.
        self._listeners: dict[str, int] = {}
        #: Called (under the lock) whenever a job may now be startable; the worker sets it.
        self.on_work: Callable[[], None] | None = None
        #: Called (without the lock) when ``put()`` left a job in the inbox for the lock's holder.
        self.on_busy_put: Callable[[], None] | None = None

    def connectNotify(self, signal: QMetaMethod) -> None:  # noqa: N802 - Qt's name
        name = bytes(signal.name()).decode()
        if name.endswith("_signal"):  # not QObject's own (destroyed, objectNameChanged)
            self._listeners[name] = self._listeners.get(name, 0) + 1

    def disconnectNotify(self, signal: QMetaMethod) -> None:  # noqa: N802 - Qt's name
        listeners = getattr(self, "_listeners", None)
        if listeners is None:  # PySide6 calls this while the object is being torn down
            return
        name = bytes(signal.name()).decode()
        if name in listeners:
            listeners[name] -= 1
            if not listeners[name]:
                del listeners[name]

    # ----------------------------------------------------------------- the lock and the inbox
    def __enter__(self) -> ExperimentQueue:
        """``with job_queue:`` holds the queue still for several consistent reads."""
        self._lock.acquire()
        return self

    def __exit__(self, *exc: object) -> None:
        self._lock.release()

    def _merge_inbox(self) -> None:
        """Under the lock: append the jobs submitted while someone else held it, in their order."""
        inbox = self._inbox
        while inbox:
            exp = inbox.popleft()
            if self._closed:  # shut down between put() and here: never strand it
                exp.set_owner(None)
                exp._finish_if_queued()
                exp.run_done_callbacks()
                continue
            index = len(self._items)
            self._items.append(exp)
            self._publish(qc.Inserted(index, exp))
        self._work_available()

    def _work_available(self) -> None:
        if self.changed._waiters:
            self.changed.notify_all()
        if self.on_work is not None:
            self.on_work()

    # ----------------------------------------------------------------- the change stream
    def subscribe(self) -> tuple[qc.QueueSnapshot, qc.Subscription]:
        """A consistent start: the jobs now, and every later change as a record (see queue_changes).

        Close the subscription when done with it.
        """
        with self:
            sub = qc.Subscription()
            self._subscriptions = tuple(s for s in self._subscriptions if not s.closed) + (sub,)
            jobs = list(self._items)
            return qc.QueueSnapshot(jobs, self._paused, [exp.status for exp in jobs]), sub

    def _publish(self, record: qc.Change) -> None:
        """The one place every change goes through (under the lock)."""
        for sub in self._subscriptions:
            sub.publish(record)
        if self._listeners and (type(record) is not qc.StatusChanged or "status_changed_signal" in self._listeners):
            self._emit_signals(record)

    def _emit_signals(self, record: qc.Change) -> None:
        """The reference API's Qt signals, derived from the record."""
        listening = self._listeners.get
        if isinstance(record, qc.StatusChanged):
            if listening("status_changed_signal"):
                self.status_changed_signal.emit(record.index, record.status)
        elif isinstance(record, qc.Inserted):
            if listening("inserted_signal"):
                self.inserted_signal.emit(record.index, record.job)
            if listening("added_signal"):
                self.added_signal.emit(record.index)
        elif isinstance(record, qc.RemovedRange):
            if listening("removed_range_signal"):
                self.removed_range_signal.emit(record.first, record.last)
            if listening("removed_signal"):
                for index in range(record.last, record.first - 1, -1):
                    self.removed_signal.emit(index)
        elif isinstance(record, qc.Progress):
            if listening("progress_signal"):
                self.progress_signal.emit(record.index, record.fraction, record.message)
        elif isinstance(record, qc.Moved):
            if listening("moved_signal"):
                self.moved_signal.emit(record.src, record.dst)
        elif isinstance(record, qc.PauseChanged):
            if listening("pause_changed_signal"):
                self.pause_changed_signal.emit(record.paused, record.reason)

    def publish_job_updated(self, exp: Experiment) -> None:
        """Tell subscribers that something shown of ``exp`` changed (e.g. its arguments)."""
        with self:
            for index in range(len(self._items) - 1, -1, -1):
                if self._items[index] is exp:
                    self._publish(qc.JobUpdated(index, exp))
                    return

    # ----------------------------------------------------------------- reading
    @property
    def queue(self) -> list[Experiment]:
        """Snapshot list of all jobs in order: history, running, queued."""
        with self:
            return list(self._items)

    def qsize(self, status: str | None = None) -> int:
        """Number of jobs: ``'queued'``, ``'running'``, ``'history'`` or all (``None``)."""
        with self:  # the counters change together; never report a job twice
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

    def __len__(self) -> int:
        return self.qsize()

    @property
    def first_queued_index(self) -> int:
        """Index of the first queued job (== len(queue) when none is queued)."""
        with self:
            return self._n_history + self._n_running

    def running_job(self) -> Experiment | None:
        """The job that runs now, or None."""
        with self:
            return self._items[self._n_history] if self._n_running else None

    def job_by_id(self, job_id: str) -> Experiment | None:
        """The job with that ``job_id`` still in this queue, or None."""
        with self:
            for exp in reversed(self._items):
                if exp.job_id == job_id:
                    return exp
        return None

    @property
    def paused(self) -> bool:
        """True while no new job may start (the Manager paused the queue)."""
        return self._paused

    def set_paused(self, paused: bool, reason: str = "") -> None:
        """Record the pause state and publish it (the Manager and the worker call this)."""
        with self:
            # While paused, a new reason is published too (e.g. a timed start set on a paused queue).
            if paused == self._paused and not (paused and reason and reason != self._pause_reason):
                return
            self._paused = paused
            self._pause_reason = reason if paused else ""
            self._publish(qc.PauseChanged(paused, reason))
            if not paused:
                self._work_available()

    # ----------------------------------------------------------------- adding / running
    def put(self, exp: Experiment) -> None:
        """Append a queued Experiment (publishes ``Inserted``; emits ``added_signal``).

        Never waits for the worker: if the lock is busy, the job waits in an inbox that the
        lock's holder merges before it lets go, so ``queue`` and ``qsize`` include it at once.
        """
        if not isinstance(exp, Experiment):
            raise TypeError(f"ExperimentQueue.put() takes an Experiment, got {type(exp).__name__}")
        if self._closed:
            raise RuntimeError(f"cannot queue {exp.call_text}: its Manager has been shut down")
        exp.set_owner(self)
        exp.call_text  # noqa: B018 - made here, on the submitting thread: a slow __repr__ never reaches a view
        self._inbox.append(exp)
        if not self._lock.merge_if_free() and self.on_busy_put is not None:
            self.on_busy_put()  # the holder merges it when it lets go; a sleeping worker looks too

    def get_next_job(self) -> Experiment:
        """Mark the first queued job RUNNING and return it; ``queue.Empty`` if none is queued."""
        with self:
            return self._start_next()

    def _start_next(self) -> Experiment:
        if self._n_running:
            raise RuntimeError("a job is already running; call job_done() first")
        index = self._n_history
        if index >= len(self._items):
            raise _queue_module.Empty
        exp = self._items[index]
        exp.set_running_or_notify_cancel()
        self._n_running = 1
        self._publish(qc.StatusChanged(index, exp, ExpStatus.RUNNING, exp.started_at))
        return exp

    def job_done(self, exit_status: ExpStatus, result: Any = None, *, run_callbacks: bool = True) -> Experiment:
        """Finish the running job with ``exit_status``; for FAILED, ``result`` is the exception.

        Returns the job. ``run_callbacks=False`` leaves its done callbacks to the caller
        (``exp.run_done_callbacks()``), for an executor that holds the queue still around this call.
        """
        if not isinstance(exit_status, ExpStatus) or exit_status not in DONE_STATUSES:
            raise ValueError(f"exit_status must be FINISHED, FAILED, ABORTED or CANCELLED, got {exit_status!r}")
        if exit_status is ExpStatus.FAILED and not isinstance(result, BaseException):
            raise TypeError(f"a FAILED job's result must be its exception, got {type(result).__name__}")
        with self:
            exp = self._finish_running(exit_status, result)
        if run_callbacks:
            exp.run_done_callbacks()
        return exp

    def _finish_running(self, exit_status: ExpStatus, result: Any) -> Experiment:
        """Under the lock: record the running job's outcome; the caller runs its callbacks unlocked."""
        if not self._n_running:
            raise RuntimeError("job_done() called but no job is running")
        index = self._n_history
        exp = self._items[index]
        if exit_status is ExpStatus.FINISHED:
            exp.set_result(result)
        elif exit_status is ExpStatus.FAILED:
            exp.set_exception(result)
        elif exit_status is ExpStatus.ABORTED:
            exp.set_aborted(result)
        else:
            exp.set_cancelled()
        self._n_running = 0
        self._n_history += 1
        self._publish(qc.StatusChanged(index, exp, exit_status, exp.finished_at))
        if self._history_limit is not None and self._n_history > self._history_limit:
            self._trim_history_locked(self._history_limit)
        if self.changed._waiters:
            self.changed.notify_all()
        return exp

    def finish_and_start_next(self, exit_status: ExpStatus, result: Any, abort_events: Sequence[threading.Event],
                              between: Callable[[Experiment, ExpStatus], None] | None,
                              may_start: Callable[[], bool]) -> tuple[Experiment, ExpStatus, Experiment | None]:
        """Executor side: the worker's step between two jobs, in one hold of the lock.

        Finishes the running job (a FINISHED one becomes ABORTED if any of ``abort_events`` is set;
        all set ones are cleared), calls ``between(job, status)``, then starts the next queued job
        if ``may_start()`` allows it (clearing abort events asked for meanwhile). Returns the
        finished job, its status and the started job (or None). Done callbacks are the caller's.
        """
        lock = self._lock
        lock.acquire()
        try:
            for event in abort_events:
                if event.is_set():
                    event.clear()
                    if exit_status is ExpStatus.FINISHED:
                        exit_status = ExpStatus.ABORTED
            exp = self._finish_running(exit_status, result)
            if between is not None:
                between(exp, exit_status)
            nxt = None
            if self._n_history + self._n_running < len(self._items) and may_start():
                for event in abort_events:  # an abort asked for between two jobs must not hit the next
                    if event.is_set():
                        event.clear()
                nxt = self._start_next()
            return exp, exit_status, nxt
        finally:
            lock.release()

    def report_progress(self, fraction: float, message: str = "") -> None:
        """Record progress (0..1) of the running job; publishes ``Progress``."""
        fraction = float(fraction)
        if math.isnan(fraction):
            raise ValueError("progress fraction is NaN")
        fraction = min(max(fraction, 0.0), 1.0)
        with self:
            if not self._n_running:
                raise RuntimeError("report_progress() called but no job is running")
            index = self._n_history
            exp = self._items[index]
            exp._progress = fraction
            exp._progress_message = str(message)
            self._publish(qc.Progress(index, exp, fraction, exp._progress_message))

    # ----------------------------------------------------------------- removing
    def _normalise(self, name: str, i: int) -> int:
        _check_index(name, i)
        n = len(self._items)
        j = i + n if i < 0 else i
        if not 0 <= j < n:
            raise IndexError(f"{name} {i} is out of range: the queue holds {n} job(s)"
                             + (f" (indices 0..{n - 1})" if n else ""))
        return j

    def _check_queued(self, first: int) -> None:
        if first < self._n_history + self._n_running:
            bad = self._items[first]
            raise ValueError(f"job {first} ({bad.call_text}) is {bad.status.name}; only queued jobs "
                             f"(index {self._n_history + self._n_running} and up) can be removed or moved")

    def remove_item(self, i: int) -> None:
        """Remove the queued job at index ``i``; it becomes CANCELLED."""
        self.remove_items(i, i)

    def remove_items(self, i_start: int, i_end: int | None = None) -> None:
        """Remove queued jobs ``i_start..i_end`` (inclusive); nothing is removed on error."""
        with self:
            first = self._normalise("i_start", i_start)
            last = first if i_end is None else self._normalise("i_end", i_end)
            if last < first:
                raise ValueError(f"i_end ({i_end}) comes before i_start ({i_start})")
            self._check_queued(first)
            removed = self._cancel_range(first, last)
        _run_callbacks(removed)

    def clear(self) -> int:
        """Remove every queued job (they become CANCELLED); returns how many. Running and done jobs stay."""
        with self:
            first, last = self._n_history + self._n_running, len(self._items) - 1
            removed = self._cancel_range(first, last) if last >= first else []
        _run_callbacks(removed)
        return len(removed)

    def close(self) -> int:
        """Refuse new jobs from now on (``put`` raises RuntimeError); cancel the queued ones."""
        with self:
            self._closed = True
        return self.clear()

    @property
    def closed(self) -> bool:
        return self._closed

    def _cancel_range(self, first: int, last: int) -> list[Experiment]:
        """Under the lock: cancel and remove queued jobs first..last; their callbacks are the caller's."""
        removed = self._items[first:last + 1]
        del self._items[first:last + 1]
        for exp in removed:
            exp.set_owner(None)
            exp.set_cancelled()
        self._publish(qc.RemovedRange(first, last, tuple(removed)))
        return removed

    # ----------------------------------------------------------------- history in memory (journal)
    @property
    def history_limit(self) -> int | None:
        """At most this many done jobs stay in ``queue`` (and memory); None = all. Older ones are
        removed (published as ``HistoryTrimmed``) when the next job is done; a journal keeps them."""
        return self._history_limit

    @history_limit.setter
    def history_limit(self, limit: int | None) -> None:
        if limit is not None and (isinstance(limit, bool) or not isinstance(limit, int) or limit < 0):
            raise ValueError(f"history_limit must be a non-negative int or None, got {limit!r}")
        with self:
            self._history_limit = limit
            if limit is not None and self._n_history > limit:
                self._trim_history_locked(limit)

    def trim_history(self, keep: int) -> int:
        """Remove the oldest done jobs so that at most ``keep`` stay; returns how many left."""
        if isinstance(keep, bool) or not isinstance(keep, int) or keep < 0:
            raise ValueError(f"keep must be a non-negative int, got {keep!r}")
        with self:
            return self._trim_history_locked(keep)

    def clear_history(self) -> int:
        """Remove every done job from memory now (a journal keeps them); returns how many."""
        return self.trim_history(0)

    def _trim_history_locked(self, keep: int) -> int:
        n = self._n_history - keep
        if n <= 0:
            return 0
        removed = self._items[:n]
        del self._items[:n]
        self._n_history -= n
        for exp in removed:
            exp.set_owner(None)
        self._publish(qc.HistoryTrimmed(0, n - 1, tuple(removed)))
        return n

    # ----------------------------------------------------------------- edits by identity
    # A view's rows may lag the queue, so its row numbers are not queue indices: these take the
    # Experiments themselves and find their indices under the lock.
    def remove_jobs(self, jobs: Iterable[Experiment]) -> int:
        """Remove those of ``jobs`` still queued here; returns how many were removed.

        Each contiguous run is one removal (one ``RemovedRange``); running and done jobs are skipped.
        """
        wanted = set(jobs)
        if not wanted:
            return 0
        removed: list[Experiment] = []
        with self:
            first = self._n_history + self._n_running
            indices = [first + i for i, exp in enumerate(self._items[first:]) if exp in wanted]
            for start, end in reversed(contiguous_runs(indices)):  # from the back: earlier indices stay valid
                removed += self._cancel_range(start, end)
        _run_callbacks(removed)
        return len(removed)

    def move_item(self, src: int, dst: int) -> None:
        """Move the queued job at ``src`` so that it ends up at index ``dst`` (also queued)."""
        with self:
            src = self._normalise("src", src)
            dst = self._normalise("dst", dst)
            self._check_queued(src)
            if dst < self._n_history + self._n_running:
                raise ValueError(f"cannot move a job to index {dst}: queued jobs start at "
                                 f"{self._n_history + self._n_running}")
            if src != dst:
                exp = self._items.pop(src)
                self._items.insert(dst, exp)
                self._publish(qc.Moved(src, dst, exp))

    def move_jobs(self, jobs: Sequence[Experiment], before: Experiment | None = None) -> bool:
        """Move the queued ones of ``jobs`` (in that order) to just before ``before`` (None: the end).

        If ``before`` is running or done, they go to the top of the queued jobs. Returns whether
        any of them was queued (and so could be moved).
        """
        with self:
            first = self._n_history + self._n_running
            tail = self._items[first:]
            in_tail = set(tail)
            moving = [exp for exp in dict.fromkeys(jobs) if exp in in_tail]
            if not moving:
                return False
            anchor = anchor_for(before, tail, set(moving))
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
        with self:
            first = self._n_history + self._n_running
            return self.move_jobs(jobs, self._items[first] if first < len(self._items) else None)


def _run_callbacks(jobs: list[Experiment]) -> None:
    for exp in jobs:
        exp.run_done_callbacks()


class _InboxLock:
    """The queue's re-entrant lock. Taking it merges the inbox; letting go merges what arrived meanwhile.

    So a job that ``put()`` left in the inbox (because someone held the lock) is merged by that
    holder before it lets go, however it held the lock (``with job_queue``, ``job_queue.changed``).
    """

    def __init__(self, inbox: collections.deque, merge: Callable[[], None]):
        self._rlock = threading.RLock()
        self._inbox = inbox
        self._merge = merge

    # This is Python code, so Ctrl+C (KeyboardInterrupt) can land between taking the lock and the
    # caller's ``with`` body, where no ``__exit__`` would give it back and the worker would wait
    # for it forever. Every path below therefore gives back, on any exception, a lock that this
    # thread did not hold before (re-entrant takes are rare and never on a Ctrl+C path).
    def acquire(self, blocking: bool = True, timeout: float = -1) -> bool:
        rlock = self._rlock
        held_before = rlock._is_owned()
        try:
            got = rlock.acquire(blocking, timeout)
            if got and self._inbox:
                self._merge()
            return got
        except BaseException:
            if not held_before and rlock._is_owned():
                rlock.release()
            raise

    def release(self) -> None:
        self._rlock.release()
        self.merge_if_free()

    def merge_if_free(self) -> bool:
        """Merge the inbox now unless another thread holds the lock (its holder will); True if empty."""
        rlock = self._rlock
        held_before = rlock._is_owned()
        try:
            while self._inbox and rlock.acquire(False):
                try:
                    self._merge()
                finally:
                    rlock.release()
        except BaseException:
            if not held_before and rlock._is_owned():
                rlock.release()
            raise
        return not self._inbox

    __enter__ = acquire

    def __exit__(self, *exc: object) -> None:
        self.release()

    # Condition.wait() support: release fully (every nesting level), then take back.
    def _is_owned(self) -> bool:
        return self._rlock._is_owned()

    def _release_save(self) -> object:
        state = self._rlock._release_save()
        self.merge_if_free()
        return state

    def _acquire_restore(self, state: object) -> None:
        self._rlock._acquire_restore(state)
