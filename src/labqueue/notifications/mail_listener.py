"""The mail thread: logging's ``QueueHandler`` on the logging side, a ``QueueListener`` sending.

:class:`MailQueue` is the handler the routing attaches: on the thread that logs (often the worker)
it only makes a safe snapshot of the record and puts it on a queue. :class:`MailListener` takes
records off that queue on its own thread ("labqueue-mail") and hands them to the
:class:`~.email_handler.EmailHandler`, which builds and sends the mails; it also wakes up when a
held digest is due.
"""

from __future__ import annotations

import logging
import queue
import traceback
from collections.abc import Callable
from logging.handlers import QueueHandler, QueueListener

from labqueue.notifications.email_handler import FROM_JOB_ATTRIBUTE, EmailHandler
from labqueue.notifications.email_message import record_text

__all__ = ["MailQueue", "MailListener"]

# Put on the queue at shutdown, before the listener's own end marker: send what is held.
_FINAL = logging.makeLogRecord({"msg": "labqueue: send the held digest"})


class MailQueue(QueueHandler):
    """Puts a snapshot of each record on the mail queue; never formats a message twice or raises."""

    def __init__(self, mail_queue: queue.SimpleQueue, in_job_thread: Callable[[], bool]):
        super().__init__(mail_queue)
        self._in_job_thread = in_job_thread

    def prepare(self, record: logging.LogRecord) -> logging.LogRecord:
        snapshot = logging.makeLogRecord(record.__dict__)
        snapshot.msg, snapshot.args = record_text(record), None
        if record.exc_info and record.exc_info[0] is not None and not record.exc_text:
            snapshot.exc_text = "".join(traceback.format_exception(*record.exc_info)).rstrip()
        snapshot.exc_info = None  # no frames kept alive on another thread
        snapshot.stack_info = None
        snapshot.__dict__[FROM_JOB_ATTRIBUTE] = self._in_job_thread()
        return snapshot


class MailListener(QueueListener):
    """Runs ``email`` on the mail thread; :meth:`stop` sends what is held and joins (with a timeout)."""

    def __init__(self, email: EmailHandler):
        super().__init__(queue.SimpleQueue(), email, respect_handler_level=False)
        self.email = email
        self._stopping = False

    @property
    def sent_count(self) -> int:
        return self.email.sent_count

    @property
    def failed_count(self) -> int:
        return self.email.failed_count

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        super().start()
        self._thread.name = "labqueue-mail"

    def dequeue(self, block: bool) -> logging.LogRecord:
        while True:
            try:
                return self.queue.get(block, self.email.seconds_until_due())
            except queue.Empty:
                self.email.send_due()

    def handle(self, record: logging.LogRecord) -> None:
        if record is _FINAL:
            self.email.send_due(final=True)
        else:
            super().handle(record)

    def stop(self, timeout: float | None = None) -> bool:
        """Send what is pending and held (dropping the rest once a send fails), end the thread, join it.

        Returns whether the thread has ended; call again to wait more.
        """
        thread = self._thread
        if thread is None:
            return True
        if not self._stopping:
            self._stopping = True
            self.email.stopping = True
            self.queue.put_nowait(_FINAL)
            self.enqueue_sentinel()
        thread.join(timeout)
        if thread.is_alive():
            return False
        self._thread = None
        return True
