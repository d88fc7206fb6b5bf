"""The journal's writer thread: one more subscriber of the queue's change stream, batched.

It wakes when changes arrive, waits a short moment (``BATCH_S``) so that a burst becomes one
batch, and writes the batch in one transaction: every change reaches the file within about
``BATCH_S`` plus the time to write it, so a killed process loses at most that last batch. The
worker never waits for it: records pile up in the subscription while a batch is written.
"""

from __future__ import annotations

import logging
import operator
import sqlite3
import sys
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from labqueue import queue_changes as qc
from labqueue.experiment import DONE_STATUSES, ExpStatus
from labqueue.journal.job_capture import capped_repr, capture_call
from labqueue.journal.schema import transaction

if TYPE_CHECKING:
    from labqueue.experiment import Experiment
    from labqueue.experiment_queue import ExperimentQueue

__all__ = ["BATCH_S", "JournalWriter"]

logger = logging.getLogger("labqueue")

#: Seconds the writer gathers changes before writing them (a batch per transaction).
BATCH_S = 0.25

_COLUMNS = ("id", "job_id", "session_id", "pos", "call", "func", "args_repr", "args_pickle", "rebuild_error",
            "status", "queued_at", "started_at", "finished_at", "result", "error")
#: Columns that are often NULL. Binding None costs Python's sqlite3 several microseconds (it looks
#: for adapters), so rows are grouped by which of these are None and those are written as NULL.
_NULLABLE = (7, 8, 11, 12, 13, 14)
_insert_sql: dict[tuple[bool, ...], tuple[str, Callable]] = {}


def _insert_statement(mask: tuple[bool, ...]) -> tuple[str, Callable]:
    """The INSERT for rows whose nullable columns are None where ``mask`` says, and a getter of the rest."""
    found = _insert_sql.get(mask)
    if found is None:
        null = {i for i, is_none in zip(_NULLABLE, mask, strict=True) if is_none}
        keep = [i for i in range(len(_COLUMNS)) if i not in null]
        values = ", ".join("NULL" if i in null else "?" for i in range(len(_COLUMNS)))
        found = (f"INSERT INTO jobs ({', '.join(_COLUMNS)}) VALUES ({values})", operator.itemgetter(*keep))
        _insert_sql[mask] = found
    return found


def _insert_rows(conn: sqlite3.Connection, rows: list[tuple]) -> None:
    groups: dict[tuple[bool, ...], list[tuple]] = {}
    for row in rows:
        mask = (row[7] is None, row[8] is None, row[11] is None, row[12] is None, row[13] is None, row[14] is None)
        group = groups.get(mask)
        if group is None:
            group = groups[mask] = []
        group.append(row)
    for mask, group in groups.items():
        sql, getter = _insert_statement(mask)
        conn.executemany(sql, map(getter, group))

# What a batch learnt about one job: a list indexed by these (cheaper than an object per job).
_NEW, _STATUS, _STARTED, _FINISHED, _ARGS = range(5)
_RUNNING = ExpStatus.RUNNING
_FAILED = ExpStatus.FAILED
_CANCELLED = ExpStatus.CANCELLED
_NAMES = {status: status.name for status in ExpStatus}
_NAMES[None] = ExpStatus.QUEUED.name


