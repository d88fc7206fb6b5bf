"""Log files, e-mail and the watchdog of one Manager: :class:`Notifications`.

Every Manager has one, as ``manager.notifications``. Its settings are one immutable
:class:`~.settings.NotificationSettings`; every change goes through :meth:`Notifications.update`,
which checks it first and applies it under one lock (so two threads changing settings at once
leave one consistent state). Nothing is attached or opened until it is needed: file logging is
on once a log folder is given (or ``log_to_file = True``), e-mail once there are addresses and a
mail server. One thread per Manager ("labqueue-events") turns the queue's change stream into job
event records (:mod:`.job_events`); the mail thread starts with e-mail (:mod:`.mail_listener`).

Routing (:mod:`.record_routing`): the log file gets this Manager's records plus "labqueue"
records of no Manager; e-mail gets only this Manager's records at or above the e-mail level.
"""

from __future__ import annotations

import itertools
import logging
import threading
import weakref
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING, Any

from labqueue.experiment import Experiment
from labqueue.notifications import log_files, record_routing
from labqueue.notifications.email_handler import EmailHandler
from labqueue.notifications.email_message import record_text, test_message
from labqueue.notifications.job_events import JobEventLog
from labqueue.notifications.mail_listener import MailListener, MailQueue
from labqueue.notifications.settings import EMAIL_OFF, NotificationSettings, check_addresses
from labqueue.notifications.smtp import EmailError, SmtpSettings, send_email
from labqueue.notifications.watchdog import JobWatchdog

if TYPE_CHECKING:
    from labqueue.manager import Manager

__all__ = ["Notifications", "EMAIL_OFF", "SmtpSettings", "EmailError"]

_logger = logging.getLogger("labqueue")
_keys = itertools.count(1)


class _NoServerSink(logging.Handler):
    """Stands in for e-mail when addresses are set but no SMTP server: says so once, when it matters."""

    def __init__(self, addresses: tuple[str, ...], level: int):
        super().__init__(level)
        self.addresses = addresses
        self._told = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._told:
            return
        self._told = True
        _logger.warning("Not e-mailed to %s (no SMTP server is set: manager.notifications.smtp = "
                        "SmtpSettings('smtp.example.org', ...)): %s", ", ".join(self.addresses),
                        record_text(record), extra={record_routing.SOURCE_ATTRIBUTE: ""})


