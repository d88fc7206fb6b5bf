"""Every notification setting of a Manager, checked in one place: :class:`NotificationSettings`.

Each ``check_*`` function turns what a user typed into the value used, or raises ``TypeError`` /
``ValueError`` with a sentence that says what to write instead. :meth:`NotificationSettings.replace`
checks every changed field before anything changes. No I/O on import.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

import platformdirs

if TYPE_CHECKING:
    from labqueue.notifications.smtp import SmtpSettings

__all__ = ["NotificationSettings", "check_addresses", "check_level", "check_log_dir", "check_days",
           "check_limit", "check_smtp", "default_log_dir", "LEVEL_NAMES", "EMAIL_OFF", "DEFAULT_DAYS_KEPT"]

# Deliberately simple: one @, no spaces, a dot in the domain. Catches typos, not every RFC corner.
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$")

#: Names a user may give for ``email_handler_level``.
LEVEL_NAMES = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING,
               "ERROR": logging.ERROR, "CRITICAL": logging.CRITICAL}
#: An ``email_handler_level`` above CRITICAL: no e-mail at all (the "Off" choice of the dialog).
EMAIL_OFF = 100
#: Default number of daily log files kept besides today's.
DEFAULT_DAYS_KEPT = 365


def _not_text(value: Any) -> str:
    if isinstance(value, bytes):
        return f"got bytes {value!r} (write {value.decode(errors='replace')!r})"
    return f"got {type(value).__name__} {value!r}"


def check_addresses(addresses: Iterable[str] | str | None) -> list[str]:
    """Return the addresses as a list; ``ValueError`` naming the first malformed one."""
    if addresses is None:
        return []
    if isinstance(addresses, str):
        addresses = [addresses]
    elif isinstance(addresses, bytes) or not isinstance(addresses, Iterable):
        raise TypeError(f"e-mail addresses must be text, {_not_text(addresses)}")
    result = []
    for address in addresses:
        if not isinstance(address, str):
            raise TypeError(f"e-mail addresses must be text, {_not_text(address)}")
        address = address.strip()
        if not _ADDRESS.match(address):
            raise ValueError(f"not a valid e-mail address: {address!r} (expected name@domain.org)")
        result.append(address)
    return result


def check_level(level: int | str) -> int:
    """Return a logging level number from a number or a name; ``ValueError`` if unknown."""
    if isinstance(level, str):
        name = level.strip().upper()
        if name not in LEVEL_NAMES:
            raise ValueError(f"unknown logging level {level!r}; use one of {', '.join(LEVEL_NAMES)}")
        return LEVEL_NAMES[name]
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"logging level must be an int or a name, got {type(level).__name__}")
    if not 0 <= level <= EMAIL_OFF:
        raise ValueError(f"logging level {level} is out of range (use logging.WARNING etc.)")
    return level


def check_log_dir(path: str | os.PathLike) -> Path:
    """The absolute folder for log files (``~`` expanded); not created here.

    Refuses an empty name (it would mean "the current folder" by accident), a ``~user`` that does
    not exist, and anything that is not a path.
    """
    if isinstance(path, bytes) or not isinstance(path, (str, os.PathLike)):
        raise TypeError(f"log_file_dir must be a folder path (str or Path), {_not_text(path)}")
    text = os.fspath(path)
    if isinstance(text, bytes) or not text.strip():
        raise ValueError("log_file_dir is empty: give a folder such as '~/labqueue-logs' "
                         "(or None for the default log folder)")
    try:
        folder = Path(text).expanduser()
    except RuntimeError:  # Path.expanduser: "Could not determine home directory"
        user = text[1:].split("/", 1)[0].split(os.sep, 1)[0]
        raise ValueError(f"log_file_dir {text!r} starts with ~{user}, but there is no user {user!r} "
                         f"on this computer (write the full path)") from None
    return folder.absolute()


def check_days(days: int) -> int:
    """Days of log files to keep: a whole number >= 1; ``ValueError`` otherwise."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days of log files to keep must be a whole number of at least 1, got {days!r}")
    return days


def check_limit(seconds: float | None) -> float | None:
    """A time limit in seconds (positive), or None for "no limit"; ``ValueError`` otherwise."""
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not seconds > 0:
        raise ValueError(f"a time limit is a positive number of seconds (or None), got {seconds!r}")
    return float(seconds)


def check_smtp(smtp: SmtpSettings | None) -> SmtpSettings | None:
    """The mail server settings, or None; ``TypeError`` for anything else."""
    from labqueue.notifications.smtp import SmtpSettings

    if smtp is not None and not isinstance(smtp, SmtpSettings):
        raise TypeError(f"smtp must be SmtpSettings(...) or None, got {type(smtp).__name__}")
    return smtp


def default_log_dir() -> Path:
    """The platform's user log directory for labqueue (not created here)."""
    return Path(platformdirs.user_log_dir("labqueue", appauthor=False, ensure_exists=False))


_CHECKS = {
    "notify_address": lambda value: tuple(check_addresses(value)),
    "email_level": check_level,
    "log_file_dir": lambda value: None if value is None else check_log_dir(value),
    "log_to_file": lambda value: bool(value),
    "days_kept": check_days,
    "smtp": check_smtp,
    "watchdog_limit": check_limit,
}


@dataclasses.dataclass(frozen=True)
class NotificationSettings:
    """What a Manager notifies about, and where (immutable; make changed copies with :meth:`replace`)."""

    #: Who gets e-mails.
    notify_address: tuple[str, ...] = ()
    #: Lowest level that is e-mailed; ``EMAIL_OFF`` for none.
    email_level: int = logging.WARNING
    #: Folder for log files; None: :func:`default_log_dir`.
    log_file_dir: Path | None = None
    #: Whether log files are written.
    log_to_file: bool = False
    #: Daily log files kept besides today's.
    days_kept: int = DEFAULT_DAYS_KEPT
    #: The mail server, or None (no e-mail).
    smtp: SmtpSettings | None = None
    #: Warn once when any job runs longer than this (seconds); None: no limit.
    watchdog_limit: float | None = None

    def replace(self, **changes: Any) -> NotificationSettings:
        """A copy with ``changes``, each checked first (``TypeError`` / ``ValueError``; self is unchanged)."""
        unknown = set(changes) - set(_CHECKS)
        if unknown:
            raise TypeError(f"unknown notification setting(s): {', '.join(sorted(unknown))}")
        return dataclasses.replace(self, **{name: _CHECKS[name](value) for name, value in changes.items()})

    @property
    def log_folder(self) -> Path:
        """Where log files go (the chosen folder or the default)."""
        return self.log_file_dir if self.log_file_dir is not None else default_log_dir()

    @property
    def wants_email(self) -> bool:
        """Addresses, a server and a level other than off."""
        return bool(self.notify_address) and self.smtp is not None and self.email_level <= logging.CRITICAL
