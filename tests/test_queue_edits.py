"""Removing jobs by identity from the GUI never runs user callbacks under the queue lock."""

from __future__ import annotations


def test_done_callbacks_of_removed_jobs_run_after_the_lock_is_released(manager):
    manager.pause_worker()
    jobs = [manager.queued_exec(int)() for _ in range(4)]
    held = []
    for exp in jobs:
        exp.add_done_callback(lambda _e: held.append(manager.job_queue._lock._is_owned()))
    assert manager.job_queue.remove_jobs([jobs[0], jobs[1], jobs[3]]) == 3
    assert held == [False, False, False]
    assert manager.job_queue.queue == [jobs[2]]
