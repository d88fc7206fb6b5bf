"""Wiring of log files, e-mail and the watchdog for one Manager: :class:`Notifications`.

Every Manager has one, as ``manager.notifications``. Nothing is attached, opened or started until
it is needed: file logging is on once a log directory is given (or ``manager.log_to_file = True``),
e-mail once there are addresses and an SMTP server (``notifications.smtp``).

Which records go where: a record *belongs* to a Manager when it is logged on that Manager's worker
thread (its job events, and whatever a job logs, with any logger) or carries one of its jobs as
``record.experiment``. Its log file gets its own records plus general "labqueue" records that
belong to no Manager; its e-mail gets only its own records at or above ``email_handler_level``.
Two routing handlers (one on the "labqueue" logger, one on the root logger for jobs' own loggers)
deliver each record once to the right place, so two Managers never double-send.
"""

from __future__ import annotations

import logging
import threading
import weakref
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path
from typing import TYPE_CHECKING

from labqueue.experiment import Experiment
from labqueue.notifications import log_files
from labqueue.notifications.email_handler import EmailHandler
from labqueue.notifications.email_message import test_message
from labqueue.notifications.mail_sender import MailSender
from labqueue.notifications.settings import check_addresses
from labqueue.notifications.smtp import EmailError, SmtpSettings, send_email
from labqueue.notifications.watchdog import JobWatchdog

if TYPE_CHECKING:
    from labqueue.manager import Manager

__all__ = ["Notifications", "EMAIL_OFF", "SmtpSettings", "EmailError"]

_LABQUEUE = "labqueue"
#: An ``email_handler_level`` above CRITICAL: no e-mail at all (the "Off" choice of the dialog).
EMAIL_OFF = 100

_logger = logging.getLogger(_LABQUEUE)
_lock = threading.RLock()
_all: weakref.WeakSet[Notifications] = weakref.WeakSet()
_mail_sinks: dict[Notifications, logging.Handler] = {}
_file_sinks: dict[Notifications, TimedRotatingFileHandler] = {}
_routers: list[tuple[logging.Logger, logging.Handler]] = []
_level_change: list[tuple[int, int]] = []  # (level before, level we set) while we lowered it


def _is_labqueue(name: str) -> bool:
    return name == _LABQUEUE or name.startswith(_LABQUEUE + ".")


def _owner_of(record: logging.LogRecord) -> Notifications | None:
    for notifications in list(_all):
        if notifications._owns(record):
            return notifications
    return None


class _Router(logging.Handler):
    """Hands each record to the log file / e-mail sinks it belongs to (never raises)."""

    def __init__(self, on_root: bool):
        super().__init__(logging.NOTSET)
        self._on_root = on_root

    def handle(self, record: logging.LogRecord) -> bool:  # no handler lock: the sinks lock themselves
        if self._on_root == _is_labqueue(record.name):
            return False  # the root router takes only jobs' own loggers; labqueue's come directly
        try:
            _keep_last_resort(record)
            owner = _owner_of(record)
            if owner is None and self._on_root:
                return False
            with _lock:
                mail = _mail_sinks.get(owner) if owner is not None else None
                files = dict.fromkeys(h for n, h in _file_sinks.items() if owner is None or n is owner)
            for handler in files:
                handler.handle(record)
            if mail is not None:
                mail.handle(record)
        except Exception:  # noqa: BLE001 - logging must never raise into a job
            self.handleError(record)
        return True

    def emit(self, record: logging.LogRecord) -> None:  # pragma: no cover - handle() does the work
        self.handle(record)


class _NoServerSink(logging.Handler):
    """Stands in for e-mail when addresses are set but no SMTP server: says so once, when it matters."""

    def __init__(self, addresses: list[str], level: int):
        super().__init__(level)
        self.addresses = addresses
        self._told = False

    def emit(self, record: logging.LogRecord) -> None:
        if self._told:
            return
        self._told = True
        _logger.warning("Not e-mailed to %s (no SMTP server is set: manager.notifications.smtp = "
                        "SmtpSettings('smtp.example.org', ...)): %s", ", ".join(self.addresses), record.getMessage())


