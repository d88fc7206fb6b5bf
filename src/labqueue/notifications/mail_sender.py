"""A thread that sends e-mails one after another: :class:`MailSender`.

Jobs and the window only put a finished message on a queue; a slow or dead SMTP server then
delays nothing but this thread. A failure to send is logged once (not per message, not raised
into anybody), and logged again only after sending has worked in between.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from email.message import EmailMessage

from labqueue.notifications.smtp import EmailError, SmtpSettings, send_email

__all__ = ["MailSender"]

logger = logging.getLogger("labqueue.email")

_STOP = object()


class MailSender:
    """Sends queued messages on its own thread with the current ``settings``.

    ``start()``, ``submit(message)``; ``stop()`` delivers what is pending (dropping the rest as
    soon as one send fails, so a dead server cannot hold up shutdown) and joins the thread.
    """

    def __init__(self, settings: SmtpSettings, send: Callable[[SmtpSettings, EmailMessage], None] = send_email):
        self.settings = settings
        self._send = send
        self._queue: queue.SimpleQueue = queue.SimpleQueue()
        self._thread: threading.Thread | None = None
        self._failing = False
        self._stopping = False
        self.sent_count = 0
        self.failed_count = 0

    def start(self) -> None:
        """Start the sending thread (once)."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="labqueue-mail", daemon=True)
            self._thread.start()

    @property
    def is_alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, message: EmailMessage) -> None:
        """Queue a message; returns at once."""
        self._queue.put(message)

    def stop(self, timeout: float | None = None) -> bool:
        """Send what is pending (unless the server fails), end the thread and join it.

        Returns whether the thread has ended (one send can take up to the SMTP timeout).
        """
        if self._thread is None:
            return True
        self._stopping = True
        self._queue.put(_STOP)
        self._thread.join(timeout)
        return not self._thread.is_alive()

    def _run(self) -> None:
        dropped = 0
        while True:
            message = self._queue.get()
            if message is _STOP:
                break
            if self._stopping and self._failing:
                dropped += 1
                continue
            self._deliver(message)
        if dropped:
            logger.warning("%d e-mail notification(s) not sent at shutdown: the mail server failed.", dropped)

    def _deliver(self, message: EmailMessage) -> None:
        settings = self.settings
        try:
            self._send(settings, message)
        except EmailError as exc:
            self._failed(f"E-mail notification {message['Subject']!r} could not be sent: {exc}")
        except Exception as exc:  # noqa: BLE001 - nothing may kill the sender thread
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
