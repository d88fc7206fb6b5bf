"""The logging handler that turns log records into notification e-mails: :class:`EmailHandler`.

It runs on the thread that logs (the worker, usually) and only does cheap work there: remember
the line, build the message, hand it to a :class:`~labqueue.notifications.mail_sender.MailSender`. One job
event gives one e-mail: a record that repeats a job's state already mailed (e.g. "queue paused
after the failure" right after "Failed") adds nothing and is not sent again, and neither is
another thread's note about a running job (e.g. "abort requested": the "Aborted" mail follows).
"""

from __future__ import annotations

import collections
import logging
import weakref
from collections.abc import Callable, Sequence

from labqueue.experiment import Experiment, ExpStatus
from labqueue.notifications.email_message import OneLineFormatter, job_event, notification_message
from labqueue.notifications.mail_sender import MailSender

__all__ = ["EmailHandler"]

#: How many recent log lines an e-mail quotes.
RECENT_LINES = 15


class EmailHandler(logging.Handler):
    """E-mails records at or above ``mail_level`` to ``recipients``; keeps recent lines for context.

    The handler's own level stays at INFO or lower so that the "last log lines" include the
    ordinary job events. ``is_paused(failed)`` tells whether the queue is (or, after a failure,
    will be) paused, which the mail says.
    """

    def __init__(self, sender: MailSender, recipients: Sequence[str], mail_level: int = logging.WARNING,
                 is_paused: Callable[[bool], bool] = lambda failed: False,
                 in_job_thread: Callable[[], bool] = lambda: True):
        super().__init__(level=min(logging.INFO, mail_level))
        self.sender = sender
        self.recipients = list(recipients)
        self.mail_level = mail_level
        self._is_paused = is_paused
        self._in_job_thread = in_job_thread
        self._recent: collections.deque[str] = collections.deque(maxlen=RECENT_LINES)
        self._one_line = OneLineFormatter()
        self._mailed: weakref.WeakKeyDictionary[Experiment, set] = weakref.WeakKeyDictionary()

    def set_mail_level(self, level: int) -> None:
        with self.lock:
            self.mail_level = level
            self.setLevel(min(logging.INFO, level))

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._recent.append(self._one_line.format(record))
            if record.levelno < self.mail_level or not self.recipients:
                return
            exp, status, _ = job_event(record)
            if exp is not None and self._adds_nothing(record, exp, status):
                return
            paused = self._is_paused(status is ExpStatus.FAILED)
            message = notification_message(record, self.recipients, self._recent, queue_paused=paused)
            self.sender.submit(message)
        except Exception:  # noqa: BLE001 - logging must never raise into a job
            self.handleError(record)

    def _adds_nothing(self, record: logging.LogRecord, exp: Experiment, status: ExpStatus | None) -> bool:
        """True if a mail about this job in this state went out already, or its own mail will."""
        if getattr(record, "labqueue_watchdog", False):
            return False
        if status is ExpStatus.RUNNING and not self._in_job_thread():
            return True
        statuses = self._mailed.setdefault(exp, set())
        if status in statuses:
            return True
        statuses.add(status)
        return False
