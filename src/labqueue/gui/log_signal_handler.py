"""Log records to the GUI thread: :class:`LogSignalHandler` and its :class:`LogEntry` snapshots.

Records are logged on any thread (jobs log on the worker thread). The handler turns each one
into an immutable :class:`LogEntry` on the thread that logged it — so later changes to the
record's arguments cannot alter it — and emits it with a Qt signal; a receiver connected with
``Qt.QueuedConnection`` gets the entries on its own thread in the order they were logged.

Nothing is attached on import: :meth:`LogSignalHandler.attach` adds the logging handlers,
:meth:`LogSignalHandler.detach` removes them.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass

from qtpy.QtCore import QObject

from labqueue.change_feed import ChangeFeed

__all__ = ["LogEntry", "LogSignalHandler"]

_LABQUEUE = "labqueue"


@dataclass(frozen=True)
class LogEntry:
    """What the log pane shows of one record."""

    created: float  #: time.time() of the record
    levelno: int
    levelname: str
    logger_name: str
    message: str
    details: str = ""  #: formatted traceback of an exception, or ""
    thread_name: str = ""

    @classmethod
    def from_record(cls, record: logging.LogRecord) -> LogEntry:
        """Snapshot of ``record`` (never raises: a broken message is shown as such)."""
        try:
            message = record.getMessage()
        except Exception as exc:  # noqa: BLE001 - a bad format string must not break logging
            message = f"{record.msg!r} (message could not be formatted: {type(exc).__name__})"
        details = record.exc_text or ""
        if not details and record.exc_info and record.exc_info[0] is not None:
            details = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        return cls(record.created, record.levelno, record.levelname, record.name, message, details,
                   record.threadName or "")


def _is_labqueue(name: str) -> bool:
    return name == _LABQUEUE or name.startswith(_LABQUEUE + ".")


class _ForwardingHandler(logging.Handler):
    """Emits a LogEntry for each record it accepts (never raises into the logging thread)."""

    def __init__(self, emit_entry: Callable[[LogEntry], None], accept: Callable[[logging.LogRecord], bool]):
        super().__init__(logging.NOTSET)
        self._emit_entry = emit_entry
        self._accept = accept

    def emit(self, record: logging.LogRecord) -> None:
        try:
            if self._accept(record):
                self._emit_entry(LogEntry.from_record(record))
        except RuntimeError:
            # The pane was deleted without shutdown(): take this handler off the loggers.
            for logger in (logging.getLogger(_LABQUEUE), logging.getLogger()):
                logger.removeHandler(self)
        except Exception:  # noqa: BLE001 - logging must never raise into a job
            self.handleError(record)


class LogSignalHandler(QObject):
    """Collects LogEntry snapshots of records of the "labqueue" loggers and of jobs.

    ``entries_ready_signal`` is emitted when the first entry arrives after :meth:`take_entries`:
    one signal per burst of records, not one per record, so a stream of jobs logging from the
    worker thread cannot flood the GUI thread's event queue.

    ``is_job_thread()`` tells, on the logging thread, whether a job is running there (e.g.
    ``manager.worker.in_worker_thread``): records of any logger logged inside a job are taken,
    so a job's own ``logging.getLogger("mylab")`` messages show too. While attached, the
    "labqueue" logger lets INFO records through (job started / finished, pause, resume).
    """

    def __init__(self, is_job_thread: Callable[[], bool] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._is_job_thread = is_job_thread
        self._attached: list[tuple[logging.Logger, logging.Handler]] = []
        self._entries = ChangeFeed()  # LogEntry objects, one ready signal per burst
        #: Entries are waiting in take_entries() (emitted for the first one of a burst).
        self.entries_ready_signal = self._entries.ready_signal
        self._level_set: int | None = None
        self._level_before = logging.NOTSET

    @property
    def is_attached(self) -> bool:
        return bool(self._attached)

    def attach(self) -> None:
        """Add the logging handlers (to "labqueue", and to the root logger for jobs' own loggers)."""
        if self._attached:
            return
        labqueue_logger = logging.getLogger(_LABQUEUE)
        targets = [(labqueue_logger, _ForwardingHandler(self._collect, lambda r: True))]
        if self._is_job_thread is not None:
            targets.append((logging.getLogger(), _ForwardingHandler(self._collect, self._from_job)))
        for logger, handler in targets:
            logger.addHandler(handler)
        self._attached = targets
        if labqueue_logger.getEffectiveLevel() > logging.INFO:
            self._level_before = labqueue_logger.level
            labqueue_logger.setLevel(logging.INFO)
            self._level_set = logging.INFO

    def detach(self) -> None:
        """Remove the handlers again; safe to call twice."""
        attached, self._attached = self._attached, []
        for logger, handler in attached:
            logger.removeHandler(handler)
        labqueue_logger = logging.getLogger(_LABQUEUE)
        if self._level_set is not None:
            # Give the level back unless someone else changed it or now relies on it.
            if labqueue_logger.level == self._level_set and not labqueue_logger.handlers:
                labqueue_logger.setLevel(self._level_before)
            self._level_set = None

    def _collect(self, entry: LogEntry) -> None:
        """Called on the logging thread."""
        self._entries.append(entry)

    def take_entries(self) -> list[LogEntry]:
        """The entries collected since the last call, oldest first."""
        return self._entries.take()

    def _from_job(self, record: logging.LogRecord) -> bool:
        # "labqueue" records arrive through the handler on that logger; take each record once.
        return not _is_labqueue(record.name) and self._is_job_thread()
