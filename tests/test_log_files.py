"""Daily log files: turned on explicitly, one line per job event, moved, shared, rotated and pruned."""

from __future__ import annotations

import logging
import os
import re
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from labqueue.manager import Experiment, ExpStatus
from labqueue.notifications import log_files

_STAMP = r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3}"


def _fail():
    raise ValueError("bad calibration")


def _run(manager, func, *args):
    """Queue ``func(*args)`` and return once its job events are logged.

    Job events are logged from the queue's change stream a moment after the job ends;
    ``notifications.flush()`` logs them now.
    """
    exp = Experiment(func, args)
    done = threading.Event()
    exp.add_done_callback(lambda _: done.set())
    manager.job_queue.put(exp)
    assert done.wait(10)
    manager.notifications.flush()
    return exp


def _lines(path: Path) -> list[str]:
    return path.read_text(encoding="utf-8").splitlines()


def test_import_and_default_manager_touch_no_disk_and_add_no_handler(tmp_path):
    """In a fresh interpreter whose home and log dirs point to tmp_path."""
    home = tmp_path / "home"
    home.mkdir()
    env = dict(os.environ, HOME=str(home), XDG_STATE_HOME=str(home / "state"), XDG_CACHE_HOME=str(home / "cache"),
               XDG_DATA_HOME=str(home / "data"), XDG_CONFIG_HOME=str(home / "config"), QT_QPA_PLATFORM="offscreen")
    script = """
import logging, threading
import labqueue, labqueue.manager, labqueue.notifications
assert logging.getLogger().handlers == [] and logging.getLogger("labqueue").handlers == []
before = set(threading.enumerate())
m = labqueue.manager.Manager()
extra = [t.name for t in threading.enumerate() if t not in before]
# the worker QThread and the thread that logs job events from the queue's change stream
assert sorted(name for name in extra if not name.startswith("Dummy")) == ["labqueue-events"], extra
assert not m.log_to_file and logging.getLogger("labqueue").handlers == [] and logging.getLogger().handlers == []
m.shutdown()
print("ok")
"""
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert result.stdout.strip() == "ok", result.stderr
    assert list(home.iterdir()) == []


def test_job_events_are_written_with_timestamps_to_a_dir_made_on_first_use(make_manager, tmp_path):
    log_dir = tmp_path / "not" / "yet" / "there"
    manager = make_manager(log_file_dir=log_dir, pause_on_failure=False)
    assert manager.log_to_file and log_dir.is_dir()
    assert manager.queued_exec(pow)(2, 3).result(timeout=10) == 8
    manager.queued_exec(_fail)().exception(timeout=10)
    assert manager.shutdown(wait=True, timeout=10)

    lines = _lines(log_dir / log_files.LOG_FILE_NAME)
    events = [line for line in lines if re.search(r": (Started|Finished|Failed): ", line)]
    assert [re.search(r": (\w+): (\S+)", line).groups() for line in events] == [
        ("Started", "pow(2,"), ("Finished", "pow(2,"), ("Started", "_fail()"), ("Failed", "_fail()")]
    assert all(re.match(_STAMP, line) for line in events)
    assert "ValueError: bad calibration" in lines  # the traceback follows the Failed line


def test_log_to_file_uses_the_default_dir_and_can_be_turned_off(make_manager, tmp_path, monkeypatch):
    monkeypatch.setattr("labqueue.notifications.settings.default_log_dir", lambda: tmp_path / "default")
    manager = make_manager()
    assert not (tmp_path / "default").exists()
    manager.log_to_file = True
    log_file = tmp_path / "default" / log_files.LOG_FILE_NAME
    assert manager.notifications.log_file == log_file
    _run(manager, pow, 2, 2)
    manager.log_to_file = False
    assert manager.notifications.log_file is None
    manager.queued_exec(divmod)(7, 2).result(timeout=10)
    assert manager.shutdown(wait=True, timeout=10)
    text = log_file.read_text(encoding="utf-8")
    assert "Finished: pow(2, 2)" in text and "divmod" not in text


