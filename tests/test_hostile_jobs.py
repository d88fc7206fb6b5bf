"""Issue 12: jobs, callbacks and arguments that misbehave must not take down the worker or the process.

Each test here failed on the code before the fix (see the issue's numbered list).
"""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import subprocess
import sys
import threading
from concurrent.futures import CancelledError

import pytest

from labqueue.manager import Experiment, ExpStatus


class CustomBaseError(BaseException):
    """A BaseException that is neither KeyboardInterrupt nor SystemExit."""


@pytest.mark.parametrize("exc_type", [KeyboardInterrupt, SystemExit, CustomBaseError])
def test_12_1_a_done_callback_raising_a_base_exception_is_logged_and_the_queue_goes_on(
        make_manager, caplog, exc_type):
    manager = make_manager(pause_on_failure=False)

    def bad_callback(_exp):
        raise exc_type("callback bug")

    first = manager.queued_exec(lambda: 1)()
    first.add_done_callback(bad_callback)
    second = manager.queued_exec(lambda: 2)()
    with caplog.at_level(logging.ERROR, logger="labqueue"):
        assert second.result(timeout=10) == 2
    assert first.status is ExpStatus.FINISHED and second.status is ExpStatus.FINISHED
    assert "callback bug" in caplog.text or exc_type.__name__ in caplog.text
    assert manager.worker.in_worker_thread() is False


def test_12_2_an_argument_whose_repr_raises_a_base_exception_breaks_nothing(make_manager, caplog):
    class Hostile:
        def __repr__(self):
            raise CustomBaseError("no repr for you")

    manager = make_manager()
    with caplog.at_level(logging.INFO, logger="labqueue"):
        exp = manager.queued_exec(lambda x: 5)(Hostile())
        assert exp.result(timeout=10) == 5
    assert "repr failed" in exp.call_text


def test_12_6_an_async_job_runs_its_body_and_returns_its_value(manager):
    ran = threading.Event()

    async def measure(x):
        await asyncio.sleep(0)
        ran.set()
        return x * 2

    exp = manager.queued_exec(measure)(21)
    assert exp.result(timeout=10) == 42
    assert ran.is_set()
    assert exp.status is ExpStatus.FINISHED


def test_12_6_a_call_returning_a_coroutine_is_run_too(manager):
    async def inner():
        return "done"

    exp = manager.queued_exec(lambda: inner())()
    assert exp.result(timeout=10) == "done"


def test_12_7_a_job_waiting_for_itself_fails_at_once(manager):
    holder: list[Experiment] = []
    started = threading.Event()

    def selfish():
        started.set()
        return holder[0].result()

    exp = Experiment(selfish)
    holder.append(exp)
    manager.job_queue.put(exp)
    with pytest.raises(RuntimeError, match="its own result"):
        exp.result(timeout=10)
    assert exp.status is ExpStatus.FAILED


def test_12_7_a_job_waiting_for_a_job_queued_behind_it_fails_at_once(make_manager):
    manager = make_manager(pause_on_failure=False)
    holder: list[Experiment] = []

    def waits_for_later():
        return holder[0].result()

    first = Experiment(waits_for_later)
    second = Experiment(lambda: "second")
    holder.append(second)
    manager.pause_worker()
    manager.job_queue.put(first)
    manager.job_queue.put(second)
    manager.resume_worker()
    with pytest.raises(RuntimeError, match="queued behind it"):
        first.result(timeout=10)
    assert second.result(timeout=10) == "second"


def test_12_7_a_job_may_wait_for_a_job_of_another_manager(make_manager):
    a, b = make_manager(), make_manager()
    other = b.queued_exec(lambda: "other")()
    exp = a.queued_exec(lambda: other.result(timeout=10))()
    assert exp.result(timeout=10) == "other"


def test_12_14_pause_on_failure_must_be_a_bool(make_manager):
    with pytest.raises(TypeError, match="pause_on_failure must be True or False"):
        make_manager(pause_on_failure="no")


def test_12_14_kwargs_keys_must_be_names():
    with pytest.raises(TypeError, match="kwargs keys must be argument names"):
        Experiment(print, kwargs={1: 2})


def test_12_14_result_timeout_must_be_a_number(manager):
    exp = manager.queued_exec(lambda: 1)()
    with pytest.raises(TypeError, match="timeout must be a number of seconds"):
        exp.result(timeout="1")
    assert exp.result(timeout=10) == 1


def test_cancel_is_true_when_already_cancelled_false_when_running_or_done(manager):
    gate, started = threading.Event(), threading.Event()
    running = manager.queued_exec(lambda: started.set() or gate.wait(10))()
    queued = manager.queued_exec(lambda: 1)()
    assert started.wait(10)
    assert queued.cancel() is True
    assert queued.cancel() is True
    assert running.cancel() is False
    gate.set()
    assert running.result(timeout=10) is True
    assert running.cancel() is False
    with pytest.raises(CancelledError):
        queued.result(timeout=0)