class Notifications:
    """Log files, e-mail and the job watchdog of one Manager (``manager.notifications``)."""

    def __init__(self, manager: Manager, settings: NotificationSettings | None = None):
        self._manager = manager
        self._queue_ref = weakref.ref(manager.job_queue)
        self._worker = manager.worker
        #: Names this Manager's records in the routing (see :mod:`.record_routing`).
        self.source_key = f"manager-{next(_keys)}"
        self._lock = threading.RLock()
        self._settings = NotificationSettings()
        self._closed = False
        self._file: TimedRotatingFileHandler | None = None
        self._file_dir: Path | None = None
        self._no_server: _NoServerSink | None = None
        self._mail_queue: MailQueue | None = None
        self._listener: MailListener | None = None
        self._retired: list[MailListener] = []  # switched off, maybe still finishing a send
        self._events: JobEventLog | None = None
        self.watchdog = JobWatchdog(manager.job_queue)
        record_routing.register_source(self)
        try:
            self._apply(settings or NotificationSettings())
        except BaseException:
            self._closed = True
            self._detach_all()
            self.watchdog.stop(0)
            record_routing.unregister_source(self)
            raise
        self._events = JobEventLog(manager.job_queue, self.source_key)

    # ----------------------------------------------------------------- settings
    @property
    def settings(self) -> NotificationSettings:
        """The current settings (immutable; change them with :meth:`update` or the properties)."""
        return self._settings

    def update(self, **changes: Any) -> None:
        """Change settings (names of :class:`NotificationSettings`); all checked before any applies.

        ``TypeError`` / ``ValueError`` for a bad value, ``OSError`` if the log folder cannot be
        written, ``RuntimeError`` when turning something on after the Manager was shut down; in
        each case nothing changes. Job events that happened before the change are logged under
        the settings they happened under.
        """
        self.flush()
        with self._lock:
            new = self._settings.replace(**changes)
            if self._closed and self._turns_on(new):
                raise RuntimeError("the Manager is shut down: log files, e-mail and the watchdog cannot be "
                                   "turned on any more (make a new Manager)")
            self._apply(new)

    def _turns_on(self, new: NotificationSettings) -> bool:
        old = self._settings
        return ((new.log_to_file and (not old.log_to_file or new.log_folder != old.log_folder))
                or (new.wants_email and not old.wants_email)
                or (new.watchdog_limit is not None and new.watchdog_limit != old.watchdog_limit))

    @property
    def smtp(self) -> SmtpSettings | None:
        """The outgoing mail server (:class:`SmtpSettings`), or None (no e-mail)."""
        return self._settings.smtp

    @smtp.setter
    def smtp(self, settings: SmtpSettings | None) -> None:
        self.update(smtp=settings)

    @property
    def log_to_file(self) -> bool:
        """Whether log files are written to ``manager.log_file_dir``."""
        return self._settings.log_to_file

    @log_to_file.setter
    def log_to_file(self, on: bool) -> None:
        self.update(log_to_file=on)

    @property
    def days_kept(self) -> int:
        """How many daily log files are kept besides today's (default 365)."""
        return self._settings.days_kept

    @days_kept.setter
    def days_kept(self, days: int) -> None:
        self.update(days_kept=days)

    @property
    def watchdog_limit(self) -> float | None:
        """Warn (once per job) when any job runs longer than this many seconds; None: no limit."""
        return self._settings.watchdog_limit

    @watchdog_limit.setter
    def watchdog_limit(self, seconds: float | None) -> None:
        self.update(watchdog_limit=seconds)

    def set_time_limit(self, exp: Experiment, seconds: float | None) -> None:
        """Warn if this one job runs longer than ``seconds`` (overrides the global limit)."""
        self.watchdog.set_time_limit(exp, seconds)

    @property
    def log_file(self) -> Path | None:
        """The log file being written now, or None."""
        file = self._file
        return Path(file.baseFilename) if file is not None else None

    @property
    def email_active(self) -> bool:
        """True while e-mails are being sent (addresses, an SMTP server and a level other than off)."""
        return self._listener is not None

    @property
    def mail_sender(self) -> MailListener | None:
        """The mail thread (``sent_count``, ``failed_count``, ``is_alive``), or None."""
        return self._listener

    # ----------------------------------------------------------------- actions
    def send_test_email(self, recipients: list[str] | None = None, smtp: SmtpSettings | None = None) -> None:
        """Send a test message now (blocking, at most the deadline); ``EmailError`` with the server's reason."""
        recipients = check_addresses(recipients if recipients is not None else list(self._settings.notify_address))
        smtp = smtp if smtp is not None else self._settings.smtp
        if not recipients:
            raise EmailError("no e-mail address to send to")
        if smtp is None:
            raise EmailError("no SMTP server is set")
        send_email(smtp, test_message(recipients))

    def flush(self) -> None:
        """Log every job event that has happened so far, now (they are otherwise logged moments later)."""
        if self._events is not None:
            self._events.flush(settled=True)

    def flush_pending(self) -> None:
        """Log the job events published so far, without waiting (the routing calls it before a job's own record)."""
        if self._events is not None:
            self._events.flush()

    def add_handler(self, handler: logging.Handler, include_general: bool = True) -> None:
        """Send this Manager's records (job events included) to ``handler``, e.g. a Messages pane.

        ``include_general``: also "labqueue" records of no Manager. The handler is added to the
        root logger; :meth:`remove_handler` takes it off.
        """
        record_routing.attach(handler, {self.source_key}, include_general)

    @staticmethod
    def remove_handler(handler: logging.Handler) -> None:
        record_routing.detach(handler)

    def close(self, timeout: float | None = None) -> bool:
        """Log the last job events, detach everything, stop and join the threads.

        Returns whether they all ended: a send in progress can take up to the SMTP deadline;
        call again to wait more.
        """
        with self._lock:
            first, self._closed = not self._closed, True
        if first:
            if self._events is not None:
                self._events.close()  # the last job events still reach the file and the mail queue
            with self._lock:
                self._detach_all()
            self.watchdog.stop(timeout)
            record_routing.unregister_source(self)
        ok = not self.watchdog.is_running
        for listener in list(self._retired):
            ok = listener.stop(timeout) and ok
        return ok

    # ----------------------------------------------------------------- internals
    def owns_record(self, record: logging.LogRecord) -> bool:
        """Is ``record`` this Manager's: logged on its worker thread, or about one of its jobs?"""
        if self._worker.in_worker_thread():
            return True
        exp = getattr(record, "experiment", None)
        # An Experiment remembers the queue it is in (it is this package's own class).
        return isinstance(exp, Experiment) and exp._queue is not None and exp._queue is self._queue_ref()

    def _paused_after(self, failed: bool) -> bool:
        """Is the queue paused, or about to pause because this job failed?"""
        return not self._manager.running.is_set() or (failed and self._worker.pause_on_failure)

    def _apply(self, new: NotificationSettings) -> None:
        """Bring handlers and threads in line with ``new`` (under the lock); files first: they can fail."""
        opened = self._apply_file(new)
        self._settings = new
        self._apply_email(new)
        if not self._closed:
            self.watchdog.limit = new.watchdog_limit
        if opened is not None:  # the file's first line, whatever the user's level (general: not mailed)
            record = _logger.makeRecord(_logger.name, logging.INFO, __file__, 0, f"Logging to {opened}", None, None,
                                        extra={record_routing.SOURCE_ATTRIBUTE: ""})
            record_routing.deliver(record, _logger)

    def _apply_file(self, new: NotificationSettings) -> Path | None:
        directory = new.log_folder if new.log_to_file and not self._closed else None
        if directory == self._file_dir:
            if self._file is not None:
                self._file.backupCount = new.days_kept
            return None
        opened = log_files.open_log_file(directory, new.days_kept, self.source_key) if directory else None
        old, self._file, self._file_dir = self._file, opened, directory
        if old is not None and old is not opened:
            log_files.release_log_file(old, self.source_key)
        return Path(opened.baseFilename) if opened is not None else None

    def _apply_email(self, new: NotificationSettings) -> None:
        on = not self._closed
        level = new.email_level
        no_server = on and bool(new.notify_address) and new.smtp is None and level <= logging.CRITICAL
        if no_server and self._no_server is None:
            self._no_server = _NoServerSink(new.notify_address, level)
            record_routing.attach(self._no_server, {self.source_key}, include_general=False)
        elif not no_server and self._no_server is not None:
            record_routing.detach(self._no_server)
            self._no_server = None
        if self._no_server is not None:
            self._no_server.addresses = new.notify_address
            self._no_server.setLevel(level)
        if not (on and new.wants_email):
            self._stop_email()
            return
        if self._listener is None:
            email = EmailHandler(new.smtp, new.notify_address, level, is_paused=self._paused_after)
            self._listener = MailListener(email)
            self._listener.start()
            self._mail_queue = MailQueue(self._listener.queue, self._worker.in_worker_thread)
            record_routing.attach(self._mail_queue, {self.source_key}, include_general=False)
        email = self._listener.email
        email.settings, email.recipients, email.mail_level = new.smtp, list(new.notify_address), level
        self._mail_queue.setLevel(min(logging.INFO, level))  # the last log lines a mail quotes

    def _stop_email(self) -> None:
        if self._mail_queue is not None:
            record_routing.detach(self._mail_queue)
            self._mail_queue = None
        if self._listener is not None:
            listener, self._listener = self._listener, None
            listener.stop(timeout=0)  # joined in close(): a stuck server must not block the caller
            self._retired = [old for old in self._retired if old.is_alive] + [listener]

    def _detach_all(self) -> None:
        if self._file is not None:
            log_files.release_log_file(self._file, self.source_key)
        self._file, self._file_dir = None, None
        if self._no_server is not None:
            record_routing.detach(self._no_server)
            self._no_server = None
        self._stop_email()
