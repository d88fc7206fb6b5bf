"""Daily log files: one ``labqueue.log`` per directory, rotated at midnight, kept N days.

One handler per directory is shared by every Manager that logs there (reference-counted), so two
Managers never write the same line twice or rotate the same file against each other.
"""

from __future__ import annotations

import logging
import threading
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

__all__ = ["LOG_FILE_NAME", "DEFAULT_DAYS_KEPT", "open_log_file", "release_log_file", "check_days"]

LOG_FILE_NAME = "labqueue.log"
#: Default number of daily files kept besides today's.
DEFAULT_DAYS_KEPT = 365
_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"

_lock = threading.Lock()
_open: dict[Path, tuple[TimedRotatingFileHandler, set[object]]] = {}


def check_days(days: int) -> int:
    """Days of log files to keep: a whole number >= 1; ``ValueError`` otherwise."""
    if isinstance(days, bool) or not isinstance(days, int) or days < 1:
        raise ValueError(f"days of log files to keep must be a whole number of at least 1, got {days!r}")
    return days


def _key(directory: Path) -> Path:
    return Path(directory).expanduser().resolve()


def open_log_file(directory: Path, days_kept: int, owner: object) -> TimedRotatingFileHandler:
    """The handler writing ``directory/labqueue.log`` (created, with the directory, if needed).

    ``OSError`` with a clear message when the directory cannot be made or written.
    """
    days_kept = check_days(days_kept)
    key = _key(directory)
    with _lock:
        if key in _open:
            handler, owners = _open[key]
            owners.add(owner)
            handler.backupCount = days_kept
            return handler
        try:
            key.mkdir(parents=True, exist_ok=True)
            path = key / LOG_FILE_NAME
            handler = TimedRotatingFileHandler(path, when="midnight", backupCount=days_kept, encoding="utf-8")
        except OSError as exc:
            raise OSError(exc.errno, f"cannot write log files in {key}: {exc.strerror or exc}") from exc
        handler.setFormatter(logging.Formatter(_FORMAT))
        handler.setLevel(logging.INFO)
        _open[key] = (handler, {owner})
        return handler


def release_log_file(handler: TimedRotatingFileHandler, owner: object) -> None:
    """``owner`` stops using ``handler``; the file is closed when nobody uses it."""
    with _lock:
        for key, (open_handler, owners) in list(_open.items()):
            if open_handler is handler:
                owners.discard(owner)
                if not owners:
                    del _open[key]
                    try:
                        handler.close()
                    except (OSError, ValueError):  # the file or its drive is already gone
                        pass
                return


def owners_of(handler: TimedRotatingFileHandler) -> set[object]:
    """Who writes through ``handler`` now (a copy)."""
    with _lock:
        for open_handler, owners in _open.values():
            if open_handler is handler:
                return set(owners)
    return set()
