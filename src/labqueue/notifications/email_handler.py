"""The handler that turns log records into notification e-mails: :class:`EmailHandler`.

It runs on the mail thread (behind a :class:`~.mail_listener.MailListener`), so building and
sending a mail never holds up a job or the window. One job event gives one e-mail: a record that
repeats a job's state already mailed (e.g. "queue paused after the failure" right after "Failed")
adds nothing, and neither does another thread's note about a running job (e.g. "abort
requested": the "Aborted" mail follows).

A flood is bounded: :data:`MAILS_AT_ONCE` mails go out at once, then at most one every
:data:`DIGEST_INTERVAL` seconds; what comes meanwhile is held and sent as one digest mail when
the interval is over, or when the Manager shuts down.
"""

from __future__ import annotations

import collections
import logging
import time
import weakref
from collections.abc import Callable, Sequence
from email.message import EmailMessage

from labqueue.experiment import Experiment, ExpStatus
from labqueue.notifications.email_message import (
    OneLineFormatter,
    digest_message,
    job_event,
    notification_message,
)
from labqueue.notifications.record_routing import EVENT_ATTRIBUTE
from labqueue.notifications.smtp import EmailError, SmtpSettings, send_email

__all__ = ["EmailHandler", "MAILS_AT_ONCE", "DIGEST_INTERVAL", "RECENT_LINES", "FROM_JOB_ATTRIBUTE"]

#: How many recent log lines an e-mail quotes.
RECENT_LINES = 15
#: Mails that may go out at once; after them, at most one per DIGEST_INTERVAL.
MAILS_AT_ONCE = 5
#: Seconds between mails once MAILS_AT_ONCE have gone out (what comes meanwhile makes one digest).
DIGEST_INTERVAL = 600.0
#: Records held for a digest beyond this are only counted.
DIGEST_KEEP = 200
#: Set on a record by the mail queue: it was logged on the worker thread (by a job).
FROM_JOB_ATTRIBUTE = "labqueue_from_job"

logger = logging.getLogger("labqueue.email")


class EmailHandler(logging.Handler):
    """Mails records at or above ``mail_level`` to ``recipients`` through ``settings``.

    Records below ``mail_level`` (down to INFO) are only remembered as "the last log lines".
    ``is_paused(failed)`` tells whether the queue is (or, after a failure, will be) paused.
    """

    def __init__(self, settings: SmtpSettings, recipients: Sequence[str], mail_level: int = logging.WARNING,
                 is_paused: Callable[[bool], bool] = lambda failed: False,
                 send: Callable[[SmtpSettings, EmailMessage], None] = send_email,
                 clock: Callable[[], float] = time.monotonic):
        super().__init__(logging.NOTSET)
        self.settings = settings
        self.recipients = list(recipients)
        self.mail_level = mail_level
        #: Set when the Manager shuts down: after a failed send, the rest is dropped, not tried.
        self.stopping = False
        self.sent_count = 0
        self.failed_count = 0
        self._is_paused = is_paused
        self._send = send
        self._clock = clock
        self._recent: collections.deque[str] = collections.deque(maxlen=RECENT_LINES)
        self._one_line = OneLineFormatter()
        self._mailed: weakref.WeakKeyDictionary[Experiment, set] = weakref.WeakKeyDictionary()
        self._tokens = float(MAILS_AT_ONCE)
        self._refilled = clock()
        self._held: list[logging.LogRecord] = []
        self._held_more = 0
        self._failing = False
        self._dropped = 0

    # ----------------------------------------------------------------- records
    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._recent.append(self._one_line.format(record))
            if record.levelno < self.mail_level or not self.recipients:
                return
            exp, status, _ = job_event(record)
            if exp is not None and self._adds_nothing(record, exp, status):
                return
            if self._held or not self._take_token():
                self._hold(record)
                return
            paused = self._is_paused(status is ExpStatus.FAILED)
            self._deliver(notification_message(record, self.recipients, self._recent, queue_paused=paused))
        except Exception:  # noqa: BLE001 - the mail thread must live on
            self.handleError(record)

    def _adds_nothing(self, record: logging.LogRecord, exp: Experiment, status: ExpStatus | None) -> bool:
        """True if a mail about this job in this state went out already, or its own mail will."""
        if getattr(record, "labqueue_watchdog", False):
            return False
        is_event = getattr(record, EVENT_ATTRIBUTE, None) is not None
        if status is ExpStatus.RUNNING and not is_event and not getattr(record, FROM_JOB_ATTRIBUTE, False):
            return True
        statuses = self._mailed.setdefault(exp, set())
        if status in statuses:
            return True
        statuses.add(status)
        return False

    # ----------------------------------------------------------------- rate limit and digest
    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(float(MAILS_AT_ONCE), self._tokens + (now - self._refilled) / DIGEST_INTERVAL)
        self._refilled = now

    def _take_token(self) -> bool:
        self._refill()
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def _hold(self, record: logging.LogRecord) -> None:
        if len(self._held) < DIGEST_KEEP:
            self._held.append(record)
        else:
            self._held_more += 1

    def seconds_until_due(self) -> float | None:
        """When the held digest may go out (None: nothing is held)."""
        if not self._held:
            return None
        self._refill()
        return max(0.0, (1 - self._tokens) * DIGEST_INTERVAL)

    def send_due(self, final: bool = False) -> None:
        """Send the digest if it is due (``final``: now, e.g. at shutdown)."""
        with self.lock:
            if not self._held or not (final or self._take_token()):
                return
            held, more = self._held, self._held_more
            self._held, self._held_more = [], 0
            first_failure = next((exp.traceback for exp, status, _ in map(job_event, held)
                                  if status is ExpStatus.FAILED and exp.traceback), None)
            self._deliver(digest_message(held, more, self.recipients, first_failure))
            if final and self._dropped:
                logger.warning("%d e-mail notification(s) not sent at shutdown: the mail server failed.",
                               self._dropped)

    # ----------------------------------------------------------------- sending
    def _deliver(self, message: EmailMessage) -> None:
        if self.stopping and self._failing:
            self._dropped += 1
            return
        try:
            self._send(self.settings, message)
        except EmailError as exc:
            self._failed(f"E-mail notification {message['Subject']!r} could not be sent: {exc}")
        except Exception as exc:  # noqa: BLE001 - nothing may kill the mail thread
            self._failed(f"E-mail notification {message['Subject']!r} could not be sent: "
                         f"{type(exc).__name__}: {exc}")
        else:
            self.sent_count += 1
            if self._failing:
                self._failing = False
                logger.warning("E-mail notifications work again (%d could not be sent before).",
                               self.failed_count)

    def _failed(self, text: str) -> None:
        self.failed_count += 1
        if not self._failing:
            self._failing = True
            logger.warning(text + " Further failures are not logged until sending works again.")
