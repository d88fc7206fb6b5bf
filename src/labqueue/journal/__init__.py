"""The journal: every job written to an SQLite file, so history outlives the process.

``Manager(history_file=PATH)`` makes a :class:`History` (``manager.history``) that subscribes to
the queue's change stream and writes it from a thread of its own; see :mod:`.history`.
"""

from labqueue.journal.history import History
from labqueue.journal.job_record import JobRecord
from labqueue.journal.saved_queue import load_queue, save_queue
from labqueue.journal.schema import SCHEMA_VERSION, JournalUnavailable

__all__ = ["History", "JobRecord", "JournalUnavailable", "SCHEMA_VERSION", "load_queue", "save_queue"]