def test_with_block_runs_the_queued_jobs_to_the_end(make_manager):
    manager = make_manager()
    with manager:
        jobs = [manager.queued_exec(lambda i=i: i)() for i in range(20)]
    assert [exp.status for exp in jobs] == [ExpStatus.FINISHED] * 20
    assert manager.is_shut_down


def test_with_block_left_by_an_exception_cancels_the_queued_jobs(make_manager):
    manager = make_manager()
    started, rest_cancelled = threading.Event(), threading.Event()
    with pytest.raises(ZeroDivisionError), manager:
        # The running job ends only once the rest are cancelled: __exit__ must cancel, then join.
        first = manager.queued_exec(lambda: started.set() or rest_cancelled.wait(10))()
        rest = [manager.queued_exec(lambda: 1)() for _ in range(5)]
        rest[-1].add_done_callback(lambda _e: rest_cancelled.set())
        assert started.wait(10)
        raise ZeroDivisionError("the script failed")
    assert first.status is ExpStatus.FINISHED and first.result() is True
    assert [exp.status for exp in rest] == [ExpStatus.CANCELLED] * 5


def test_12_9_ctrl_c_while_a_script_waits_at_exit_exits_with_130(tmp_path):
    """``sweep.py && analyse.py`` must stop when the operator interrupts the sweep at exit."""
    script = tmp_path / "sweep.py"
    script.write_text(
        "import sys, threading\n"
        "from labqueue.manager import Manager\n"
        "manager = Manager()\n"
        "def step(i):\n"
        "    sys.stdout.write(f'running {i}\\n'); sys.stdout.flush()\n"
        "    manager.abort.wait(60)\n"
        "    return i\n"
        "jobs = [manager.queued_exec(step)(i) for i in range(3)]\n"
        "sys.stdout.write('queued\\n'); sys.stdout.flush()\n")
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY")}
    proc = subprocess.Popen([sys.executable, str(script)], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        for line in proc.stderr:  # the script has ended and exit waits for the queued jobs
            if "Waiting for 3 jobs to finish before exit" in line:
                break
        else:
            raise AssertionError(f"the script ended without waiting: {proc.stdout.read()}")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=30)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "Traceback" not in err
    assert "aborting the running job and cancelling the queued ones" in err


def test_a_failure_traceback_starts_at_the_job_not_in_the_worker(manager):
    def measure():
        raise ValueError("field out of range")

    exp = manager.queued_exec(measure)()
    with pytest.raises(ValueError):
        exp.result(timeout=10)
    assert "worker.py" not in exp.traceback
    assert 'in measure\n    raise ValueError("field out of range")' in exp.traceback
    assert exp.traceback.startswith("Traceback (most recent call last):")


def test_the_pause_after_a_failure_holds_when_result_raises(manager):
    """A script that catches the failure must see the paused queue at once."""
    for _ in range(50):
        exp = manager.queued_exec(int)("not a number")
        with pytest.raises(ValueError):
            exp.result(timeout=10)
        assert not manager.running.is_set()
        manager.resume_worker()


def test_a_slow_argument_repr_is_paid_by_the_submitter_not_a_view(manager):
    calls = []

    class Slow:
        def __repr__(self):
            calls.append(threading.current_thread().name)
            return "Slow()"

    manager.pause_worker()
    exp = manager.queued_exec(print)(Slow())
    assert calls == [threading.current_thread().name]
    assert exp.call_text == "print(Slow())" and len(calls) == 1


class _InterruptedRLock:
    """An RLock whose next acquire() takes the lock and then raises KeyboardInterrupt, as Ctrl+C
    does when it lands right after the C call returns into the queue's Python code."""

    def __init__(self, real):
        self.real, self.armed = real, True

    def acquire(self, blocking=True, timeout=-1):
        got = self.real.acquire(blocking, timeout)
        if self.armed:
            self.armed = False
            raise KeyboardInterrupt
        return got

    def __getattr__(self, name):
        return getattr(self.real, name)


@pytest.mark.parametrize("operation", ["read", "put"])
def test_ctrl_c_right_after_taking_the_queue_lock_does_not_leave_it_held(manager, operation):
    """labqueue run hung for good when Ctrl+C landed there: the worker waited for the lock forever."""
    manager.pause_worker()
    lock = manager.job_queue._lock
    lock._rlock = _InterruptedRLock(lock._rlock)
    with pytest.raises(KeyboardInterrupt):
        if operation == "read":
            manager.job_queue.qsize()
        else:
            manager.queued_exec(lambda: 1)()
    lock._rlock = lock._rlock.real
    taken = threading.Event()
    other = threading.Thread(target=lambda: manager.job_queue.qsize() is not None and taken.set())
    other.start()
    other.join(10)
    assert taken.is_set(), "the queue's lock was left held"
    manager.resume_worker()
    assert manager.queued_exec(lambda: 2)().result(timeout=10) == 2
