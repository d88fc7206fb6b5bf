"""Helpers for the journal tests: a module of importable job functions written to a temporary folder."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

#: Functions a later process can import by name (module ``labjobs`` in the folder on PYTHONPATH).
LABJOBS = textwrap.dedent('''
    import os
    import threading
    import time

    started = threading.Event()

    def double(x):
        return x * 2

    def scale(values, factor=1.0):
        return [v * factor for v in values]

    def hang_first_time(x, marker):
        """Runs for a minute the first time (creates ``marker``), returns ``x`` at once afterwards."""
        if os.path.exists(marker):
            return x
        open(marker, "w").close()
        started.set()
        time.sleep(60)
        return x
''')


def write_labjobs(folder: Path) -> Path:
    """Write ``labjobs.py`` into ``folder`` and make it importable here; returns the folder."""
    (folder / "labjobs.py").write_text(LABJOBS)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return folder


def child_env(folder: Path) -> dict[str, str]:
    """Environment for a child Python that can import labjobs from ``folder``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    env.pop("DISPLAY", None)
    return env


def crashed_journal(path: Path, folder: Path, *, finished: int = 5, unfinished: int = 3,
                    console_job: bool = True) -> Path:
    """A journal with an earlier clean session and a later one that "crashed" with jobs left queued.

    The crash is made by editing the file after a clean shutdown: the jobs go back to QUEUED and the
    session to "not ended" with the id of a process that no longer exists, as a SIGKILL leaves it.
    """
    import sqlite3
    import subprocess

    from labqueue.manager import Manager

    write_labjobs(folder)
    import labjobs

    first = Manager(history_file=path)
    for i in range(finished):
        first.queued_exec(labjobs.double)(i)
    first.shutdown(cancel_pending=False)
    second = Manager(history_file=path)
    second.pause_worker()
    for i in range(unfinished):
        second.queued_exec(labjobs.double)(100 + i)
    if console_job:
        second.queued_exec(lambda: "typed in the console")()
    session = second.history.session_id
    second.shutdown()
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE jobs SET status = 'QUEUED', finished_at = NULL WHERE session_id = ?", (session,))
        conn.execute("UPDATE sessions SET ended_at = NULL, pid = ? WHERE session_id = ?", (gone.pid, session))
    conn.close()
    return path
