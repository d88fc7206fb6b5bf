"""The window's one view of a queue: :class:`QueueMirror`, drained once per frame on the GUI thread.

A window subscribes to its queue's change stream exactly once, here (``job_queue.subscribe()``).
The subscription's ``ready_signal`` (a queued connection, one wake-up per burst) starts a frame
timer; every frame the mirror takes the records that arrived and applies them in a time slice of a
few milliseconds: first to its own state (counts, running job, progress, pause state), then to the
row listener (the table model). Whatever does not fit waits for the next frame, so a click always
gets its turn however many jobs stream through; the timer stops when nothing is left.

Everything the window shows is read from here after the same records were applied: the table's
rows, the status bar's counts and progress, the controls' enabled states, the result pane. So the
status bar never disagrees with the table, and no GUI code takes the queue's lock.
"""

from __future__ import annotations

import collections
import time
import weakref
from typing import Protocol

from qtpy.QtCore import QObject, Qt, QTimer, Signal

from labqueue import queue_changes as qc
from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue
from labqueue.gui.result_texts import ResultTexts

__all__ = ["QueueMirror", "RowListener", "FRAME_MS", "FLOOD_FRAME_MS", "SLICE_S"]

#: Milliseconds between two frames while records are waiting (50 frames a second).
FRAME_MS = 20
#: Between frames while a flood streams in (more records a frame than FLOOD_RECORDS): each frame
#: costs a repaint of the table, so under a flood the window repaints ten times a second.
FLOOD_FRAME_MS = 100
FLOOD_RECORDS = 300
#: Seconds of records applied in one go; the rest of the frame's records follow after the event
#: loop has had a turn (clicks, timers), and the frame ends with one update of the views.
SLICE_S = 0.004
#: The running job's elapsed time and the table's running row refresh this often.
TICK_MS = 1000

_COUNTED = (ExpStatus.FINISHED, ExpStatus.FAILED, ExpStatus.ABORTED)


class RowListener(Protocol):
    """What the mirror drives (the table model): records in order, then one ``end_slice`` per frame."""

    def apply_record(self, record: qc.Change) -> None: ...

    def end_slice(self) -> None: ...


