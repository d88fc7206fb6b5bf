"""``manager.history``: the jobs of this and earlier sessions, read back from the journal.

:class:`History` owns the journal of one Manager: it opens the file (never failing the Manager: a
bad file leaves ``enabled`` False and ``error`` saying why), runs the writer thread, and answers
questions about the past — ``records()``, ``unfinished()`` — and acts on them: ``requeue()``,
``dismiss()``, ``export()``.
"""

from __future__ import annotations

import logging
import os
import socket
import sqlite3
import threading
import time
import uuid
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from qtpy.QtCore import QObject, Signal

import labqueue
from labqueue.experiment import Experiment, ExpStatus
from labqueue.journal.history_export import export_records
from labqueue.journal.job_capture import rebuild_call
from labqueue.journal.job_record import SELECT_COLUMNS, JobRecord, record_from_row
from labqueue.journal.journal_writer import JournalWriter
from labqueue.journal.schema import JournalUnavailable, connect, open_journal, transaction

if TYPE_CHECKING:
    from labqueue.experiment_queue import ExperimentQueue

__all__ = ["History"]

logger = logging.getLogger("labqueue")

_OPEN = "('QUEUED', 'RUNNING')"
_HOST = socket.gethostname()


def _status_name(status: ExpStatus | str) -> str:
    if isinstance(status, ExpStatus):
        return status.name
    if isinstance(status, str):
        for member in ExpStatus:
            if status.upper() == member.name:
                return member.name
    raise ValueError(f"status must be an ExpStatus or one of {', '.join(s.name for s in ExpStatus)}, got {status!r}")


def _process_alive(pid: int | None, host: str | None) -> bool:
    """True if the session's process may still run (same machine, that pid exists)."""
    if pid is None or host != _HOST:
        return False
    if pid == os.getpid():
        return True
    if os.name != "posix":
        return False  # no cheap, safe check: treat an unfinished session as ended
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


