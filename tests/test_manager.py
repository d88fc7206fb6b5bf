"""Manager and Worker behaviour: running, pausing, failures, aborts, queued_exec, shutdown."""

from __future__ import annotations

import logging
import threading

import pytest

from labqueue.manager import Experiment, ExpStatus, Manager


def blocker():
    """A job that runs until released; returns (job, started, release)."""
    started, release = threading.Event(), threading.Event()

    def job(value="done"):
        started.set()
        assert release.wait(10), "test never released the job"
        return value

    return job, started, release


def test_jobs_run_in_order_and_results_reach_result_queue(manager):
    order = []
    exps = [manager.queued_exec(order.append)(i) for i in range(5)]
    exps += [manager.queued_exec(lambda: "last")()]
    assert exps[-1].result(timeout=5) == "last"
    assert order == list(range(5))
    # None results are not put on the result queue, others are
    assert manager.result_queue.get(timeout=1) == "last"
    assert manager.result_queue.empty()


def test_job_runs_on_worker_thread_not_caller(manager):
    exp = manager.queued_exec(threading.get_ident)()
    assert exp.result(timeout=5) != threading.get_ident()


def test_failed_job_is_recorded_logged_and_worker_pauses(manager, caplog):
    def broken():
        raise RuntimeError("lock-in amplifier overload")

    caplog.set_level(logging.INFO, logger="labqueue")
    bad = manager.queued_exec(broken)()
    after = manager.queued_exec(lambda: 1)()
    with pytest.raises(RuntimeError, match="overload"):
        bad.result(timeout=5)
    assert bad.status is ExpStatus.FAILED and "overload" in bad.traceback
    assert not manager.running.is_set()
    assert after.status is ExpStatus.QUEUED
    manager.notifications.flush()  # job events are logged from the change stream, a moment later
    failures = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert failures and "broken()" in failures[0].getMessage() and failures[0].exc_info
    manager.resume_worker()
    assert after.result(timeout=5) == 1


def test_worker_goes_on_after_failure_without_pause_policy(make_manager):
    manager = make_manager(pause_on_failure=False)
    bad = manager.queued_exec(lambda: 1 / 0)()
    good = manager.queued_exec(lambda: 2)()
    assert good.result(timeout=5) == 2
    assert bad.status is ExpStatus.FAILED and manager.running.is_set()


def test_pause_takes_effect_after_current_job_and_resume_continues(manager, qtbot):
    job, started, release = blocker()
    first = manager.queued_exec(job)()
    second = manager.queued_exec(lambda: "second")()
    assert started.wait(5)
    changes = []
    manager.running_changed_signal.connect(changes.append)
    manager.pause_worker()
    release.set()
    assert first.result(timeout=5) == "done"
    assert second.status is ExpStatus.QUEUED
    with pytest.raises(TimeoutError):
        second.result(timeout=0.05)
    manager.resume_worker()
    assert second.result(timeout=5) == "second"
    qtbot.waitUntil(lambda: len(changes) == 2)
    assert changes == [False, True]


def test_setting_running_event_directly_wakes_the_worker(manager):
    manager.running.clear()
    exp = manager.queued_exec(lambda: 3)()
    manager.running.set()
    assert exp.result(timeout=5) == 3


def test_abort_job_aborts_running_job_and_queue_goes_on(manager):
    started = threading.Event()

    def long_job():
        started.set()
        assert manager.abort.wait(10)
        return "partial data"

    exp = manager.queued_exec(long_job)()
    nxt = manager.queued_exec(lambda: "next")()
    manager.job_queue.put(Experiment(lambda: None))
    assert started.wait(5)
    assert manager.abort_job() is True
    assert nxt.result(timeout=5) == "next"
    assert exp.status is ExpStatus.ABORTED
    assert exp.return_value == "partial data"
    assert manager.result_queue.get(timeout=1) == "partial data"  # partial data is data
    assert not manager.abort.is_set()


