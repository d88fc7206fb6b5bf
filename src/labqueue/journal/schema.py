"""The journal's file: open or create an SQLite database, check that it is ours, set WAL mode.

A file that is not a labqueue journal, is corrupt, locked, read-only or written by a newer labqueue
raises :class:`JournalUnavailable` with a reason for people, and is never changed: nothing is
written to a file before it has been recognised (or created empty) here.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

__all__ = ["APPLICATION_ID", "SCHEMA_VERSION", "JournalUnavailable", "connect", "open_journal", "transaction"]

#: ``PRAGMA application_id`` of a labqueue journal ("LBQJ"): tells it from other SQLite files.
APPLICATION_ID = 0x4C42514A
#: ``PRAGMA user_version`` this code writes; a file with a higher one is refused (never downgraded).
SCHEMA_VERSION = 1
#: Seconds a connection waits for another one's lock before giving up.
BUSY_TIMEOUT_S = 2.0

_SCHEMA = """
CREATE TABLE sessions (
    session_id TEXT PRIMARY KEY,
    started_at REAL NOT NULL,
    ended_at   REAL,
    pid        INTEGER,
    host       TEXT,
    version    TEXT
);
CREATE TABLE jobs (
    id            INTEGER PRIMARY KEY,  -- journal order (the order jobs were queued)
    job_id        TEXT NOT NULL,
    session_id    TEXT NOT NULL,
    pos           INTEGER NOT NULL,     -- order in its session's queue (changes when jobs move)
    call          TEXT NOT NULL,
    func          TEXT NOT NULL,        -- module:qualname
    args_repr     TEXT NOT NULL,        -- JSON: {"args": [repr, ...], "kwargs": {name: repr}}
    args_pickle   BLOB,                 -- pickle of (callable or None, args, kwargs), or NULL
    rebuild_error TEXT,                 -- why the job cannot be rebuilt, or NULL
    status        TEXT NOT NULL,        -- ExpStatus name
    queued_at     REAL,
    started_at    REAL,
    finished_at   REAL,
    result        TEXT,
    error         TEXT,
    resolved      TEXT,                 -- unfinished job: 'requeued' or 'dismissed'
    requeued_as   TEXT
);
CREATE INDEX jobs_open ON jobs (session_id, pos) WHERE status IN ('QUEUED', 'RUNNING');
"""


class JournalUnavailable(Exception):
    """The journal cannot be used; ``str(exc)`` says why, in words for the operator."""


def connect(path: Path, timeout: float | None = None) -> sqlite3.Connection:
    """A connection to ``path`` usable from any thread (callers serialise their use)."""
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_S if timeout is None else timeout,
                           check_same_thread=False, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = OFF")
    return conn


@contextmanager
def transaction(conn: sqlite3.Connection) -> Iterator[sqlite3.Connection]:
    """One write transaction (``BEGIN IMMEDIATE`` ... ``COMMIT``; rolled back on any exception)."""
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield conn
    except BaseException:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def _explain(path: Path, exc: BaseException) -> str:
    text = str(exc)
    low = text.lower()
    if "not a database" in low or "malformed" in low or "corrupt" in low:
        why = f"the file is corrupt or not a database ({text})"
    elif "locked" in low or "busy" in low:
        why = f"the file is locked by another program ({text})"
    elif "readonly" in low or "read-only" in low or "unable to open" in low or isinstance(exc, PermissionError):
        why = f"the file cannot be written ({text})"
    elif "full" in low:
        why = f"the disk is full ({text})"
    else:
        why = text
    return f"history journal {path} is not available: {why}"


def open_journal(path: str | Path) -> sqlite3.Connection:
    """Open (or create) the journal at ``path``, ready for writing; raises :class:`JournalUnavailable`."""
    path = Path(path).expanduser()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists() and not path.is_file():
            raise JournalUnavailable(f"history journal {path} is not available: it is not a file")
        conn = connect(path)
    except JournalUnavailable:
        raise
    except (OSError, sqlite3.Error) as exc:
        raise JournalUnavailable(_explain(path, exc)) from exc
    try:
        _prepare(conn, path)
    except JournalUnavailable:
        conn.close()
        raise
    except (OSError, sqlite3.Error) as exc:
        conn.close()
        raise JournalUnavailable(_explain(path, exc)) from exc
    return conn


def _prepare(conn: sqlite3.Connection, path: Path) -> None:
    """Recognise the file (or create the schema in an empty one), then switch to WAL mode."""
    app_id = conn.execute("PRAGMA application_id").fetchone()[0]
    version = conn.execute("PRAGMA user_version").fetchone()[0]
    n_tables = conn.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]
    if app_id == 0 and version == 0 and n_tables == 0:
        # An empty database (a new file): create the journal in one transaction. BEGIN IMMEDIATE
        # takes the write lock, so a locked or read-only file fails here, before anything is written.
        with transaction(conn):
            for statement in _SCHEMA.split(";"):
                if statement.strip():
                    conn.execute(statement)
            conn.execute(f"PRAGMA application_id = {APPLICATION_ID}")
            conn.execute(f"PRAGMA user_version = {SCHEMA_VERSION}")
    elif app_id != APPLICATION_ID:
        raise JournalUnavailable(f"history journal {path} is not available: it is an SQLite database of "
                                 "another program, not a labqueue journal")
    elif version > SCHEMA_VERSION:
        raise JournalUnavailable(
            f"history journal {path} is not available: it was written by a newer labqueue (journal version "
            f"{version}; this labqueue reads up to version {SCHEMA_VERSION}). Update labqueue or choose another file.")
    elif version < 1:
        raise JournalUnavailable(f"history journal {path} is not available: it has no journal version")
    conn.execute("PRAGMA journal_mode = WAL")
    # NORMAL in WAL mode: a committed batch survives a killed process; a power cut may lose the last ones.
    conn.execute("PRAGMA synchronous = NORMAL")
    # Check that the tables we need are there and readable (catches most damage at start).
    conn.execute("SELECT id, job_id, session_id, pos, status, resolved FROM jobs ORDER BY id DESC LIMIT 1").fetchall()
    conn.execute("SELECT session_id FROM sessions LIMIT 1").fetchall()
