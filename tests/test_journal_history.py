"""manager.history from code: records, export, requeue of earlier jobs, and no journal at all."""

from __future__ import annotations

import csv
import json
import sqlite3

import pytest

from labqueue.journal.schema import SCHEMA_VERSION
from labqueue.manager import ExpStatus


def double(x):
    return x * 2


def fail(message):
    raise RuntimeError(message)


def big_result():
    return "x" * 100_000


def test_without_a_history_file_nothing_is_written_and_history_is_empty(make_manager, tmp_path):
    manager = make_manager()
    assert manager.history.enabled is False and manager.history.error is None
    assert manager.queued_exec(double)(2).result(timeout=10) == 4
    assert manager.history.records() == [] and manager.history.unfinished() == []
    with pytest.raises(RuntimeError, match="history"):
        manager.history.export(tmp_path / "x.csv")


def test_every_job_is_recorded_with_status_times_result_and_traceback(make_manager, tmp_path):
    journal = tmp_path / "sub" / "journal.sqlite"
    manager = make_manager(history_file=journal, pause_on_failure=False)
    assert manager.history.enabled, manager.history.error
    ok = manager.queued_exec(double)(21)
    bad = manager.queued_exec(fail)("probe not responding")
    big = manager.queued_exec(big_result)()
    big.result(timeout=10)
    manager.pause_worker()
    cancelled = manager.queued_exec(double)(5)
    assert cancelled.cancel()
    records = manager.history.records()
    assert [(r.call, r.status) for r in records] == [
        ("double(21)", ExpStatus.FINISHED), ("fail('probe not responding')", ExpStatus.FAILED),
        ("big_result()", ExpStatus.FINISHED), ("double(5)", ExpStatus.CANCELLED)]
    first = records[0]
    assert first.job_id == ok.job_id and first.session_id == manager.history.session_id
    assert first.func == f"{__name__}:double" and first.args == ("21",) and first.kwargs == {}
    assert first.result == "42" and first.error is None
    assert (first.queued_at, first.started_at, first.finished_at) == (ok.queued_at, ok.started_at, ok.finished_at)
    assert records[1].job_id == bad.job_id and "RuntimeError: probe not responding" in records[1].error
    assert records[1].result is None
    assert len(records[2].result) < 2100  # capped
    assert records[3].started_at is None and records[3].finished_at is not None
    with sqlite3.connect(journal) as conn:
        assert conn.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_records_filter_by_status_and_limit_to_the_newest(make_manager, tmp_path):
    manager = make_manager(history_file=tmp_path / "j.sqlite", pause_on_failure=False)
    jobs = [manager.queued_exec(double)(i) for i in range(5)] + [manager.queued_exec(fail)("no")]
    jobs[-1].exception(timeout=10)
    history = manager.history
    assert [r.call for r in history.records(limit=2)] == ["double(4)", "fail('no')"]
    assert [r.call for r in history.records(status="failed")] == ["fail('no')"]
    assert [r.call for r in history.records(status=ExpStatus.FINISHED, limit=1)] == ["double(4)"]
    assert history.records(limit=0) == []
    with pytest.raises(ValueError, match="status"):
        history.records(status="done")
    with pytest.raises(ValueError, match="limit"):
        history.records(limit=-1)


def test_a_later_session_sees_earlier_sessions_and_nothing_unfinished_after_a_clean_exit(make_manager, tmp_path):
    journal = tmp_path / "j.sqlite"
    first = make_manager(history_file=journal)
    first.queued_exec(double)(1).result(timeout=10)
    first.pause_worker()
    first.queued_exec(double)(2)  # cancelled by the clean shutdown
    assert first.shutdown(wait=True, timeout=10)
    second = make_manager(history_file=journal)
    records = second.history.records()
    assert [(r.call, r.status) for r in records] == [("double(1)", ExpStatus.FINISHED),
                                                     ("double(2)", ExpStatus.CANCELLED)]
    assert records[0].session_id == first.history.session_id != second.history.session_id
    assert second.history.unfinished() == []
    assert first.history.records() == records  # still readable after its manager shut down