def test_abort_job_with_a_job_that_is_not_running_does_nothing(manager):
    job, started, release = blocker()
    running = manager.queued_exec(job)()
    queued = manager.queued_exec(lambda: 1)()
    assert started.wait(5)
    assert manager.abort_job(queued) is False
    assert not manager.abort.is_set()
    release.set()
    assert running.result(timeout=5) == "done" and queued.result(timeout=5) == 1


def test_clear_all_jobs_cancels_queued_and_keeps_running(manager):
    job, started, release = blocker()
    running = manager.queued_exec(job)()
    queued = [manager.queued_exec(print)(i) for i in range(3)]
    assert started.wait(5)
    manager.clear_all_jobs()
    assert all(e.status is ExpStatus.CANCELLED for e in queued)
    assert manager.job_queue.queue == [running]
    release.set()
    assert running.result(timeout=5) == "done"


def test_queued_exec_keeps_name_and_doc_and_rejects_non_callables(manager):
    def sweep(start, stop):
        """Sweep the field."""
        return stop - start

    wrapped = manager.queued_exec(sweep)
    assert wrapped.__name__ == "sweep" and wrapped.__doc__ == "Sweep the field."
    exp = wrapped(1, stop=4)
    assert isinstance(exp, Experiment) and exp.kwargs == {"stop": 4}
    assert exp.result(timeout=5) == 3
    with pytest.raises(TypeError, match="callable"):
        manager.queued_exec(42)


def test_queued_exec_inside_a_job_runs_directly(manager):
    @manager.queued_exec
    def step(x):
        return x * 2

    @manager.queued_exec
    def procedure():
        return [step(1), step(2)]

    exp = procedure()
    assert exp.result(timeout=5) == [2, 4]
    assert manager.job_queue.qsize() == 1


def test_report_progress_from_a_job(manager, qtbot):
    seen = []
    manager.job_queue.progress_signal.connect(lambda i, f, m: seen.append((f, m)))

    def ramp():
        for k in range(1, 3):
            manager.report_progress(k / 2, f"step {k}")
        return "ok"

    exp = manager.queued_exec(ramp)()
    assert exp.result(timeout=5) == "ok"
    qtbot.waitUntil(lambda: len(seen) == 2)  # delivered through the GUI thread's event loop
    assert seen == [(0.5, "step 1"), (1.0, "step 2")]
    assert exp.progress == 1.0 and exp.progress_message == "step 2"


def test_abort_events_property_validates_and_keeps_abort(manager):
    extra = threading.Event()
    manager.abort_events = [extra]
    assert manager.abort_events == [manager.abort, extra]
    with pytest.raises(TypeError, match="is_set"):
        manager.abort_events = [object()]
    assert manager.abort_events == [manager.abort, extra]


def test_notification_settings_validate(manager, tmp_path):
    manager.notify_address = ["ops@lab.example.org", " pi@uni.edu "]
    assert manager.notify_address == ["ops@lab.example.org", "pi@uni.edu"]
    manager.notify_address = "one@lab.org"
    assert manager.notify_address == ["one@lab.org"]
    with pytest.raises(ValueError, match="not-an-address"):
        manager.notify_address = ["ok@lab.org", "not-an-address"]
    assert manager.notify_address == ["one@lab.org"]
    assert manager.email_handler_level == logging.WARNING
    manager.email_handler_level = "error"
    assert manager.email_handler_level == logging.ERROR
    with pytest.raises(ValueError, match="unknown logging level"):
        manager.email_handler_level = "LOUD"
    assert "labqueue" in str(manager.log_file_dir).lower()
    manager.log_file_dir = tmp_path / "logs"
    assert manager.log_file_dir == tmp_path / "logs"