def _keep_last_resort(record: logging.LogRecord) -> None:
    """Print warnings to stderr as Python would if our routers were not there.

    With no handler configured, Python shows WARNING and above on stderr (``logging.lastResort``);
    attaching a router must not silence that for a script that never configured logging.
    """
    last_resort = logging.lastResort
    if last_resort is None or record.levelno < last_resort.level:
        return
    current: logging.Logger | None = logging.getLogger(record.name)
    while current is not None:
        if any(not isinstance(handler, _Router) for handler in current.handlers):
            return
        if not current.propagate:
            break
        current = current.parent
    last_resort.handle(record)


def _update_routing() -> None:
    """Attach the routers while any sink exists; keep the "labqueue" logger open for INFO records."""
    with _lock:
        sinks = list(_mail_sinks.values()) + list(_file_sinks.values())
        if sinks and not _routers:
            for name, on_root in ((_LABQUEUE, False), (None, True)):
                target = logging.getLogger(name)
                router = _Router(on_root)
                target.addHandler(router)
                _routers.append((target, router))
        elif not sinks and _routers:
            for target, router in _routers:
                target.removeHandler(router)
            _routers.clear()
            if _level_change:
                before, ours = _level_change.pop()
                # Give the level back unless someone changed it since or still relies on it.
                if _logger.level == ours and not _logger.handlers:
                    _logger.setLevel(before)
        if sinks:
            needed = min(sink.level or logging.INFO for sink in sinks)
            if _logger.getEffectiveLevel() > needed:
                if not _level_change:
                    _level_change.append((_logger.level, needed))
                else:
                    _level_change[0] = (_level_change[0][0], needed)
                _logger.setLevel(needed)