def test_export_json_and_csv_round_trip_every_field(make_manager, tmp_path):
    manager = make_manager(history_file=tmp_path / "j.sqlite", pause_on_failure=False)
    manager.queued_exec(double)(3).result(timeout=10)
    manager.queued_exec(fail)("boom, \"quoted\"\nline").exception(timeout=10)
    records = manager.history.records()
    assert manager.history.export(tmp_path / "out.json") == 2
    exported = json.loads((tmp_path / "out.json").read_text())
    assert exported == [r.to_dict() for r in records]
    assert exported[1]["status"] == "FAILED" and "boom" in exported[1]["error"]
    assert manager.history.export(tmp_path / "out.CSV") == 2
    with open(tmp_path / "out.CSV", newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert [row["job_id"] for row in rows] == [r.job_id for r in records]
    assert rows[1]["error"] == records[1].error
    assert json.loads(rows[0]["args"]) == ["3"] and float(rows[0]["finished_at"]) == records[0].finished_at
    with pytest.raises(ValueError, match="csv or .json"):
        manager.history.export(tmp_path / "out.xlsx")
    assert not (tmp_path / "out.xlsx").exists()


def test_requeue_of_a_finished_record_runs_a_new_copy(make_manager, tmp_path):
    manager = make_manager(history_file=tmp_path / "j.sqlite")
    manager.queued_exec(double)(8).result(timeout=10)
    (record,) = manager.history.records()
    (again,) = manager.history.requeue([record])
    assert again.job_id != record.job_id and again.result(timeout=10) == 16
    with pytest.raises(TypeError, match="JobRecord"):
        manager.history.requeue(["not a record"])


def test_a_lambda_cannot_be_requeued_and_the_record_says_why(make_manager, tmp_path):
    manager = make_manager(history_file=tmp_path / "j.sqlite")
    manager.queued_exec(lambda: 1)().result(timeout=10)
    (record,) = manager.history.records()
    assert not record.can_requeue and "lambda" in record.rebuild_error
    manager.pause_worker()
    with pytest.raises(ValueError, match=r"<lambda>\(\) cannot be re-queued: .*lambda"):
        manager.history.requeue([record])
    assert manager.job_queue.qsize("queued") == 0


def _as_if_killed(journal, tmp_path, copy_name: str = "after_kill.sqlite"):
    """A copy of the live ``journal`` whose session looks like a process that was killed."""
    import subprocess
    import sys

    copy = tmp_path / copy_name
    with sqlite3.connect(journal) as src, sqlite3.connect(copy) as dst:
        src.backup(dst)
    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    gone.wait()
    with sqlite3.connect(copy) as conn:
        conn.execute("UPDATE sessions SET pid = ?", (gone.pid,))
    conn.close()
    return copy


def test_unfinished_jobs_keep_the_order_the_operator_gave_them(make_manager, tmp_path):
    first = make_manager(history_file=tmp_path / "j.sqlite")
    first.pause_worker()
    for i in (1, 2, 3):
        first.queued_exec(double)(i)
    first.job_queue.move_item(2, 0)  # double(3) runs first now
    assert first.history.flush()
    assert first.history.unfinished() == []  # its own session is still running: not "unfinished"
    second = make_manager(history_file=_as_if_killed(tmp_path / "j.sqlite", tmp_path))
    assert [r.call for r in second.history.unfinished()] == ["double(3)", "double(1)", "double(2)"]


def test_edited_arguments_reach_the_journal_and_are_what_requeue_runs(make_manager, tmp_path):
    first = make_manager(history_file=tmp_path / "j.sqlite")
    first.pause_worker()
    exp = first.queued_exec(double)(1)
    assert first.history.flush()
    exp.update_arguments(21)
    assert [r.call for r in first.history.records()] == ["double(21)"]
    second = make_manager(history_file=_as_if_killed(tmp_path / "j.sqlite", tmp_path))
    (again,) = second.history.requeue(second.history.unfinished())
    assert again.result(timeout=10) == 42


def test_arguments_too_large_to_keep_are_named_as_the_reason(make_manager, tmp_path):
    manager = make_manager(history_file=tmp_path / "j.sqlite")
    manager.queued_exec(len)(b"x" * 5_000_000).result(timeout=10)
    (record,) = manager.history.records()
    assert record.result == "5000000" and not record.can_requeue
    assert "too large" in record.rebuild_error
    assert record.args[0].startswith("b'xxx")
