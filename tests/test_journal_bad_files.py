"""A journal that cannot be used never stops the Manager: corrupt, foreign, locked, newer, read-only, full."""

from __future__ import annotations

import os
import sqlite3
import threading

import pytest
from qtpy.QtCore import Qt

from labqueue.journal import schema
from labqueue.manager import ExpStatus


def double(x):
    return x * 2


def long_text(n):
    return "y" * n


def _runs_jobs(manager) -> None:
    assert manager.queued_exec(double)(4).result(timeout=10) == 8


def _make_journal(make_manager, path) -> None:
    m = make_manager(history_file=path)
    _runs_jobs(m)
    assert m.shutdown(wait=True, timeout=10)


def test_a_corrupt_file_is_kept_as_it_is_and_jobs_still_run(make_manager, tmp_path):
    path = tmp_path / "journal.sqlite"
    garbage = b"this was a journal until the disk hiccupped" * 200
    path.write_bytes(garbage)
    manager = make_manager(history_file=path)
    assert manager.history.enabled is False
    assert "corrupt" in manager.history.error and str(path) in manager.history.error
    _runs_jobs(manager)
    assert manager.history.records() == [] and manager.history.unfinished() == []
    assert manager.shutdown(wait=True, timeout=10)
    assert manager.history.records() == [] and manager.history.unfinished() == []  # still no crash
    assert path.read_bytes() == garbage


def test_another_programs_database_is_not_touched(make_manager, tmp_path):
    path = tmp_path / "other.sqlite"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE samples (name TEXT)")
    before = path.read_bytes()
    manager = make_manager(history_file=path)
    assert not manager.history.enabled and "not a labqueue journal" in manager.history.error
    _runs_jobs(manager)
    assert path.read_bytes() == before


def test_a_journal_from_a_newer_labqueue_is_refused_and_kept(make_manager, tmp_path):
    path = tmp_path / "journal.sqlite"
    _make_journal(make_manager, path)
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    before = path.read_bytes()
    manager = make_manager(history_file=path)
    assert not manager.history.enabled and "newer labqueue" in manager.history.error
    _runs_jobs(manager)
    assert manager.shutdown(wait=True, timeout=10)
    assert path.read_bytes() == before


def test_a_locked_journal_is_reported_and_jobs_still_run(make_manager, tmp_path, monkeypatch):
    monkeypatch.setattr(schema, "BUSY_TIMEOUT_S", 0.2)
    path = tmp_path / "journal.sqlite"
    _make_journal(make_manager, path)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # another program writing, and not letting go
    try:
        manager = make_manager(history_file=path)
        assert not manager.history.enabled and "locked" in manager.history.error
        _runs_jobs(manager)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root may write read-only files")
def test_a_read_only_journal_is_reported(make_manager, tmp_path):
    path = tmp_path / "journal.sqlite"
    _make_journal(make_manager, path)
    path.chmod(0o444)
    manager = make_manager(history_file=path)
    assert not manager.history.enabled and "cannot be written" in manager.history.error
    _runs_jobs(manager)


def test_a_full_disk_turns_history_off_with_the_reason_and_nothing_in_memory_is_lost(make_manager, tmp_path,
                                                                                     monkeypatch):
    from labqueue.journal import history as history_module

    real_connect = history_module.connect

    def connect_to_a_small_disk(path, timeout=None):
        conn = real_connect(path, timeout)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages + 2}")  # SQLite then fails as on a full disk
        return conn

    monkeypatch.setattr(history_module, "connect", connect_to_a_small_disk)
    manager = make_manager(history_file=tmp_path / "journal.sqlite")
    assert manager.history.enabled
    failed = threading.Event()
    reasons = []
    manager.history.failed_signal.connect(lambda why: (reasons.append(why), failed.set()), Qt.DirectConnection)
    jobs = [manager.queued_exec(long_text)(3000) for _ in range(40)]
    assert [len(j.result(timeout=10)) for j in jobs] == [3000] * 40
    manager.history.flush()
    assert failed.wait(10)
    assert manager.history.enabled is False and "disk is full" in manager.history.error
    assert reasons == [manager.history.error]
    assert manager.queued_exec(double)(1).result(timeout=10) == 2
    assert all(j.status is ExpStatus.FINISHED for j in manager.job_queue.queue)
    assert manager.job_queue.qsize("history") == 41
