"""A process killed with SIGKILL mid-queue: the next session finds its jobs in the journal.

The child runs three quick jobs, starts one that hangs, has four more queued (one defined in its
``__main__``), and is killed without warning. The next Manager on the same journal sees the finished
jobs intact, lists the running and queued ones as unfinished, and re-queues those it can rebuild.
"""

from __future__ import annotations

import signal
import sqlite3
import subprocess
import sys
import textwrap
import time

import pytest

from journal_support import child_env, write_labjobs
from labqueue.manager import ExpStatus

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="SIGKILL is POSIX")

CHILD = textwrap.dedent('''
    import sys
    import labjobs
    from labqueue.manager import Manager

    def measure_here(x):          # defined in __main__: cannot be rebuilt by a later process
        return x

    journal, marker = sys.argv[1], sys.argv[2]
    manager = Manager(history_file=journal)
    run = manager.queued_exec
    for i in range(3):
        run(labjobs.double)(i)
    run(labjobs.hang_first_time)(7, marker)
    run(labjobs.double)(10)
    run(labjobs.scale)([1, 2], factor=3.0)
    run(measure_here)(5)
    run(labjobs.double)(11)
    print("QUEUED", flush=True)
    labjobs.started.wait(30)
    manager.pause_worker()  # nothing may run between the parent's look and the kill
    print("RUNNING", flush=True)
    sys.stdin.read()          # wait to be killed
''')


def _statuses(journal) -> list[tuple[str, str]]:
    """(call, status) of every job the file holds now, read without touching it."""
    try:
        conn = sqlite3.connect(f"file:{journal}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT call, status FROM jobs ORDER BY id").fetchall()
        finally:
            conn.close()
    except sqlite3.Error:
        return []


def _wait_for(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.fixture
def killed_session(tmp_path):
    """Run the child until its hanging job runs and the journal shows it, then SIGKILL it."""
    folder = write_labjobs(tmp_path)
    journal = tmp_path / "journal.sqlite"
    marker = tmp_path / "hang.marker"
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    proc = subprocess.Popen([sys.executable, str(script), str(journal), str(marker)], stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=child_env(folder),
                            cwd=tmp_path)
    try:
        assert proc.stdout.readline().strip() == "QUEUED", proc.stderr.read()
        assert proc.stdout.readline().strip() == "RUNNING", proc.stderr.read()
        # No flush asked for: the writer thread alone must bring the running job into the file.
        def hanging_job_is_in_the_file() -> bool:
            statuses = _statuses(journal)
            return (any(c.startswith("hang_first_time(7, ") and s == "RUNNING" for c, s in statuses)
                    and sum(s == "FINISHED" for _, s in statuses) == 3)

        _wait_for(hanging_job_is_in_the_file)
        proc.send_signal(signal.SIGKILL)
        assert proc.wait(10) == -signal.SIGKILL
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
        proc.stdin.close()
    return journal, marker


def test_finished_jobs_survive_and_unfinished_ones_are_listed(killed_session, make_manager):
    journal, marker = killed_session
    manager = make_manager(history_file=journal)
    assert manager.history.enabled, manager.history.error
    finished = manager.history.records(status=ExpStatus.FINISHED)
    assert [(r.call, r.result, r.func) for r in finished] == [
        ("double(0)", "0", "labjobs:double"), ("double(1)", "2", "labjobs:double"),
        ("double(2)", "4", "labjobs:double")]
    assert all(r.started_at <= r.finished_at for r in finished)
    unfinished = manager.history.unfinished()
    assert unfinished[0].call.startswith("hang_first_time(7, ")
    assert unfinished[0].func == "labjobs:hang_first_time"
    assert unfinished[0].status is ExpStatus.RUNNING and unfinished[0].args == ("7", repr(str(marker)))
    assert [(r.call, r.status) for r in unfinished[1:]] == [
        ("double(10)", ExpStatus.QUEUED),
        ("scale([1, 2], factor=3.0)", ExpStatus.QUEUED),
        ("measure_here(5)", ExpStatus.QUEUED),
        ("double(11)", ExpStatus.QUEUED),
    ]
    assert [r.can_requeue for r in unfinished] == [True, True, True, False, True]
    assert len({r.session_id for r in unfinished}) == 1
    assert unfinished[0].session_id != manager.history.session_id


def test_requeue_refuses_a_main_function_by_name_and_queues_nothing(killed_session, make_manager):
    journal, _ = killed_session
    manager = make_manager(history_file=journal)
    manager.pause_worker()
    unfinished = manager.history.unfinished()
    with pytest.raises(ValueError, match=r"measure_here\(5\).*__main__"):
        manager.history.requeue(unfinished)
    assert manager.job_queue.qsize() == 0
    assert len(manager.history.unfinished()) == 5


def test_requeue_runs_the_unfinished_jobs_and_they_leave_the_list(killed_session, make_manager):
    journal, _ = killed_session
    manager = make_manager(history_file=journal)
    unfinished = manager.history.unfinished()
    rebuildable = [r for r in unfinished if r.can_requeue]
    exps = manager.history.requeue(rebuildable)
    assert [e.result(timeout=20) for e in exps] == [7, 20, [3.0, 6.0], 22]
    assert [r.call for r in manager.history.unfinished()] == ["measure_here(5)"]
    manager.history.dismiss(manager.history.unfinished())
    assert manager.history.unfinished() == []
    requeued = {r.job_id: r for r in manager.history.records() if r.resolved == "requeued"}
    assert {r.requeued_as for r in requeued.values()} == {e.job_id for e in exps}
