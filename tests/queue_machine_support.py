"""A hypothesis state machine that drives a real Manager and checks it against a plain reference.

The worker thread really runs. Jobs block until the machine pokes them (tests/queue_reference.py),
so which job runs when is decided by the machine's rules, not by timing. After every rule the
machine waits until the queue has settled into the state the reference predicts (woken by the
queue's own change stream, never by sleeping), then checks the invariants. Some rules release the
running job and at once act on the queue, racing the worker's finish-and-start-next: either order
is allowed, and the machine finds out from what the call returned which one happened.

Subclass it to check a view as well (tests/gui/test_table_state_machine.py).
"""

from __future__ import annotations

import os
import sys
import time
from concurrent.futures import CancelledError

from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

from labqueue.manager import ExpStatus, Manager
from queue_reference import ControlledJob, JobError, Reference

#: How long the machine waits for the queue to reach the predicted state before it reports why not.
SETTLE_S = 10.0
#: ``LABQUEUE_MACHINE_EXAMPLES=2000`` hunts longer, with fresh random choices every run (a race that
#: goes wrong only now and then is reported as flaky: trace it with LABQUEUE_MACHINE_TRACE=1, pytest -s).
_TRACE = os.environ.get("LABQUEUE_MACHINE_TRACE")
_HUNT = int(os.environ.get("LABQUEUE_MACHINE_EXAMPLES", "0"))


def machine_settings(max_examples: int) -> settings:
    """Bounded for ``make test`` (2 cores): few examples, derandomized (a CI run is reproducible),
    no example database (nothing written into the repository)."""
    return settings(max_examples=_HUNT or max_examples, stateful_step_count=30, deadline=None,
                    derandomize=not _HUNT, database=None, print_blob=True,
                    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much])


_INDEX = st.integers(-8, 12)
_RACES = ("put", "remove_next", "cancel_next", "pause", "resume", "clear", "next_to_top", "abort",
          "remove_at_first_index", "move_last_by_index")


def _raised(call):
    """What ``call()`` returned, or the type of the IndexError / ValueError it raised."""
    try:
        return call()
    except (IndexError, ValueError) as exc:
        return type(exc)


