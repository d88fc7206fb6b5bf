"""Daily log files: one ``labqueue.log`` per folder, rotated at midnight, kept N days.

One handler per folder is shared by every Manager that logs there (its filter lets through the
records of each of them), so two Managers never write the same line twice or rotate the same
file against each other.
"""

from __future__ import annotations

import errno
import logging
import threading
from logging.handlers import TimedRotatingFileHandler
from pathlib import Path

from labqueue.notifications import record_routing
from labqueue.notifications.settings import DEFAULT_DAYS_KEPT, check_days

__all__ = ["LOG_FILE_NAME", "DEFAULT_DAYS_KEPT", "open_log_file", "release_log_file", "check_days"]

LOG_FILE_NAME = "labqueue.log"
_FORMAT = "%(asctime)s %(levelname)-8s %(name)s: %(message)s"

_lock = threading.Lock()
_open: dict[Path, TimedRotatingFileHandler] = {}


def _key(directory: Path) -> Path:
    return Path(directory).expanduser().resolve()


def _file_in_the_way(folder: Path) -> Path | None:
    """The file that stands where ``folder`` or one of its parents should be, if any."""
    for path in (folder, *folder.parents):
        if path.exists():
            return None if path.is_dir() else path
    return None


def _make_folder(folder: Path) -> None:
    blocker = _file_in_the_way(folder)
    if blocker is not None:
        raise NotADirectoryError(errno.ENOTDIR, f"cannot write log files in {folder}: {blocker} is a file, "
                                                f"not a folder (choose another log folder)")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise OSError(exc.errno, f"cannot write log files in {folder}: {exc.strerror or exc}") from exc


def _filter_of(handler: logging.Handler) -> record_routing.ManagerRecordFilter:
    return next(f for f in handler.filters if isinstance(f, record_routing.ManagerRecordFilter))


def open_log_file(directory: Path, days_kept: int, owner: str) -> TimedRotatingFileHandler:
    """The handler writing ``directory/labqueue.log`` for ``owner`` (a source key), attached.

    Creates the folder if needed; ``OSError`` with a clear message when it cannot be made or written.
    """
    days_kept = check_days(days_kept)
    key = _key(directory)
    with _lock:
        handler = _open.get(key)
        if handler is None:
            _make_folder(key)
            try:
                handler = TimedRotatingFileHandler(key / LOG_FILE_NAME, when="midnight", backupCount=days_kept,
                                                   encoding="utf-8")
            except OSError as exc:
                raise OSError(exc.errno, f"cannot write log files in {key}: {exc.strerror or exc}") from exc
            handler.setFormatter(logging.Formatter(_FORMAT))
            handler.setLevel(logging.INFO)
            record_routing.attach(handler, (), include_general=True)
            _open[key] = handler
        routing = _filter_of(handler)
        routing.owners = routing.owners | {owner}  # a new set: filters on other threads read the old one
        handler.backupCount = days_kept
        return handler


def release_log_file(handler: TimedRotatingFileHandler, owner: str) -> None:
    """``owner`` stops using ``handler``; the file is closed when nobody uses it."""
    with _lock:
        routing = _filter_of(handler)
        routing.owners = routing.owners - {owner}
        if routing.owners:
            return
        for key, open_handler in list(_open.items()):
            if open_handler is handler:
                del _open[key]
        record_routing.detach(handler)
        try:
            handler.close()
        except (OSError, ValueError):  # the file or its drive is already gone
            pass


def owners_of(handler: TimedRotatingFileHandler) -> set[str]:
    """Who writes through ``handler`` now (a copy)."""
    with _lock:
        return set(_filter_of(handler).owners)
