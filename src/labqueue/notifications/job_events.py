"""Job events as log records, made from the queue's change stream: :class:`JobEventLog`.

The worker only runs jobs; this thread ("labqueue-events") turns each ``StatusChanged`` record of
the stream into one log record — Started (INFO), Finished (INFO), Failed (ERROR, with the
traceback), Aborted (WARNING) — and each pause or resume into one more, and hands them to the
Manager's log file, e-mail and Messages pane (:func:`~.record_routing.deliver`), and to the
user's own logging when their "labqueue" logger lets that level through. What jobs log
themselves still goes through ``logging`` on the worker thread, as before.
"""

from __future__ import annotations

import logging
import threading
from typing import TYPE_CHECKING

from labqueue.experiment import ExpStatus
from labqueue.notifications import record_routing
from labqueue.notifications.email_message import describe_exception, format_duration
from labqueue.queue_changes import PauseChanged, StatusChanged

if TYPE_CHECKING:
    from labqueue.experiment import Experiment
    from labqueue.experiment_queue import ExperimentQueue
    from labqueue.queue_changes import Change

__all__ = ["JobEventLog"]

EVENT_ATTRIBUTE = record_routing.EVENT_ATTRIBUTE
_LEVELS = {ExpStatus.RUNNING: logging.INFO, ExpStatus.FINISHED: logging.INFO, ExpStatus.FAILED: logging.ERROR,
           ExpStatus.ABORTED: logging.WARNING}

logger = logging.getLogger("labqueue")


#: Seconds a burst of changes may gather before the event thread logs it (job events lag by at most this).
BATCH_S = 0.05

class JobEventLog:
    """Logs the job events of one queue from its change stream, on its own thread.

    :meth:`flush` logs what is pending now, on the calling thread (records stay in stream order);
    :meth:`close` logs the rest and joins the thread.
    """

    def __init__(self, job_queue: ExperimentQueue, source_key: str):
        self._source_key = source_key
        self._queue_lock = job_queue.changed  # a Condition on the queue's lock
        _, self._subscription = job_queue.subscribe()
        self._lock = threading.RLock()  # one drain at a time, so records keep the stream's order
        self._running: Experiment | None = None
        self._deferred_pause: PauseChanged | None = None
        self._last_failed: Experiment | None = None  # the job whose failure was the last record
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="labqueue-events", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        sub = self._subscription
        while True:
            sub.wait()
            # Let a burst gather before draining it: one wake-up per batch, not one per job, so a
            # stream of short jobs does not make this thread and the worker trade the GIL per job.
            self._closing.wait(BATCH_S)
            self.flush()
            if sub.closed:
                self.flush()
                return

    def flush(self, settled: bool = False) -> None:
        """Log every change published so far (on this thread).

        ``settled``: first wait until no change is half-published, so that a job whose
        ``result()`` has returned has its event logged too (never call it holding the queue's lock
        on another thread's behalf: it waits for that lock).
        """
        if settled:
            with self._queue_lock:  # a barrier only: nothing is held while waiting for it
                pass
        with self._lock:
            for change in self._subscription.take():
                try:
                    self._log_change(change)
                except BaseException as exc:  # noqa: BLE001 - e.g. a job argument's repr: the log goes on
                    logging.getLogger("labqueue.notifications").error(
                        "Could not log a %s record: %s", type(change).__name__, describe_exception(exc))

    def close(self) -> None:
        """Log what is left (on this thread), end the thread and join it."""
        self._closing.set()
        self._subscription.close()
        self.flush()
        if self._thread is not threading.current_thread():
            self._thread.join()

    # ----------------------------------------------------------------- records
    def _log_change(self, change: Change) -> None:
        if isinstance(change, StatusChanged):
            self._last_failed = None
            self._log_status(change)
        elif isinstance(change, PauseChanged):
            running, failed = self._running, self._last_failed
            if change.paused and failed is not None and change.reason == f"{failed.call_text} failed":
                # The worker's pause right after a failure: logged with the job, so that it reads
                # (and is mailed) as one event with the failure.
                self._log_pause(change, failed)
            elif change.paused and running is not None and change.reason == f"{running.call_text} failed":
                self._deferred_pause = change  # published before the failure: log it after it
            else:
                self._log_pause(change, None)


    def _log_status(self, change: StatusChanged) -> None:
        exp, status = change.job, change.status
        if status is ExpStatus.RUNNING:
            self._running = exp
        level = _LEVELS.get(status)
        if level is not None and record_routing.wanted(level, logger):  # texts cost a repr: only when read
            exc_info = None
            if status is ExpStatus.RUNNING:
                text = f"Started: {exp.call_text}"
            elif status is ExpStatus.FINISHED:
                text = f"Finished: {exp.call_text} in {format_duration(exp.duration)}"
            elif status is ExpStatus.FAILED:
                exc = exp.exception(timeout=0)
                exc_info = (type(exc), exc, exc.__traceback__) if exc is not None else None
                text = f"Failed: {exp.call_text} after {format_duration(exp.duration)}: {describe_exception(exc)}"
            else:
                text = f"Aborted: {exp.call_text} after {format_duration(exp.duration)}"
            self._emit(level, text, change.at, exp, status, exc_info)
        if status is ExpStatus.FAILED:
            self._last_failed = exp
        if status.is_done and exp is self._running:
            self._running = None
            pause, self._deferred_pause = self._deferred_pause, None
            if pause is not None:
                self._log_pause(pause, exp)

    def _log_pause(self, change: PauseChanged, exp: Experiment | None) -> None:
        if not change.paused:
            self._emit(logging.INFO, "Queue resumed.", None, None, None, None)
        elif exp is not None:
            self._emit(logging.WARNING, "Queue paused after the failure; resume to run the next job.", None, exp,
                       exp.status, None)
        else:
            reason = f": {change.reason}" if change.reason else ""
            self._emit(logging.INFO, f"Queue paused{reason}.", None, None, None, None)

    def _emit(self, level: int, text: str, at: float | None, exp: Experiment | None,
              status: ExpStatus | None, exc_info) -> None:
        if not record_routing.wanted(level, logger):
            return
        extra = {record_routing.SOURCE_ATTRIBUTE: self._source_key, EVENT_ATTRIBUTE: status}
        if exp is not None:
            extra["experiment"] = exp
        record = logger.makeRecord(logger.name, level, __file__, 0, text, None, exc_info, extra=extra)
        if at is not None:  # when it happened, not when this thread got to it
            record.created = at
            record.msecs = (at - int(at)) * 1000
        record_routing.deliver(record, logger)
