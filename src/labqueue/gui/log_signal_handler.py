"""Log records to the GUI thread: :class:`LogSignalHandler` and its :class:`LogEntry` snapshots.

Records are logged on any thread (jobs log on the worker thread). The handler turns each one
into an immutable :class:`LogEntry` on the thread that logged it — so later changes to the
record's arguments cannot alter it — and emits it with a Qt signal; a receiver connected with
``Qt.QueuedConnection`` gets the entries on its own thread in the order they were logged.

Nothing is attached on import: :meth:`LogSignalHandler.attach` adds the logging handler (routed
like a log file: see :mod:`labqueue.notifications.record_routing`), :meth:`LogSignalHandler.detach`
removes it. No logger level is ever changed.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from qtpy.QtCore import QObject

from labqueue.change_feed import ChangeFeed
from labqueue.notifications import record_routing

if TYPE_CHECKING:
    from labqueue.notifications import Notifications

__all__ = ["LogEntry", "LogSignalHandler"]

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
            try:
                details = "".join(traceback.format_exception(*record.exc_info)).rstrip()
            except Exception as exc:  # noqa: BLE001 - a broken exception must not break logging
                details = f"(traceback could not be formatted: {type(exc).__name__})"
        return cls(record.created, record.levelno, record.levelname, record.name, message, details,
                   record.threadName or "")


class _ForwardingHandler(logging.Handler):
    """Emits a LogEntry for each record it accepts (never raises into the logging thread)."""

    def __init__(self, emit_entry: Callable[[LogEntry], None]):
        super().__init__(logging.NOTSET)
        self._emit_entry = emit_entry

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._emit_entry(LogEntry.from_record(record))
        except RuntimeError:
            # The pane was deleted without shutdown(): take this handler off the loggers.
            record_routing.detach(self)
        except Exception:  # noqa: BLE001 - logging must never raise into a job
            self.handleError(record)


class LogSignalHandler(QObject):
    """Collects LogEntry snapshots of "labqueue" records and of one Manager's records.

    ``entries_ready_signal`` is emitted when the first entry arrives after :meth:`take_entries`:
    one signal per burst of records, not one per record, so a stream of jobs logging from the
    worker thread cannot flood the GUI thread's event queue.

    With ``notifications`` (``manager.notifications``), the Manager's job events (started,
    finished, failed, aborted, paused, resumed) come whatever the loggers' levels, and so does
    whatever its jobs log with any logger, as far as that logger's level lets it through.
    """

    def __init__(self, notifications: Notifications | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._notifications = notifications
        self._handler: _ForwardingHandler | None = None
        self._entries = ChangeFeed()  # LogEntry objects, one ready signal per burst
        #: Entries are waiting in take_entries() (emitted for the first one of a burst).
        self.entries_ready_signal = self._entries.ready_signal

    @property
    def is_attached(self) -> bool:
        return self._handler is not None

    def attach(self) -> None:
        """Start receiving records (one handler on the root logger, routed to this Manager)."""
        if self._handler is not None:
            return
        handler = _ForwardingHandler(self._collect)
        if self._notifications is not None:
            self._notifications.add_handler(handler, include_general=True)
        else:
            record_routing.attach(handler, (), include_general=True)
        self._handler = handler

    def detach(self) -> None:
        """Remove the handler again; safe to call twice."""
        handler, self._handler = self._handler, None
        if handler is not None:
            record_routing.detach(handler)

    def _collect(self, entry: LogEntry) -> None:
        """Called on the logging thread."""
        self._entries.append(entry)

    def take_entries(self) -> list[LogEntry]:
        """The entries collected since the last call, oldest first."""
        return self._entries.take()