class History(QObject):
    """The journal of one Manager (``manager.history``); disabled when it has none or it failed.

    ``enabled``: the journal is being written. ``error``: why not (None if it was never asked for).
    """

    #: Writing failed (for example the disk is full); carries the reason. Emitted on the writer thread.
    failed_signal = Signal(str)

    def __init__(self, job_queue: ExperimentQueue, path: str | os.PathLike | None = None,
                 parent: QObject | None = None):
        super().__init__(parent)
        self.path: Path | None = Path(path).expanduser() if path is not None else None
        self.session_id = uuid.uuid4().hex
        self.enabled = False
        self.error: str | None = None
        self._queue = job_queue
        self._lock = threading.Lock()  # serialises use of the reading connection
        self._conn: sqlite3.Connection | None = None
        self._writer: JournalWriter | None = None
        self._closed = False
        self._opened = False  # the file was recognised (it can be read, even after close())
        if self.path is None:
            return
        try:
            self._conn = open_journal(self.path)
            with transaction(self._conn):
                self._conn.execute(
                    "INSERT INTO sessions (session_id, started_at, pid, host, version) VALUES (?, ?, ?, ?, ?)",
                    (self.session_id, time.time(), os.getpid(), _HOST, labqueue.__version__))
            writer_conn = connect(self.path, timeout=30.0)
        except JournalUnavailable as exc:
            self._disable(str(exc))
            return
        except (OSError, sqlite3.Error) as exc:
            self._disable(f"history journal {self.path} is not available: {exc}")
            return
        self._writer = JournalWriter(job_queue, writer_conn, self.session_id, self._writer_failed)
        self._writer.start()
        self._opened = True
        self.enabled = True

    def _disable(self, reason: str) -> None:
        self.error = reason
        self.enabled = False
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        logger.warning("History is not recorded: %s", reason)

    def _writer_failed(self, reason: str) -> None:
        self.enabled = False
        self.error = reason
        self.failed_signal.emit(reason)

    def __repr__(self) -> str:
        state = "on" if self.enabled else f"off ({self.error})" if self.error else "off"
        return f"<History {state}: {self.path}>"

    # ----------------------------------------------------------------- lifetime
    def flush(self, timeout: float | None = 5.0) -> bool:
        """Write every change made so far to the file now; True once it is there."""
        writer = self._writer
        return True if writer is None else writer.flush(timeout)

    def close(self, timeout: float | None = 10.0) -> bool:
        """Write what is left, mark this session ended and stop the writer (the Manager's join calls it)."""
        self._closed = True
        stopped = True
        if self._writer is not None:
            stopped = self._writer.close(timeout)
        with self._lock:
            if self._conn is not None:
                self._conn.close()
                self._conn = None
        return stopped

    def _query(self, sql: str, params: Iterable = ()) -> list[tuple]:
        if not self._opened:
            return []
        with self._lock:
            if self._conn is not None:
                return self._conn.execute(sql, tuple(params)).fetchall()
            conn = connect(self.path)
            try:
                return conn.execute(sql, tuple(params)).fetchall()
            finally:
                conn.close()

    def _change(self, sql: str, params: list[tuple]) -> None:
        if not params:
            return
        if not self._opened:
            raise RuntimeError(f"history is not available: {self.error or 'no journal file'}")
        with self._lock:
            conn = self._conn if self._conn is not None else connect(self.path)
            try:
                with transaction(conn):
                    conn.executemany(sql, params)
            finally:
                if conn is not self._conn:
                    conn.close()

    # ----------------------------------------------------------------- reading
    def records(self, status: ExpStatus | str | None = None, limit: int | None = None) -> list[JobRecord]:
        """Every job in the journal, oldest first (with ``limit``: the newest ``limit``, oldest first)."""
        where, params = "", []
        if status is not None:
            where, params = " WHERE status = ?", [_status_name(status)]
        if limit is not None:
            if isinstance(limit, bool) or not isinstance(limit, int) or limit < 0:
                raise ValueError(f"limit must be a non-negative int or None, got {limit!r}")
        self.flush()
        if limit is None:
            rows = self._query(f"SELECT {SELECT_COLUMNS} FROM jobs{where} ORDER BY id", params)
        else:
            rows = self._query(f"SELECT {SELECT_COLUMNS} FROM jobs{where} ORDER BY id DESC LIMIT ?",
                               params + [limit])
            rows.reverse()
        return [record_from_row(r) for r in rows]

    def count(self) -> int:
        """Number of jobs in the journal (all sessions)."""
        self.flush()
        rows = self._query("SELECT count(*) FROM jobs")
        return rows[0][0] if rows else 0

    def page(self, before_seq: int | None = None, limit: int = 500,
             exclude_session: str | None = None) -> list[JobRecord]:
        """Up to ``limit`` records, newest first, older than ``before_seq`` (for views that load lazily)."""
        clauses, params = [], []
        if before_seq is not None:
            clauses.append("id < ?")
            params.append(before_seq)
        if exclude_session is not None:
            clauses.append("session_id != ?")
            params.append(exclude_session)
        where = f" WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = self._query(f"SELECT {SELECT_COLUMNS} FROM jobs{where} ORDER BY id DESC LIMIT ?", params + [limit])
        return [record_from_row(r) for r in rows]

    def unfinished(self) -> list[JobRecord]:
        """Jobs that were queued or running when an earlier session ended without finishing them.

        Running ones first, then the queued ones in their queue order, session by session; jobs
        already re-queued or dismissed are left out, and so are sessions whose process still runs.
        """
        if not self._opened:
            return []
        self.flush()
        sessions = self._query(
            "SELECT session_id, pid, host, ended_at FROM sessions WHERE session_id != ? AND session_id IN "
            f"(SELECT DISTINCT session_id FROM jobs WHERE status IN {_OPEN} AND resolved IS NULL) "
            "ORDER BY started_at", [self.session_id])
        records: list[JobRecord] = []
        for session_id, pid, host, ended_at in sessions:
            if ended_at is None and _process_alive(pid, host):
                continue
            rows = self._query(
                f"SELECT {SELECT_COLUMNS} FROM jobs WHERE session_id = ? AND status IN {_OPEN} AND resolved IS NULL "
                "ORDER BY status = 'QUEUED', pos", [session_id])
            records += [record_from_row(r) for r in rows]
        return records

    # ----------------------------------------------------------------- acting
    def requeue(self, records: Iterable[JobRecord]) -> list[Experiment]:
        """Queue a new copy of each recorded job; returns the new Experiments.

        ValueError naming the job by its call text and the reason if one cannot be rebuilt (its
        function is in ``__main__`` or cannot be imported, its arguments were not saved); then
        nothing is queued.
        """
        records = list(records)
        if not records:
            return []
        for rec in records:
            if not isinstance(rec, JobRecord):
                raise TypeError(f"requeue() takes JobRecords (from records() or unfinished()), got "
                                f"{type(rec).__name__}")
        calls = []
        problems = []
        for rec in records:
            rows = self._query("SELECT args_pickle, rebuild_error FROM jobs WHERE id = ? AND job_id = ?",
                               [rec.seq, rec.job_id])
            pickled, why = rows[0] if rows else (None, rec.rebuild_error or "it is not in this journal")
            try:
                calls.append(rebuild_call(rec.call, rec.func, pickled, why))
            except ValueError as exc:
                problems.append(str(exc))
        if problems:
            more = f" (and {len(problems) - 1} more: {'; '.join(problems[1:4])})" if len(problems) > 1 else ""
            raise ValueError(problems[0] + more)
        exps = [Experiment(func, args, kwargs) for func, args, kwargs in calls]
        for exp in exps:
            self._queue.put(exp)
        self._change("UPDATE jobs SET resolved = 'requeued', requeued_as = ? WHERE id = ? AND job_id = ?",
                     [(exp.job_id, rec.seq, rec.job_id) for exp, rec in zip(exps, records, strict=True)])
        return exps

    def dismiss(self, records: Iterable[JobRecord]) -> None:
        """Leave these jobs out of ``unfinished()`` from now on (they stay in the journal)."""
        params = [(rec.seq, rec.job_id) for rec in records]
        self._change("UPDATE jobs SET resolved = 'dismissed' WHERE id = ? AND job_id = ? AND resolved IS NULL", params)

    def export(self, path: str | os.PathLike) -> int:
        """Write every record to ``path`` (``.csv`` or ``.json`` by its suffix); returns how many."""
        path = Path(path).expanduser()
        if path.suffix.lower() not in (".csv", ".json"):
            raise ValueError(f"export writes .csv or .json files, not {path.suffix or 'a file without suffix'!r}")
        if not self._opened:
            raise RuntimeError(f"history is not available: {self.error or 'this Manager has no history_file'}")
        return export_records(self.records(), path)