def test_shutdown_cancels_queued_and_joins(manager):
    job, started, release = blocker()
    running = manager.queued_exec(job)()
    queued = manager.queued_exec(print)()
    assert started.wait(5)
    assert manager.shutdown(wait=True, timeout=0.05) is False  # the job still runs
    assert queued.status is ExpStatus.CANCELLED
    release.set()
    assert manager.join(timeout=5)
    assert running.status is ExpStatus.FINISHED
    assert "shut down" in repr(manager)


def test_shutdown_with_abort_stops_a_cooperative_job(manager):
    started = threading.Event()

    def long_job():
        started.set()
        manager.abort.wait(10)

    exp = manager.queued_exec(long_job)()
    assert started.wait(5)
    assert manager.shutdown(wait=True, timeout=5, abort=True)
    assert exp.status is ExpStatus.ABORTED


def test_context_manager_joins_the_worker():
    with Manager() as manager:
        exp = manager.queued_exec(sum)([1, 2])
        assert exp.result(timeout=5) == 3
    assert manager.worker.thread() is not None
    assert manager.join(timeout=0)


def test_shutdown_from_inside_a_job_does_not_hang_and_join_there_is_refused(manager):
    seen = {}

    def stop_from_inside():
        try:
            manager.join(timeout=1)
        except RuntimeError as exc:
            seen["join"] = str(exc)
        seen["shutdown"] = manager.shutdown(wait=True)
        return "done"

    exp = manager.queued_exec(stop_from_inside)()
    assert exp.result(timeout=5) == "done"
    assert "worker thread" in seen["join"] and seen["shutdown"] is False
    assert manager.join(timeout=5)


def test_nothing_can_be_queued_after_shutdown(manager):
    manager.shutdown()
    with pytest.raises(RuntimeError, match="shut down"):
        manager.queued_exec(print)("late")
    with pytest.raises(RuntimeError, match="shut down"):
        manager.job_queue.put(Experiment(print))
    assert manager.job_queue.qsize() == 0


def test_queued_exec_in_a_done_callback_queues_instead_of_running_inline(manager):
    second = []

    @manager.queued_exec
    def step(name):
        return name

    called = threading.Event()
    first = step("first")
    first.add_done_callback(lambda _e: (second.append(step("second")), called.set()))
    assert first.result(timeout=5) == "first"
    assert called.wait(5)  # result() may return a moment before the worker runs the callbacks
    # the callback runs on the worker thread, but outside the job: it must queue, not run inline
    assert isinstance(second[0], Experiment)
    assert second[0].result(timeout=5) == "second"
    assert [e.call_text for e in manager.job_queue.queue] == ["step('first')", "step('second')"]


def test_a_bad_setting_leaves_no_handler_or_file_behind(tmp_path):
    labqueue_logger, root = logging.getLogger("labqueue"), logging.getLogger()
    before = (list(labqueue_logger.handlers), list(root.handlers))
    with pytest.raises(ValueError):
        Manager(log_file_dir=tmp_path / "logs", email_handler_level="LOUD")
    with pytest.raises(ValueError):
        Manager(notify_address=["not an address"], log_file_dir=tmp_path / "logs")
    assert (labqueue_logger.handlers, root.handlers) == before
    assert not (tmp_path / "logs").exists()


def test_cancel_racing_put_never_lets_a_cancelled_job_run(manager):
    manager.pause_worker()
    for _ in range(2000):
        exp = Experiment(int)
        barrier = threading.Barrier(2)
        outcome = {}

        def put(exp=exp, barrier=barrier, outcome=outcome):
            barrier.wait()
            try:
                manager.job_queue.put(exp)
                outcome["put"] = True
            except ValueError:
                outcome["put"] = False

        t = threading.Thread(target=put)
        t.start()
        barrier.wait()
        cancelled = exp.cancel()
        t.join()
        in_queue = any(e is exp for e in manager.job_queue.queue)
        if cancelled:
            assert exp.status is ExpStatus.CANCELLED and not in_queue
        else:
            assert outcome["put"] and in_queue and exp.status is ExpStatus.QUEUED
    manager.clear_all_jobs()
