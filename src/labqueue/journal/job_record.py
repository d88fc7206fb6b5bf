"""One job as the journal remembers it: :class:`JobRecord` (read-only, any session)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from labqueue.experiment import ExpStatus

__all__ = ["EXPORT_FIELDS", "JobRecord", "SELECT_COLUMNS", "record_from_row"]

#: Columns read for a JobRecord, in the order of ``record_from_row``.
SELECT_COLUMNS = ("id, job_id, session_id, call, func, status, queued_at, started_at, finished_at, result, "
                  "error, args_repr, rebuild_error, resolved, requeued_as")

#: Fields written by ``History.export`` (every documented field, in this order).
EXPORT_FIELDS = ("job_id", "session_id", "call", "func", "status", "queued_at", "started_at", "finished_at",
                 "result", "error", "args", "kwargs", "can_requeue", "resolved", "requeued_as")


@dataclass(frozen=True)
class JobRecord:
    """A job of this or an earlier session, as written in the journal.

    Times are epoch seconds (or None); ``result`` is a capped repr, ``error`` a traceback text.
    """

    job_id: str
    session_id: str
    call: str
    func: str
    status: ExpStatus
    queued_at: float | None
    started_at: float | None
    finished_at: float | None
    result: str | None
    error: str | None
    #: Reprs of the positional arguments and of the keyword arguments.
    args: tuple[str, ...] = ()
    kwargs: dict[str, str] | None = None
    #: Why this job cannot be rebuilt by ``requeue`` (None: it probably can).
    rebuild_error: str | None = None
    #: For an unfinished job: "requeued" or "dismissed" once handled, else None.
    resolved: str | None = None
    requeued_as: str | None = None
    #: Position in the journal (larger = queued later).
    seq: int = 0

    @property
    def can_requeue(self) -> bool:
        """False if the journal knows this job cannot be rebuilt (e.g. its function is in ``__main__``)."""
        return self.rebuild_error is None

    def to_dict(self) -> dict[str, Any]:
        """The exported fields as plain values (status as its name)."""
        return {
            "job_id": self.job_id, "session_id": self.session_id, "call": self.call, "func": self.func,
            "status": self.status.name, "queued_at": self.queued_at, "started_at": self.started_at,
            "finished_at": self.finished_at, "result": self.result, "error": self.error,
            "args": list(self.args), "kwargs": dict(self.kwargs or {}), "can_requeue": self.can_requeue,
            "resolved": self.resolved, "requeued_as": self.requeued_as,
        }


def record_from_row(row: tuple) -> JobRecord:
    (seq, job_id, session_id, call, func, status, queued_at, started_at, finished_at, result, error, args_repr,
     rebuild_error, resolved, requeued_as) = row
    try:
        parsed = json.loads(args_repr)
        args, kwargs = tuple(parsed.get("args", ())), dict(parsed.get("kwargs", {}))
    except (ValueError, TypeError, AttributeError):
        args, kwargs = (), {}
    return JobRecord(job_id, session_id, call, func, ExpStatus[status], queued_at, started_at, finished_at,
                     result, error, args, kwargs, rebuild_error, resolved, requeued_as, seq)
