"""The job watchdog warns once when a job runs past its (global, per-job or per-function) limit."""

from __future__ import annotations

import logging
import threading

import pytest

from labqueue.notifications.watchdog import time_limit


def _watchdog_warnings(caplog) -> list[logging.LogRecord]:
    return [r for r in caplog.records if getattr(r, "labqueue_watchdog", False)]


def _blocking_job(manager, release: threading.Event, name: str = "measure"):
    def job():
        assert release.wait(10), "test never released the job"
        return name

    job.__qualname__ = name
    return manager.queued_exec(job)()


@pytest.fixture
def release():
    event = threading.Event()
    yield event
    event.set()  # never leave a job blocked


def test_no_limit_no_thread(manager):
    assert manager.queued_exec(pow)(2, 2).result(timeout=10) == 4
    assert not manager.notifications.watchdog.is_running


def test_global_limit_warns_once_with_the_job_attached(manager, caplog, qtbot, release):
    caplog.set_level(logging.WARNING, logger="labqueue")
    manager.notifications.watchdog_limit = 0.01
    exp = _blocking_job(manager, release)
    qtbot.waitUntil(lambda: bool(_watchdog_warnings(caplog)), timeout=10_000)
    manager.notifications.watchdog_limit = 0.01  # wakes the watchdog: it must not warn again
    release.set()
    assert exp.result(timeout=10) == "measure"
    assert manager.shutdown(wait=True, timeout=10)
    warnings = _watchdog_warnings(caplog)
    assert len(warnings) == 1
    assert warnings[0].experiment is exp and "measure() is still running" in warnings[0].getMessage()
    assert not manager.notifications.watchdog.is_running


def test_per_job_limit_can_be_set_while_it_runs(manager, caplog, qtbot, release):
    caplog.set_level(logging.WARNING, logger="labqueue")
    manager.notifications.watchdog_limit = 3600
    exp = _blocking_job(manager, release, "cooldown")
    qtbot.waitUntil(exp.running, timeout=10_000)
    manager.notifications.set_time_limit(exp, 0.01)
    qtbot.waitUntil(lambda: bool(_watchdog_warnings(caplog)), timeout=10_000)
    assert _watchdog_warnings(caplog)[0].experiment is exp


def test_time_limit_decorator(manager, caplog, qtbot, release):
    caplog.set_level(logging.WARNING, logger="labqueue")

    @manager.queued_exec
    @time_limit(0.01)
    def sweep():
        release.wait(10)

    exp = sweep()
    qtbot.waitUntil(lambda: bool(_watchdog_warnings(caplog)), timeout=10_000)
    assert _watchdog_warnings(caplog)[0].experiment is exp


def test_a_job_within_its_limit_gets_no_warning(manager, caplog):
    caplog.set_level(logging.WARNING, logger="labqueue")
    manager.notifications.watchdog_limit = 3600
    assert manager.notifications.watchdog.is_running
    assert [manager.queued_exec(pow)(2, n).result(timeout=10) for n in range(3)] == [1, 2, 4]
    assert manager.shutdown(wait=True, timeout=10)
    assert _watchdog_warnings(caplog) == []
    assert not manager.notifications.watchdog.is_running


@pytest.mark.parametrize("bad", [0, -1, "an hour", True])
def test_bad_limits_are_refused_and_change_nothing(manager, bad):
    manager.notifications.watchdog_limit = 60
    with pytest.raises(ValueError, match="positive number of seconds"):
        manager.notifications.watchdog_limit = bad
    with pytest.raises(ValueError, match="positive number of seconds"):
        time_limit(bad)
    assert manager.notifications.watchdog_limit == 60
