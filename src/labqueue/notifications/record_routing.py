"""Which log records go to which Manager's log file, e-mail and Messages pane.

Every sink is an ordinary ``logging.Handler`` on the root logger with a :class:`ManagerRecordFilter`:
"records of these Managers" (plus, if asked, "labqueue" records that belong to no Manager). A
record belongs to a Manager when it carries that Manager's source key (its job events), carries one
of its jobs as ``record.experiment``, or is logged on its worker thread (what a job logs, with any
logger). Two Managers therefore never double-send, and no logger level is ever changed: a job's own
logger lets through what its level allows, and job events are handed to the sinks directly
(:func:`deliver`), so they reach the file, e-mail and pane whatever the user's "labqueue" level.
"""

from __future__ import annotations

import logging
import threading
import weakref
from collections.abc import Iterable
from typing import Protocol

__all__ = ["ManagerRecordFilter", "RecordSource", "register_source", "unregister_source", "attach", "detach",
           "deliver", "wanted", "owner_of", "SOURCE_ATTRIBUTE", "EVENT_ATTRIBUTE"]

_LABQUEUE = "labqueue"
#: The source key of the Manager a record belongs to ("" for none), cached on the record.
SOURCE_ATTRIBUTE = "labqueue_source"
#: On a job event: the ExpStatus it reports (the job may have moved on by the time it is mailed).
EVENT_ATTRIBUTE = "labqueue_event"
_OWNER = SOURCE_ATTRIBUTE
_DIRECT = "labqueue_direct"       # being handed to the sinks by deliver()
_DELIVERED = "labqueue_delivered"  # the sinks have it already: the logger hierarchy must not add it twice
_LAST_RESORT_DONE = "labqueue_last_resort"


class RecordSource(Protocol):
    """What the routing needs of a Manager's notifications."""

    source_key: str

    def owns_record(self, record: logging.LogRecord) -> bool: ...

    def flush_pending(self) -> None: ...


_lock = threading.Lock()
_sources: weakref.WeakValueDictionary[str, RecordSource] = weakref.WeakValueDictionary()


def register_source(source: RecordSource) -> None:
    """Make records of ``source`` routable (held weakly; it leaves when it is collected)."""
    with _lock:
        _sources[source.source_key] = source


def unregister_source(source: RecordSource) -> None:
    with _lock:
        if _sources.get(source.source_key) is source:
            del _sources[source.source_key]


def _is_labqueue(name: str) -> bool:
    return name == _LABQUEUE or name.startswith(_LABQUEUE + ".")


def owner_of(record: logging.LogRecord) -> str:
    """The source key of the Manager ``record`` belongs to, or "" (computed once per record)."""
    key = record.__dict__.get(_OWNER)
    if key is None:
        key = ""
        with _lock:
            sources = list(_sources.values())
        for source in sources:
            if source.owns_record(record):
                key = source.source_key
                break
        record.__dict__[_OWNER] = key
        if key:
            # What a job or the GUI logs comes after the job events already in the stream: the
            # "Started" line of a job precedes the job's own lines.
            source = _sources.get(key)
            if source is not None:
                source.flush_pending()
    return key


def _is_ours(handler: logging.Handler) -> bool:
    return any(isinstance(f, ManagerRecordFilter) for f in handler.filters)


def _keep_last_resort(record: logging.LogRecord) -> None:
    """Print warnings to stderr as Python would if only our sinks were configured.

    With no handler at all, Python shows WARNING and above on stderr (``logging.lastResort``);
    attaching a log file must not silence that for a script that never configured logging.
    """
    if record.__dict__.get(_LAST_RESORT_DONE):
        return
    record.__dict__[_LAST_RESORT_DONE] = True
    last_resort = logging.lastResort
    if last_resort is None or record.levelno < last_resort.level:
        return
    current: logging.Logger | None = logging.getLogger(record.name)
    while current is not None:
        if any(not _is_ours(handler) for handler in current.handlers):
            return
        if not current.propagate:
            break
        current = current.parent
    last_resort.handle(record)


class ManagerRecordFilter(logging.Filter):
    """Lets through records of the Managers in ``owners`` (source keys); ``include_general`` adds
    "labqueue" records of no Manager (the log file and the Messages pane want those too)."""

    def __init__(self, owners: Iterable[str] = (), include_general: bool = True):
        super().__init__()
        self.owners = set(owners)
        self.include_general = include_general

    def filter(self, record: logging.LogRecord) -> bool:
        state = record.__dict__
        if not state.get(_DIRECT):
            _keep_last_resort(record)
            if state.get(_DELIVERED):
                return False
        key = owner_of(record)
        if not key:
            return self.include_general and _is_labqueue(record.name)
        return key in self.owners


def attach(handler: logging.Handler, owners: Iterable[str] = (), include_general: bool = True) -> None:
    """Route records of ``owners`` to ``handler`` (added to the root logger)."""
    if not _is_ours(handler):
        handler.addFilter(ManagerRecordFilter(owners, include_general))
    root = logging.getLogger()
    if handler not in root.handlers:
        root.addHandler(handler)


def detach(handler: logging.Handler) -> None:
    """Stop routing records to ``handler`` (safe to call twice)."""
    logging.getLogger().removeHandler(handler)


def wanted(level: int, logger: logging.Logger) -> bool:
    """Would a record of ``level`` reach anybody: one of our sinks, or the user's logging?

    Lets a flood of job events cost nothing when no one listens.
    """
    if logger.isEnabledFor(level):
        return True
    return any(_is_ours(handler) and level >= handler.level for handler in list(logging.getLogger().handlers))


def deliver(record: logging.LogRecord, logger: logging.Logger) -> None:
    """Hand a record of ours (a job event) to every sink, then to the user's own logging.

    The sinks get it whatever the logger's level; the user's handlers only if ``logger`` is
    enabled for it, as for any record logged there.
    """
    state = record.__dict__
    state[_DIRECT] = True
    try:
        for handler in list(logging.getLogger().handlers):
            if _is_ours(handler) and record.levelno >= handler.level:
                handler.handle(record)
    finally:
        state[_DIRECT] = False
    state[_DELIVERED] = True
    if logger.isEnabledFor(record.levelno):
        logger.handle(record)
