"""Queue ETA: learnt durations (median per function) and the estimate, with a controlled clock."""

from __future__ import annotations

import threading
from types import SimpleNamespace

import pytest

from labqueue.duration_stats import DurationStats, func_key
from labqueue.manager import Experiment, ExpStatus


def scan(n=1):
    return n


def ramp(n=1):
    return n


def unknown(n=1):
    return n


def test_func_key_names_module_and_qualname():
    assert func_key(scan) == f"{__name__}:scan"
    assert func_key(object()) == "?:object"  # best effort, as the journal names it


def test_expected_is_the_median_of_finished_runs():
    stats = DurationStats()
    assert stats.expected("m:f") is None
    for seconds in (10, 12, 400, 11):
        stats.record("m:f", seconds)
    assert stats.expected("m:f") == 11.5  # one slow run barely moves it


def test_seed_from_journal_records_counts_only_finished_runs():
    stats = DurationStats(keep=3)
    stats.record("m:f", 30)
    records = [
        SimpleNamespace(func="m:f", status=ExpStatus.FINISHED, started_at=0.0, finished_at=10.0),
        SimpleNamespace(func="m:f", status="FINISHED", started_at=0.0, finished_at=20.0),
        SimpleNamespace(func="m:f", status=ExpStatus.FAILED, started_at=0.0, finished_at=1.0),
        SimpleNamespace(func="m:g", status=ExpStatus.FINISHED, started_at=5.0, finished_at=None),
    ]
    assert stats.seed(records) == 2
    assert stats.expected("m:f") == 20  # median of 10, 20, 30
    assert stats.expected("m:g") is None


def test_empty_queue_eta_is_zero(manager):
    assert manager.queue_eta() == 0.0


def test_eta_of_queued_jobs_from_learnt_durations_while_paused(manager):
    manager.pause_worker()
    manager.durations.record(func_key(scan), 60)
    manager.durations.record(func_key(scan), 120)  # median 90
    manager.durations.record(func_key(ramp), 30)
    for _ in range(3):
        manager.queued_exec(scan)()
    manager.queued_exec(ramp)()
    manager.queued_exec(unknown)()  # unknown duration counts as 0
    assert manager.queue_eta() == 3 * 90 + 30
    starts = manager.eta.expected_starts()
    queued = manager.job_queue.queue
    assert [starts[j.job_id].seconds for j in queued] == [0, 90, 180, 270, 300]
    assert all(s.exact for s in starts.values())
    # a timed start in an hour shifts every expected start
    later = manager.eta.expected_starts(delay=3600)
    assert [later[j.job_id].seconds for j in queued] == [3600, 3690, 3780, 3870, 3900]


def test_eta_is_none_when_no_duration_is_known(manager):
    manager.pause_worker()
    manager.queued_exec(unknown)()
    assert manager.queue_eta() is None
    starts = manager.eta.expected_starts()
    assert len(starts) == 1


def test_unknown_job_makes_later_starts_inexact(manager):
    manager.pause_worker()
    manager.durations.record(func_key(scan), 10)
    a = manager.queued_exec(unknown)()
    b = manager.queued_exec(scan)()
    starts = manager.eta.expected_starts()
    assert starts[a.job_id].exact and not starts[b.job_id].exact


def test_running_job_uses_its_progress_then_learnt_duration(manager, qtbot):
    started, release, reported = threading.Event(), threading.Event(), threading.Event()

    def measure(report):
        if report:
            manager.report_progress(0.25)
        reported.set()
        started.set()
        assert release.wait(10)
        return 1

    manager.durations.record(func_key(scan), 50)
    exp = manager.queued_exec(measure)(True)
    after = manager.queued_exec(scan)()
    assert started.wait(5) and reported.wait(5)
    manager.eta.clock = lambda: exp.started_at + 30  # 30 s in, a quarter done: 90 s left
    assert manager.queue_eta() == 90 + 50
    assert manager.eta.expected_starts()[after.job_id].seconds == 90
    release.set()
    assert exp.result(timeout=5) == 1
    assert after.result(timeout=5) == 1


def test_running_job_without_progress_uses_median_minus_elapsed(manager):
    started, release = threading.Event(), threading.Event()

    def measure(report):
        started.set()
        assert release.wait(10)
        return 1

    manager.durations.record(func_key(measure), 100)
    exp = manager.queued_exec(measure)(False)
    assert started.wait(5)
    manager.eta.clock = lambda: exp.started_at + 40
    assert manager.queue_eta() == 60
    manager.eta.clock = lambda: exp.started_at + 400  # overdue: nothing left, not negative
    assert manager.queue_eta() == 0
    release.set()
    assert exp.result(timeout=5) == 1


def test_durations_are_learnt_from_finished_runs_only(manager):
    manager.worker.pause_on_failure = False

    def boom():
        raise ValueError("x")

    assert manager.queued_exec(scan)(1).result(timeout=5) == 1
    manager.queued_exec(boom)().exception(timeout=5)
    assert manager.shutdown(wait=True, timeout=10)  # joined: the worker has recorded both runs
    assert manager.durations.expected(func_key(scan)) is not None
    assert manager.durations.expected(func_key(boom)) is None


def test_durations_are_seeded_from_the_journal_of_an_earlier_session(make_manager, tmp_path):
    path = tmp_path / "journal.sqlite"
    first = make_manager(history_file=path)
    assert first.history.enabled, first.history.error
    assert first.queued_exec(scan)(1).result(timeout=5) == 1
    assert first.shutdown(wait=True, timeout=10)  # joined: the worker has recorded the run
    learnt = first.durations.expected(func_key(scan))
    assert learnt is not None
    second = make_manager(history_file=path)
    assert second.durations.expected(func_key(scan)) == pytest.approx(learnt, abs=1e-3)
    second.pause_worker()
    second.queued_exec(scan)(2)
    assert second.queue_eta() == pytest.approx(learnt, abs=1e-3)


def test_a_manager_without_journal_starts_with_no_durations(manager):
    assert len(manager.durations) == 0


def test_expected_start_of_one_job_agrees_with_the_whole_schedule(manager):
    manager.pause_worker()
    manager.durations.record(func_key(scan), 30)
    jobs = [manager.queued_exec(scan)(), manager.queued_exec(unknown)(), manager.queued_exec(scan)()]
    starts = manager.eta.expected_starts(delay=5)
    for job in jobs:
        assert manager.eta.expected_start(job, delay=5) == starts[job.job_id]
    assert manager.eta.expected_start(Experiment(scan)) is None  # not in this queue
