"""Experiment: construction, future-like waiting, cancellation, display text."""

from __future__ import annotations

import threading
from concurrent.futures import CancelledError

import pytest

from labqueue.manager import Experiment, ExperimentQueue, ExpStatus


def test_args_are_stored_as_tuple_and_kwargs_as_dict():
    exp = Experiment(max, args=[3, 4], kwargs={"default": 0})
    assert exp.args == (3, 4)
    assert exp.kwargs == {"default": 0}
    assert Experiment(max, args=(x for x in (1, 2))).args == (1, 2)
    assert Experiment(print).kwargs == {}
    assert exp.status is ExpStatus.QUEUED
    assert not exp.running() and not exp.done()


@pytest.mark.parametrize("func", [None, 42, "print"])
def test_non_callable_is_a_type_error_naming_the_value(func):
    with pytest.raises(TypeError, match="callable"):
        Experiment(func)


def test_bad_args_and_kwargs_are_type_errors():
    with pytest.raises(TypeError, match="iterable"):
        Experiment(print, args=5)
    with pytest.raises(TypeError, match="string"):
        Experiment(print, args="abc")
    with pytest.raises(TypeError, match="mapping"):
        Experiment(print, kwargs=[("a", 1)])


def test_result_timeout_raises_builtin_timeout_error():
    exp = Experiment(print)
    with pytest.raises(TimeoutError, match="did not finish"):
        exp.result(timeout=0.01)
    with pytest.raises(TimeoutError):
        exp.exception(timeout=0.01)


def _run_through(queue: ExperimentQueue, exp: Experiment, status: ExpStatus, result=None):
    queue.put(exp)
    assert queue.get_next_job() is exp
    queue.job_done(status, result)


def test_result_of_finished_failed_and_aborted_jobs():
    q = ExperimentQueue()
    ok, bad, aborted = Experiment(print), Experiment(print), Experiment(print)
    _run_through(q, ok, ExpStatus.FINISHED, 42)
    error = KeyError("probe")
    _run_through(q, bad, ExpStatus.FAILED, error)
    _run_through(q, aborted, ExpStatus.ABORTED, [1, 2])

    assert ok.result() == 42 and ok.exception() is None
    with pytest.raises(KeyError) as info:
        bad.result()
    assert info.value is error
    assert bad.exception() is error
    with pytest.raises(CancelledError):
        aborted.result()
    with pytest.raises(CancelledError):
        aborted.exception()
    assert aborted.return_value == [1, 2]
    assert all(e.done() for e in (ok, bad, aborted))
    assert ok.started_at <= ok.finished_at and ok.duration >= 0


def test_result_blocks_until_another_thread_finishes_the_job():
    q = ExperimentQueue()
    exp = Experiment(print)
    q.put(exp)
    q.get_next_job()
    waiting = threading.Event()
    got = []

    def wait_for_it():
        waiting.set()
        got.append(exp.result(timeout=10))

    t = threading.Thread(target=wait_for_it)
    t.start()
    assert waiting.wait(5)
    q.job_done(ExpStatus.FINISHED, "data")
    t.join(10)
    assert got == ["data"]


def test_done_callbacks_run_once_when_done_and_at_once_when_already_done():
    q = ExperimentQueue()
    exp = Experiment(print)
    seen = []
    exp.add_done_callback(lambda e: seen.append(("early", e.status)))
    _run_through(q, exp, ExpStatus.FINISHED, 1)
    exp.add_done_callback(lambda e: seen.append(("late", e.status)))
    assert seen == [("early", ExpStatus.FINISHED), ("late", ExpStatus.FINISHED)]
    with pytest.raises(TypeError):
        exp.add_done_callback("not callable")


def test_a_failing_done_callback_is_logged_and_does_not_break_others(caplog):
    exp = Experiment(print)
    seen = []

    def broken(_):
        raise RuntimeError("callback bug")

    exp.add_done_callback(broken)
    exp.add_done_callback(seen.append)
    assert exp.cancel()
    assert seen == [exp]
    assert "callback bug" in caplog.text


def test_cancel_only_while_queued_and_removes_from_queue():
    q = ExperimentQueue()
    a, b = Experiment(print), Experiment(print)
    q.put(a)
    q.put(b)
    assert b.cancel() is True
    assert b.status is ExpStatus.CANCELLED and q.queue == [a]
    assert b.cancel() is True  # already cancelled: still True, as Future.cancel()
    with pytest.raises(CancelledError):
        b.result(timeout=0)
    q.get_next_job()
    assert a.cancel() is False and a.status is ExpStatus.RUNNING


def test_call_text_is_short_and_survives_broken_repr():
    class Broken:
        def __repr__(self):
            raise ValueError("no repr")

    def measure(*args, **kwargs):
        pass

    exp = Experiment(measure, args=(1, "x" * 500, Broken()), kwargs={"field": 0.5})
    text = exp.call_text
    assert text.startswith("measure(1, ")
    assert "field=0.5" in text
    assert "Broken" in text
    assert len(text) < 200
    assert "x" * 500 in exp.full_call_text()
    assert "Broken" in exp.full_call_text()
    huge = Experiment(measure, args=(list(range(2_000_000)),))
    assert len(huge.full_call_text()) < 3000  # tooltips and e-mails never build megabytes
    assert "measure" in repr(exp) and "QUEUED" in repr(exp)


def test_copy_is_a_fresh_queued_experiment():
    q = ExperimentQueue()
    exp = Experiment(divmod, (7, 2))
    _run_through(q, exp, ExpStatus.FAILED, ZeroDivisionError())
    again = exp.copy()
    assert again is not exp and again.status is ExpStatus.QUEUED
    assert (again.func, again.args, again.kwargs) == (exp.func, exp.args, exp.kwargs)
    q.put(again)


def test_wait_hook_can_take_over_waiting_and_is_skipped_when_done():
    from labqueue.experiment import set_wait_hook

    calls = []

    def hook(exp, timeout):
        calls.append(timeout)
        return {0.1: False, 0.2: None}.get(timeout, True)

    q = ExperimentQueue()
    exp = Experiment(print)
    q.put(exp)
    set_wait_hook(hook)
    try:
        with pytest.raises(TimeoutError):
            exp.result(timeout=0.1)  # the hook says: timed out
        with pytest.raises(TimeoutError):
            exp.result(timeout=0.2)  # the hook declines: the ordinary wait runs (and times out)
        q.get_next_job()
        q.job_done(ExpStatus.FINISHED, 5)
        assert exp.result() == 5  # done: the hook is not consulted
        assert calls == [0.1, 0.2]
    finally:
        set_wait_hook(None)