class QueueMirror(QObject):
    """The queue as the window shows it: counts, running job, progress, pause state, and the rows.

    Make one per window, on the GUI thread, and pass it to every widget that shows the queue.
    Read-only accessors: :attr:`queued`, :meth:`count`, :attr:`running_job`, :attr:`progress`,
    :attr:`paused`, :attr:`pause_reason`, :attr:`now`, :attr:`drained`. Call :meth:`close` when the window closes.
    """

    #: The counts, the running job, its progress or the pause state changed (at most once a frame).
    changed_signal = Signal()
    #: A job failed and the queue is paused after it: the last such job of the frame.
    failure_paused_signal = Signal(object)
    #: Once a second while a job runs: elapsed times move on (:attr:`now` is the new time).
    tick_signal = Signal()

    def __init__(self, job_queue: ExperimentQueue, parent: QObject | None = None):
        super().__init__(parent)
        self.job_queue = job_queue
        #: Display texts of results, made off the GUI thread (a user's ``__repr__`` may be slow).
        self.result_texts = ResultTexts(self)
        snapshot, self._sub = job_queue.subscribe()
        self._sub.ready_signal.connect(self._on_ready, Qt.QueuedConnection)
        jobs = snapshot.jobs
        # The statuses as they were when the snapshot was taken (a job's live status may be ahead:
        # its records wait in the subscription, so counting from them counts each change once).
        statuses = snapshot.statuses if snapshot.statuses is not None else [exp.status for exp in jobs]
        self._initial_rows: list[Experiment] | None = jobs
        self._counts = dict.fromkeys(_COUNTED, 0)
        self._queued = 0
        self._running: Experiment | None = None
        self.initial_running_row = -1
        for row, status in enumerate(statuses):
            if status is ExpStatus.QUEUED:
                self._queued += 1
            elif status is ExpStatus.RUNNING:
                self._running = jobs[row]
                self.initial_running_row = row
            elif status in self._counts:
                self._counts[status] += 1
        self._paused = snapshot.paused
        self._pause_reason = ""
        self._progress: tuple[float | None, str] = (None, "")
        if self._running is not None:
            self._progress = (self._running.progress, self._running.progress_message)
        self._backlog: collections.deque[qc.Change] = collections.deque(self._sub.take())
        self._shown: tuple[Experiment | None, tuple[float | None, str]] = (self._running, self._progress)
        self._frame_left = 0  # records of the current frame not applied yet
        self._continuation_posted = False
        # Weak: the model owns its mirror, and a model -> mirror -> model cycle would leave the
        # model to Python's cycle collector, which may run on any thread; a QObject (and its
        # timers) deleted off the GUI thread crashes the event loop under PySide6.
        self._listener: weakref.ref[RowListener] | None = None
        self._state_changed = False
        self._last_failure: Experiment | None = None
        self._closed = False
        #: The time (epoch seconds) the running job's elapsed time is shown for (set once a tick).
        self.now = time.time()
        # The rest of a frame's records, after the event loop had a turn. A child timer, not
        # QTimer.singleShot(0, method): PySide6 would still call the method of a deleted mirror.
        self._continuation = QTimer(self)
        self._continuation.setSingleShot(True)
        self._continuation.setInterval(0)
        self._continuation.timeout.connect(self._continue_frame)
        self._frame = QTimer(self)
        self._frame.setInterval(FRAME_MS)
        self._frame.timeout.connect(self._on_frame)
        #: Ticks once a second while a job runs (elapsed times move on).
        self.clock = QTimer(self)
        self.clock.setInterval(TICK_MS)
        self.clock.timeout.connect(self._on_tick)
        if self._running is not None:
            self.clock.start()
        if self._backlog:
            self._frame.start()

    # ----------------------------------------------------------------- what the window reads
    def take_initial_rows(self, listener: RowListener) -> list[Experiment]:
        """Attach the row listener; returns the rows to start from (once, before the first frame)."""
        if self._initial_rows is None:
            raise RuntimeError("a QueueMirror drives one row listener, attached before its first frame")
        rows, self._initial_rows = self._initial_rows, None
        self._listener = weakref.ref(listener)
        return rows

    @property
    def queued(self) -> int:
        """How many jobs wait to run."""
        return self._queued

    def count(self, status: ExpStatus) -> int:
        """How many jobs in the table ended FINISHED, FAILED or ABORTED."""
        return self._counts[status]

    @property
    def running_job(self) -> Experiment | None:
        """The job running now, as of the last frame the window showed."""
        return self._shown[0]

    @property
    def progress(self) -> tuple[float | None, str]:
        """(fraction or None, message) the running job last reported, as of the last frame shown."""
        return self._shown[1]

    def elapsed(self, exp: Experiment) -> float | None:
        """Seconds ``exp`` has run: up to :attr:`now` while it runs (so every view shows the same)."""
        started = exp.started_at
        if started is None:
            return None
        finished = exp.finished_at
        return (finished if finished is not None else max(self.now, started)) - started

    @property
    def paused(self) -> bool:
        """True when no new job starts (the last ``PauseChanged`` record said so)."""
        return self._paused

    @property
    def pause_reason(self) -> str:
        """Why the queue paused, e.g. ``sweep(1) failed``; '' if paused by a person or not paused."""
        return self._pause_reason if self._paused else ""

    @property
    def drained(self) -> bool:
        """True when every change the queue has published so far is applied (rows, counts, state).

        Tests wait for it (``qtbot.waitUntil(lambda: mirror.drained)``) instead of for a guessed time.
        """
        if self._closed:
            return True
        return not self._backlog and not self._frame_left and not self._sub.wait(0)

    def close(self) -> None:
        """Stop following the queue (closes the subscription, stops the timers and the text thread)."""
        if self._closed:
            return
        self._closed = True
        self._frame.stop()
        self.clock.stop()
        self._sub.close()
        self._backlog.clear()
        self._frame_left = 0
        self.result_texts.shutdown()

    # ----------------------------------------------------------------- draining the stream
    # A frame takes the records that arrived, applies them in slices of SLICE_S (the event loop runs
    # in between), then ends with one update of the views: the model inserts its new rows and
    # repaints the changed ones, the status bar and the controls refresh. Records that arrive
    # meanwhile wait for the next frame.
    def sync(self) -> None:
        """Apply everything that has arrived, now (after the user's own command, for an instant answer)."""
        if self._closed:
            return
        self._backlog.extend(self._sub.take())
        self._frame_left = len(self._backlog)
        self._apply_slice(budget_s=None)

    def _on_ready(self) -> None:
        if self._closed or self._frame.isActive():
            return  # the running frame timer takes them
        self._on_frame()  # the first change after a quiet spell shows at once
        if not self._closed:
            self._frame.start()

    def _on_frame(self) -> None:
        if self._closed:
            return
        if self._frame_left:
            return  # the previous frame's slices are still being applied
        self._backlog.extend(self._sub.take())
        if not self._backlog:
            self._frame.stop()
            return
        self._frame_left = len(self._backlog)
        self._frame.setInterval(FLOOD_FRAME_MS if self._frame_left > FLOOD_RECORDS else FRAME_MS)
        self._apply_slice(SLICE_S)

    def _continue_frame(self) -> None:
        self._continuation_posted = False
        if not self._closed and self._frame_left:
            self._apply_slice(SLICE_S)

    def _apply_slice(self, budget_s: float | None) -> None:
        """Apply the frame's records for at most ``budget_s``; end the frame when they are all applied."""
        backlog = self._backlog
        deadline = None if budget_s is None else time.perf_counter() + budget_s
        listener = self._listener() if self._listener is not None else None
        apply_state = self._apply
        done = 0
        while self._frame_left:
            record = backlog.popleft()
            self._frame_left -= 1
            apply_state(record)
            if listener is not None:
                listener.apply_record(record)
            done += 1
            if deadline is not None and not done % 64 and time.perf_counter() > deadline:
                break
        if self._frame_left:
            if not self._continuation_posted:
                self._continuation_posted = True
                self._continuation.start()
            return
        if listener is not None:
            listener.end_slice()
        self._announce()

    def _apply(self, record: qc.Change) -> None:
        kind = type(record)
        if kind is qc.StatusChanged:
            status = record.status
            if status is ExpStatus.RUNNING:
                self._queued -= 1
                self._running = record.job
                self._progress = (None, "")
                if not self.clock.isActive():
                    self.now = time.time()
                    self.clock.start()
            else:
                if record.job is self._running:
                    self._running = None
                    self._progress = (None, "")
                elif status is ExpStatus.CANCELLED:
                    self._queued -= 1  # cancelled while queued, announced as a status change
                if status in self._counts:
                    self._counts[status] += 1
                if status is ExpStatus.FAILED:
                    self._last_failure = record.job
            self._state_changed = True
        elif kind is qc.Inserted:
            self._queued += 1
            self._state_changed = True
        elif kind is qc.Progress:
            if record.job is self._running:
                self._progress = (record.fraction, record.message)
                self._state_changed = True
        elif kind is qc.RemovedRange:
            self._queued -= len(record.jobs)
            self._state_changed = True
        elif kind is qc.HistoryTrimmed:
            for exp in record.jobs:
                if exp.status in self._counts:
                    self._counts[exp.status] -= 1
            self._state_changed = True
        elif kind is qc.PauseChanged:
            self._paused = record.paused
            self._pause_reason = record.reason
            self._state_changed = True

    def _announce(self) -> None:
        # Between the slices of a frame the views still show the previous frame: the table reads
        # the running job and its progress from here too, so both change together, at the frame's end.
        self._shown = (self._running, self._progress)
        failure, self._last_failure = self._last_failure, None
        if self._state_changed:
            self._state_changed = False
            self.changed_signal.emit()
        if failure is not None and self._paused:
            self.failure_paused_signal.emit(failure)

    def _on_tick(self) -> None:
        if self._running is None:
            self.clock.stop()
            return
        self.now = time.time()
        self.tick_signal.emit()