class QueueMachine(RuleBasedStateMachine):
    """Manager + ExperimentQueue + Worker against :class:`Reference`."""

    def __init__(self) -> None:
        super().__init__()
        self.manager: Manager | None = None
        self.ref: Reference | None = None
        self.jobs: list[ControlledJob] = []
        self.seen_results: list = []

    # ----------------------------------------------------------------- set-up and tear-down
    @initialize(pause_on_failure=st.booleans(), paused=st.booleans(), history_limit=st.sampled_from([None, 0, 2]),
                kinds=st.lists(st.sampled_from(ControlledJob.KINDS), max_size=6))
    def start(self, pause_on_failure: bool, paused: bool, history_limit: int | None, kinds: list[str]) -> None:
        """A Manager, maybe paused, with a few jobs queued (so that every rule has work at once)."""
        self.manager = Manager(pause_on_failure=pause_on_failure, history_limit=history_limit)
        self.q = self.manager.job_queue
        _, self.sub = self.q.subscribe()  # wakes settle() on every change
        self.ref = Reference(pause_on_failure, history_limit)
        self.started()
        if paused:
            self.manager.pause_worker()
            self.ref.pause()
        for kind in kinds:
            job = self._new_job(kind)
            self.q.put(job.exp)
            self.ref.put(job)
        self.settle()

    def started(self) -> None:
        """Hook for subclasses: the Manager exists."""

    def teardown(self) -> None:
        if self.manager is None:
            return
        for job in self.jobs:
            job.release()
        self.sub.close()
        assert self.manager.shutdown(wait=True, timeout=10, abort=True), "the worker did not stop"

    # ----------------------------------------------------------------- waiting for the predicted state
    def _settled(self, ref: Reference) -> bool:
        status = ref.status
        if any(job.exp.status is not status[job] for job in self.jobs):
            return False
        if ref.running is not None and not ref.running.entered.is_set():
            return False
        return self.q.paused == ref.paused

    def wait_for(self, done) -> bool:
        """Wait until ``done()``, woken by the queue's change records; False after SETTLE_S."""
        deadline = time.monotonic() + SETTLE_S
        while not done():
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            self.sub.wait(left)
            self.sub.take()
        return True

    def settle(self) -> None:
        """Let the worker do what the reference says it does; the invariants then say what differs."""
        self.ref.worker_step()
        self.wait_for(lambda: self._settled(self.ref))
        if _TRACE:  # LABQUEUE_MACHINE_TRACE=1 with pytest -s: every step and the state it predicts
            sys.stderr.write(f"TRACE {sys._getframe(1).f_code.co_name}: {self.ref.history} {self.ref.running} "
                             f"{self.ref.queued} paused={self.ref.paused} abort={self.ref.abort_requested}\n")

    # ----------------------------------------------------------------- jobs
    def _new_job(self, kind: str) -> ControlledJob:
        job = ControlledJob(self.manager, kind, len(self.jobs))
        self.jobs.append(job)
        return job

    def _job_of(self, exp) -> ControlledJob | None:
        return next((j for j in self.jobs if j.exp is exp), None)

    @rule(kinds=st.lists(st.sampled_from(ControlledJob.KINDS), min_size=1, max_size=3))
    def put(self, kinds: list[str]) -> None:
        for kind in kinds:
            job = self._new_job(kind)
            self.q.put(job.exp)
            self.ref.put(job)
        self.settle()

    # Rules never depend on the reference's state through preconditions: a race may end either way,
    # and hypothesis needs the same draws when it replays an example. Without a running job they
    # only settle.
    @rule(release=st.booleans())
    def let_running_job_go_on(self, release: bool) -> None:
        """Release the running job (it returns or raises), or let it look around once: a check_abort
        job then stops if an abort was requested. With none running, resume a paused queue."""
        job = self.ref.running
        if job is None:
            if self.ref.paused:
                self.resume()
            return
        if release:
            job.release()
            self.ref.finish_running()
        else:
            job.poke()
            if job.kind == "check_abort" and self.ref.abort_requested:
                self.ref.finish_running(stopped_by_abort=True)
        self.settle()

    # ----------------------------------------------------------------- the operator's buttons
    @rule()
    def pause(self) -> None:
        self.manager.pause_worker()
        self.ref.pause()
        self.settle()

    @rule()
    def resume(self) -> None:
        self.manager.resume_worker()
        self.ref.resume()
        self.settle()

    @rule()
    def abort(self) -> None:
        assert self.manager.abort_job() is self.ref.abort()
        self.settle()

    @rule()
    def clear(self) -> None:
        assert self.manager.clear_all_jobs() == self.ref.clear()
        self.settle()

    # ----------------------------------------------------------------- removing and moving
    def _check_call(self, expected, call) -> None:
        """Run ``call``; it must raise ``expected`` if that is an exception type, else return it."""
        try:
            got = call()
        except (IndexError, ValueError) as exc:
            assert isinstance(expected, type) and isinstance(exc, expected), f"raised {exc!r}, expected {expected!r}"
            return
        assert not isinstance(expected, type), f"returned {got!r}, expected {expected.__name__}"
        assert got == expected, f"returned {got!r}, expected {expected!r}"

    @rule(i=_INDEX, j=st.none() | _INDEX)
    def remove_by_index(self, i: int, j: int | None) -> None:
        if j is None:
            self._check_call(self.ref.remove_items(i), lambda: self.q.remove_item(i))
        else:
            self._check_call(self.ref.remove_items(i, j), lambda: self.q.remove_items(i, j))
        self.settle()

    @rule(src=_INDEX, dst=_INDEX)
    def move_item(self, src: int, dst: int) -> None:
        self._check_call(self.ref.move_item(src, dst), lambda: self.q.move_item(src, dst))
        self.settle()

    def _some_jobs(self, data) -> list[ControlledJob]:
        return data.draw(st.lists(st.sampled_from(self.jobs), max_size=4)) if self.jobs else []

    @rule(data=st.data())
    def remove_jobs(self, data) -> None:
        jobs = self._some_jobs(data)
        assert self.q.remove_jobs([j.exp for j in jobs]) == self.ref.remove_jobs(jobs)
        self.settle()

    @precondition(lambda self: self.jobs)
    @rule(data=st.data())
    def cancel(self, data) -> None:
        job = data.draw(st.sampled_from(self.jobs))
        assert job.exp.cancel() is self.ref.cancel(job)
        self.settle()

    @rule(data=st.data(), where=st.sampled_from(["before", "end", "top"]))
    def move_jobs(self, data, where: str) -> None:
        jobs = self._some_jobs(data)
        exps = [j.exp for j in jobs]
        if where == "top":
            assert self.q.move_jobs_to_top(exps) is self.ref.move_to_top(jobs)
        else:
            before = data.draw(st.sampled_from(self.jobs)) if where == "before" and self.jobs else None
            got = self.q.move_jobs(exps, None if before is None else before.exp)
            assert got is self.ref.move_jobs(jobs, before)
        self.settle()

    # ----------------------------------------------------------------- racing the worker
    @rule(op=st.sampled_from(_RACES), kind=st.sampled_from(ControlledJob.KINDS))
    def release_racing(self, op: str, kind: str) -> None:
        """Release the running job and act at once, while the worker finishes it and starts the next.

        Either order is allowed; the call's return value and the job running afterwards say which.
        """
        ref = self.ref
        released = ref.running
        if released is None:
            return
        first = ref.queued[0] if ref.queued else None
        last = ref.queued[-1] if ref.queued else None
        new = self._new_job(kind) if op == "put" else None
        fq = ref.first_queued
        calls = {
            "put": (lambda: self.q.put(new.exp), lambda r: r.put(new)),
            "remove_next": (lambda: self.q.remove_jobs([first.exp] if first else []),
                            lambda r: r.remove_jobs([first] if first else [])),
            "cancel_next": (lambda: first.exp.cancel() if first else None,
                            lambda r: r.cancel(first) if first else None),
            "pause": (self.manager.pause_worker, lambda r: r.pause()),
            "resume": (self.manager.resume_worker, lambda r: r.resume()),
            "clear": (self.manager.clear_all_jobs, lambda r: r.clear()),
            "next_to_top": (lambda: self.q.move_jobs_to_top([last.exp] if last else []),
                            lambda r: r.move_to_top([last] if last else [])),
            "abort": (self.manager.abort_job, lambda r: r.abort()),
            # By index: the worker finishing a job (and history_limit trimming) may shift what it names.
            "remove_at_first_index": (lambda: _raised(lambda: self.q.remove_item(fq)), lambda r: r.remove_items(fq)),
            "move_last_by_index": (lambda: _raised(lambda: self.q.move_item(-1, fq)), lambda r: r.move_item(-1, fq)),
        }
        call, model = calls[op]
        candidates = []  # (reference, what the call returns) for each order the race may take
        for stopped_by_abort in (False, True):  # an abort just after a check_abort job looked, or before
            op_first = ref.copy()
            expected = model(op_first)
            op_first.finish_running(stopped_by_abort)
            op_first.worker_step()
            candidates.append((op_first, expected))
        worker_first = ref.copy()
        worker_first.finish_running()
        worker_first.worker_step()
        candidates.append((worker_first, model(worker_first)))

        released.release()
        got = call()
        assert self.wait_for(lambda: released.exp.done()), f"{released} did not end after its release"
        with self.q:  # the worker finishes a job and starts the next in one hold of this lock
            exp = self.q.running_job()
            running, abort_set = self._job_of(exp), self.manager.abort.is_set()
        fits = [r for r, expected in candidates
                if expected == got and r.running is running and r.status[released] is released.exp.status
                and r.values.get(released) == released.exp.return_value and r.abort_requested is abort_set]
        assert fits, (f"{op} racing the release of {released}: returned {got!r} with {running} running, "
                      f"{released} {released.exp.status.name} with {released.exp.return_value!r}, abort set: "
                      f"{abort_set}; none of (reference, return value) fits: {candidates}")
        self.ref = fits[0]
        self.settle()

    # ----------------------------------------------------------------- invariants (after every step)
    @invariant()
    def queue_matches_reference(self) -> None:
        if self.ref is None:
            return
        ref, q = self.ref, self.q
        with q:
            order, sizes = q.queue, (q.qsize(), q.qsize("queued"), q.qsize("running"), q.qsize("history"))
            running, first_queued, paused = q.running_job(), q.first_queued_index, q.paused
        expected = ref.order()
        assert order == [j.exp for j in expected], f"queue {order} != reference {expected}"
        assert sizes == (len(expected), len(ref.queued), int(ref.running is not None), len(ref.history))
        assert first_queued == ref.first_queued
        assert running is (ref.running.exp if ref.running else None)
        assert paused is ref.paused, f"job_queue.paused is {paused}, expected {ref.paused}"
        assert self.manager.running.is_set() is not ref.paused, (
            f"manager.running.is_set() is {self.manager.running.is_set()} but the queue should be "
            f"{'paused' if ref.paused else 'running'}")

    @invariant()
    def statuses_match_reference(self) -> None:
        if self.ref is None:
            return
        statuses = {job: job.exp.status for job in self.jobs}
        wrong = {job: (got, self.ref.status[job]) for job, got in statuses.items() if got is not self.ref.status[job]}
        assert not wrong, f"status (real, expected): {wrong}"
        assert sum(s is ExpStatus.RUNNING for s in statuses.values()) <= 1
        for job in self.ref.removed:  # removed jobs are cancelled and belong to no queue any more
            assert job.exp.status is ExpStatus.CANCELLED

    @invariant()
    def outcomes_match_reference(self) -> None:
        """Done jobs keep their outcome; ``result_queue`` got every non-None result, in order."""
        if self.ref is None:
            return
        while not self.manager.result_queue.empty():
            self.seen_results.append(self.manager.result_queue.get_nowait())
        assert self.seen_results == self.ref.results, (
            f"result_queue got {self.seen_results}, expected {self.ref.results}")
        for job in self.ref.history + self.ref.trimmed + self.ref.removed:
            status = job.exp.status
            if status is ExpStatus.FAILED:
                assert isinstance(job.exp.exception(timeout=0), JobError)
            elif status is ExpStatus.FINISHED:
                assert job.exp.result(timeout=0) == job.n
            else:
                try:
                    job.exp.result(timeout=0)
                except CancelledError:
                    pass
                else:
                    raise AssertionError(f"{job} is {status.name} but result() did not raise CancelledError")