def test_changing_log_file_dir_moves_logging(make_manager, tmp_path):
    manager = make_manager(log_file_dir=tmp_path / "a")
    _run(manager, pow, 1, 1)
    manager.log_file_dir = tmp_path / "b"
    manager.queued_exec(pow)(2, 2).result(timeout=10)
    assert manager.shutdown(wait=True, timeout=10)
    first = (tmp_path / "a" / log_files.LOG_FILE_NAME).read_text(encoding="utf-8")
    second = (tmp_path / "b" / log_files.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "pow(1, 1)" in first and "pow(2, 2)" not in first
    assert "pow(2, 2)" in second and "pow(1, 1)" not in second


def test_an_unusable_dir_is_refused_and_nothing_changes(make_manager, tmp_path):
    manager = make_manager(log_file_dir=tmp_path / "good")
    blocker = tmp_path / "a-file"
    blocker.write_text("not a directory")
    with pytest.raises(OSError, match="cannot write log files"):
        manager.log_file_dir = blocker / "logs"
    assert manager.log_file_dir == tmp_path / "good"
    manager.queued_exec(pow)(3, 3).result(timeout=10)
    assert manager.shutdown(wait=True, timeout=10)
    assert "pow(3, 3)" in (tmp_path / "good" / log_files.LOG_FILE_NAME).read_text(encoding="utf-8")


def test_two_managers_share_a_file_without_double_lines(make_manager, tmp_path):
    first = make_manager(log_file_dir=tmp_path)
    second = make_manager(log_file_dir=tmp_path)
    first.queued_exec(pow)(5, 1).result(timeout=10)
    second.queued_exec(pow)(6, 1).result(timeout=10)
    assert first.shutdown(wait=True, timeout=10)
    second.queued_exec(pow)(7, 1).result(timeout=10)  # the file stays open for the second one
    assert second.shutdown(wait=True, timeout=10)
    lines = _lines(tmp_path / log_files.LOG_FILE_NAME)
    for n in (5, 6, 7):
        assert sum(f"Finished: pow({n}, 1)" in line for line in lines) == 1


def test_handlers_and_logger_level_are_restored_after_shutdown(make_manager, tmp_path):
    lq = logging.getLogger("labqueue")
    root_handlers, lq_handlers, level = list(logging.getLogger().handlers), list(lq.handlers), lq.level
    manager = make_manager(log_file_dir=tmp_path)
    assert len(logging.getLogger().handlers) == len(root_handlers) + 1  # one file handler, routed by a filter
    assert lq.handlers == lq_handlers and lq.level == level  # the user's logger is never touched
    assert manager.shutdown(wait=True, timeout=10)
    assert logging.getLogger().handlers == root_handlers and lq.handlers == lq_handlers and lq.level == level


def test_rollover_starts_a_new_file_and_keeps_only_days_kept(make_manager, tmp_path):
    manager = make_manager(log_file_dir=tmp_path)
    manager.notifications.days_kept = 2
    for day in ("2020-01-01", "2020-01-02", "2020-01-03"):
        (tmp_path / f"{log_files.LOG_FILE_NAME}.{day}").write_text(f"old {day}\n")
    _run(manager, pow, 1, 2)
    handler = manager.notifications._file
    handler.rolloverAt = int(time.time()) - 1  # "midnight has passed": the next record rolls over
    manager.queued_exec(pow)(3, 4).result(timeout=10)
    assert manager.shutdown(wait=True, timeout=10)

    backups = sorted(p.name for p in tmp_path.glob(f"{log_files.LOG_FILE_NAME}.*"))
    assert len(backups) == 2
    assert f"{log_files.LOG_FILE_NAME}.2020-01-03" in backups  # the newest old one survives
    rolled = next(p for p in tmp_path.glob(f"{log_files.LOG_FILE_NAME}.*") if not p.name.endswith("2020-01-03"))
    assert "Finished: pow(1, 2)" in rolled.read_text(encoding="utf-8")
    current = (tmp_path / log_files.LOG_FILE_NAME).read_text(encoding="utf-8")
    assert "Finished: pow(3, 4)" in current and "pow(1, 2)" not in current


def test_days_kept_must_be_a_positive_whole_number(manager):
    for bad in (0, -3, 2.5, "ten"):
        with pytest.raises(ValueError, match="days of log files"):
            manager.notifications.days_kept = bad
    assert manager.notifications.days_kept == log_files.DEFAULT_DAYS_KEPT


def test_a_broken_log_file_never_raises_into_a_job(make_manager, tmp_path, monkeypatch):
    """Writing the log must never raise into a job: a vanished file is reported by logging, not the job."""
    manager = make_manager(log_file_dir=tmp_path, pause_on_failure=False)
    reported = []
    monkeypatch.setattr(manager.notifications._file, "handleError", reported.append)  # not on stderr
    manager.notifications._file.stream.close()  # e.g. a network drive that went away
    exp = _run(manager, pow, 2, 8)
    assert exp.result(timeout=10) == 256 and exp.status is ExpStatus.FINISHED
    assert [r.getMessage().split(":")[0] for r in reported] == ["Started", "Finished"]


def test_the_file_says_where_it_is_and_a_quiet_labqueue_logger_stays_quiet(make_manager, tmp_path, caplog):
    caplog.set_level(logging.WARNING, logger="labqueue")
    manager = make_manager(log_file_dir=tmp_path)
    assert manager.shutdown(wait=True, timeout=10)
    first = _lines(tmp_path / log_files.LOG_FILE_NAME)[0]
    assert first.endswith(f"Logging to {tmp_path / log_files.LOG_FILE_NAME}")
    assert not [r for r in caplog.records if r.getMessage().startswith("Logging to")]