class JournalWriter:
    """Writes every change of ``job_queue`` to the journal ``conn`` under ``session_id``.

    ``on_failure(reason)`` is called (on the writer thread) if writing fails, e.g. a full disk; the
    writer then stops and lets go of its subscription so nothing piles up in memory.
    """

    def __init__(self, job_queue: ExperimentQueue, conn: sqlite3.Connection, session_id: str,
                 on_failure: Callable[[str], None]):
        self._queue = job_queue
        self._conn = conn
        self._session = session_id
        self._on_failure = on_failure
        self._nap = threading.Event()
        self._cond = threading.Condition()
        self._started = 0  # batches taken from the subscription
        self._done = 0     # batches written (or dropped after a failure)
        self._failed = False
        self._next_pos = 0
        self._rowids: dict[Experiment, int] = {}
        snapshot, self._sub = job_queue.subscribe()
        self._initial = list(snapshot.jobs)
        self._thread = threading.Thread(target=self._run, name="labqueue-journal", daemon=True)

    def start(self) -> None:
        self._thread.start()

    # ----------------------------------------------------------------- control (any thread)
    def flush(self, timeout: float | None = 5.0) -> bool:
        """Write every change made before this call now; True once it is in the file (or writing failed)."""
        if not self._thread.is_alive():
            return True
        with self._queue.changed:
            pass  # a change being made now (e.g. a job finishing) is published once the lock is free
        with self._cond:
            if self._sub.wait(0):
                need = self._started + 1
            elif self._started > self._done:
                need = self._started
            else:
                return True
            self._nap.set()
            return self._cond.wait_for(lambda: self._done >= need or not self._thread.is_alive(), timeout)

    def close(self, timeout: float | None = 10.0) -> bool:
        """Write what is left, mark the session ended and stop the thread; True if it stopped."""
        self._sub.close()
        self._nap.set()
        if self._thread.is_alive():
            self._thread.join(timeout)
        return not self._thread.is_alive()

    # ----------------------------------------------------------------- the thread
    def _run(self) -> None:
        try:
            if self._initial:
                self._write([qc.Inserted(i, job) for i, job in enumerate(self._initial)])
                self._initial = []
            while not self._failed:
                self._sub.wait()
                if not self._sub.closed:
                    self._nap.wait(BATCH_S)
                    self._nap.clear()
                with self._cond:
                    self._started += 1
                    records = self._sub.take()
                    # Read after take(): a close() after it sets the event that take() cleared.
                    closing = self._sub.closed
                try:
                    if records:
                        self._write(records)
                finally:
                    records = None  # the batch's jobs must not stay alive while the thread waits
                    with self._cond:
                        self._done += 1
                        self._cond.notify_all()
                if closing:
                    self._end_session()
                    break
        except Exception as exc:  # noqa: BLE001 - a journal failure must never reach the worker
            self._fail(exc)
        finally:
            with self._cond:
                self._done = self._started
                self._cond.notify_all()
            try:
                self._conn.close()
            except sqlite3.Error:
                pass

    def _fail(self, exc: BaseException) -> None:
        self._failed = True
        self._sub.close()
        self._sub.take()
        reason = f"writing the history journal failed: {type(exc).__name__}: {exc}"
        if isinstance(exc, sqlite3.Error) and "full" in str(exc).lower():
            reason = f"writing the history journal failed: the disk is full ({exc})"
        logger.error("History is no longer recorded: %s", reason)
        self._on_failure(reason)

    def _end_session(self) -> None:
        with transaction(self._conn):
            self._conn.execute("UPDATE sessions SET ended_at = ? WHERE session_id = ?", (time.time(), self._session))

    # ----------------------------------------------------------------- one batch
    def _write(self, records: list[Any]) -> None:
        """Fold the records into one state per job, then write them in one transaction."""
        states: dict[Experiment, list] = {}
        get = states.get
        renumber = False
        inserted, removed_range, status_changed = qc.Inserted, qc.RemovedRange, qc.StatusChanged
        for rec in records:
            kind = type(rec)
            if kind is status_changed:
                st = get(rec.job)
                if st is None:
                    st = states[rec.job] = [False, None, None, None, False]
                status = st[_STATUS] = rec.status
                if status is _RUNNING:
                    st[_STARTED] = rec.at
                else:
                    st[_FINISHED] = rec.at
            elif kind is inserted:
                states[rec.job] = [True, None, None, None, False]
            elif kind is removed_range:  # not HistoryTrimmed: those stay in the journal as they are
                for job in rec.jobs:
                    st = get(job)
                    if st is None:
                        st = states[job] = [False, None, None, None, False]
                    st[_STATUS] = _CANCELLED
                    st[_FINISHED] = job.finished_at if job.finished_at is not None else time.time()
            elif kind is qc.Moved:
                renumber = True
            elif kind is qc.JobUpdated:
                st = get(rec.job)
                if st is None:
                    st = states[rec.job] = [False, None, None, None, False]
                st[_ARGS] = True
        with transaction(self._conn):  # one transaction per batch
            self._store(states)
            if renumber:
                self._renumber()

    @staticmethod
    def _outcome(job: Experiment, status: ExpStatus) -> tuple[str | None, str | None]:
        """(result repr, traceback) of a done job."""
        if status is _FAILED:
            return None, job.traceback
        if status is _CANCELLED:
            return None, None
        value = job.return_value
        return (None if value is None else capped_repr(value)), None

    def _store(self, states: dict[Experiment, list]) -> None:
        conn = self._conn
        session = self._session
        live = self._rowids  # jobs in the file that are not done yet -> their row id
        rows = []
        updates: dict[tuple[str, ...], list[tuple]] = {}
        next_id = conn.execute("SELECT coalesce(max(id), 0) + 1 FROM jobs").fetchone()[0]
        pos = self._next_pos
        names, done, outcome, finished = _NAMES, DONE_STATUSES, self._outcome, ExpStatus.FINISHED
        for job, st in states.items():
            status = st[_STATUS]
            if st[_NEW]:
                capture = capture_call(job.func, job.args, job.kwargs)
                result = error = None
                if status is None or status not in done:
                    live[job] = next_id
                elif status is not finished or job.return_value is not None:
                    result, error = outcome(job, status)
                pos += 1
                rows.append((next_id, job.job_id, session, pos, job.call_text, capture[0], capture[1], capture[2],
                             capture[3], names[status], job.queued_at, st[_STARTED], st[_FINISHED], result, error))
                next_id += 1
                continue
            row_id = live.get(job)
            if row_id is None:
                continue  # already written as done; nothing left to change
            cols: tuple[str, ...] = ()
            values: tuple = ()
            if status is not None:
                cols, values = ("status",), (names[status],)
                if st[_STARTED] is not None:
                    cols += ("started_at",)
                    values += (st[_STARTED],)
                if status in done:
                    del live[job]
                    cols += ("finished_at", "result", "error")
                    values += (st[_FINISHED], *outcome(job, status))
            if st[_ARGS]:
                capture = capture_call(job.func, job.args, job.kwargs)
                cols += ("call", "args_repr", "args_pickle", "rebuild_error")
                values += (job.call_text, capture.args_repr, capture.args_pickle, capture.rebuild_error)
            if cols:
                if None in values:  # write NULL in the statement (binding None is slow)
                    cols = tuple(c if v is not None else f"{c} = NULL" for c, v in zip(cols, values, strict=True))
                    values = tuple(v for v in values if v is not None)
                updates.setdefault(cols, []).append((*values, row_id))
        self._next_pos = pos
        if not live and sys.getsizeof(live) > 4096:
            self._rowids = {}  # a dict keeps the size of its largest burst: let it go
        if rows:
            _insert_rows(conn, rows)
        for cols, params in updates.items():
            assignments = ", ".join(c if c.endswith("NULL") else f"{c} = ?" for c in cols)
            conn.executemany(f"UPDATE jobs SET {assignments} WHERE id = ?", params)

    def _renumber(self) -> None:
        """Store the current order of the running and queued jobs (after a move)."""
        q = self._queue
        with q.changed:
            jobs = q.queue[q.qsize("history"):]
        base = self._next_pos
        self._next_pos += len(jobs)
        live = self._rowids
        self._conn.executemany("UPDATE jobs SET pos = ? WHERE id = ?",
                               [(base + i + 1, live[job]) for i, job in enumerate(jobs) if job in live])