class Notifications:
    """Log files, e-mail and the job watchdog of one Manager (``manager.notifications``)."""

    def __init__(self, manager: Manager, log_to_file: bool = False):
        self._manager = manager
        self._queue_ref = weakref.ref(manager.job_queue)
        self._worker = manager.worker
        self._smtp: SmtpSettings | None = None
        self._log_to_file = log_to_file
        self._days_kept = log_files.DEFAULT_DAYS_KEPT
        self._file: TimedRotatingFileHandler | None = None
        self._file_dir: Path | None = None
        self._sender: MailSender | None = None
        self._retired: list[MailSender] = []  # switched off, maybe still finishing a send
        self._closed = False
        self.watchdog = JobWatchdog(manager.job_queue)
        with _lock:
            _all.add(self)

    # ----------------------------------------------------------------- settings
    @property
    def smtp(self) -> SmtpSettings | None:
        """The outgoing mail server (:class:`SmtpSettings`), or None (no e-mail)."""
        return self._smtp

    @smtp.setter
    def smtp(self, settings: SmtpSettings | None) -> None:
        if settings is not None and not isinstance(settings, SmtpSettings):
            raise TypeError(f"smtp must be SmtpSettings(...) or None, got {type(settings).__name__}")
        self._smtp = settings
        self.apply()

    @property
    def log_to_file(self) -> bool:
        """Whether log files are written to ``manager.log_file_dir``."""
        return self._log_to_file

    @log_to_file.setter
    def log_to_file(self, on: bool) -> None:
        previous = self._log_to_file
        self._log_to_file = bool(on)
        try:
            self.apply()
        except OSError:
            self._log_to_file = previous
            raise

    @property
    def days_kept(self) -> int:
        """How many daily log files are kept besides today's (default 365)."""
        return self._days_kept

    @days_kept.setter
    def days_kept(self, days: int) -> None:
        self._days_kept = log_files.check_days(days)
        if self._file is not None:
            self._file.backupCount = self._days_kept

    @property
    def watchdog_limit(self) -> float | None:
        """Warn (once per job) when any job runs longer than this many seconds; None: no limit."""
        return self.watchdog.limit

    @watchdog_limit.setter
    def watchdog_limit(self, seconds: float | None) -> None:
        if not self._closed:
            self.watchdog.limit = seconds

    def set_time_limit(self, exp: Experiment, seconds: float | None) -> None:
        """Warn if this one job runs longer than ``seconds`` (overrides the global limit)."""
        self.watchdog.set_time_limit(exp, seconds)

    @property
    def log_file(self) -> Path | None:
        """The log file being written now, or None."""
        return Path(self._file.baseFilename) if self._file is not None else None

    @property
    def email_active(self) -> bool:
        """True while e-mails are being sent (addresses, an SMTP server and a level other than off)."""
        return self._sender is not None

    @property
    def mail_sender(self) -> MailSender | None:
        return self._sender

    # ----------------------------------------------------------------- actions
    def send_test_email(self, recipients: list[str] | None = None, smtp: SmtpSettings | None = None) -> None:
        """Send a test message now (blocking); ``EmailError`` with the server's reason on failure."""
        recipients = check_addresses(recipients if recipients is not None else self._manager.notify_address)
        smtp = smtp if smtp is not None else self._smtp
        if not recipients:
            raise EmailError("no e-mail address to send to")
        if smtp is None:
            raise EmailError("no SMTP server is set")
        send_email(smtp, test_message(recipients))

    def apply(self) -> None:
        """Bring handlers and threads in line with the current settings (the Manager calls this)."""
        if self._closed:
            return
        self._apply_file()
        self._apply_email()
        _update_routing()

    def close(self, timeout: float | None = None) -> bool:
        """Detach everything, stop and join the threads; returns whether they all ended.

        A send in progress can take up to the SMTP timeout; call again to wait more.
        """
        if self._closed:
            return all(sender.stop(timeout) for sender in [*self._retired, self._sender] if sender is not None)
        self._closed = True
        with _lock:
            mail = _mail_sinks.pop(self, None)
            file = _file_sinks.pop(self, None)
        _update_routing()
        if file is not None:
            log_files.release_log_file(file, self)
        self._file = None
        ok = self.watchdog.stop(timeout)
        for sender in [*self._retired, self._sender]:
            if sender is not None:
                ok = sender.stop(timeout) and ok
        if mail is not None:
            mail.close()
        with _lock:
            _all.discard(self)
        return ok

    # ----------------------------------------------------------------- internals
    def _paused_after(self, failed: bool) -> bool:
        """Is the queue paused, or about to pause because this job failed?"""
        return not self._manager.running.is_set() or (failed and self._worker.pause_on_failure)

    def _owns(self, record: logging.LogRecord) -> bool:
        if self._worker.in_worker_thread():
            return True
        exp = getattr(record, "experiment", None)
        # An Experiment remembers the queue it is in (it is this package's own class).
        return isinstance(exp, Experiment) and exp._queue is not None and exp._queue is self._queue_ref()

    def _apply_file(self) -> None:
        directory = Path(self._manager.log_file_dir) if self._log_to_file else None
        if directory == self._file_dir:
            return
        new = log_files.open_log_file(directory, self._days_kept, self) if directory is not None else None
        old = self._file
        with _lock:
            if new is None:
                _file_sinks.pop(self, None)
            else:
                _file_sinks[self] = new
        if old is not None and old is not new:
            log_files.release_log_file(old, self)
        self._file, self._file_dir = new, directory
        if new is not None:
            _update_routing()
            _logger.info("Logging to %s", new.baseFilename)

    def _apply_email(self) -> None:
        addresses = self._manager.notify_address
        level = self._manager.email_handler_level
        wanted = bool(addresses) and self._smtp is not None and level <= logging.CRITICAL
        if not wanted:
            no_server = _NoServerSink(addresses, level) if addresses and level <= logging.CRITICAL else None
            with _lock:
                mail = _mail_sinks.pop(self, None)
                if no_server is not None:
                    _mail_sinks[self] = no_server
            if mail is not None:
                mail.close()
            if self._sender is not None:
                sender, self._sender = self._sender, None
                sender.stop(timeout=0)  # joined in close(): a stuck server must not block the caller
                self._retired.append(sender)
            return
        if self._sender is None:
            self._sender = MailSender(self._smtp)
            self._sender.start()
        self._sender.settings = self._smtp
        with _lock:
            mail = _mail_sinks.get(self)
            if not isinstance(mail, EmailHandler):
                mail = _mail_sinks[self] = EmailHandler(self._sender, addresses, level,
                                                        is_paused=self._paused_after,
                                                        in_job_thread=self._worker.in_worker_thread)
        mail.recipients = list(addresses)
        mail.set_mail_level(level)
