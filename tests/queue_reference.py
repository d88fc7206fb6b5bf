"""A plain model of what a Manager's queue must look like, and jobs whose progress a test controls.

Used by the state-machine tests (tests/queue_machine_support.py): every operation is applied both
to the real Manager and to a :class:`Reference`, a few Python lists, and the two are compared.
"""

from __future__ import annotations

import copy
import threading
from dataclasses import dataclass, field

from labqueue.manager import Experiment, ExpStatus

#: How long a controlled job waits for the test before it gives up (a broken run must not hang).
JOB_GIVE_UP_S = 30


class JobError(Exception):
    """What a job of kind ``"raise"`` raises."""


class ControlledJob:
    """A job that blocks until the test pokes it: released, it returns (or raises); poked after an
    abort request, a ``"check_abort"`` job sees ``manager.abort`` and returns its partial data.

    Kinds: ``"return"`` (returns ``n``), ``"raise"`` (raises :class:`JobError`), ``"check_abort"``
    (returns ``n``, or ``("partial", n)`` when it finds ``manager.abort`` set).
    """

    KINDS = ("return", "raise", "check_abort")

    def __init__(self, manager, kind: str, n: int):
        self.manager = manager
        self.kind = kind
        self.n = n
        self.entered = threading.Event()
        self._poke = threading.Event()
        self._looked = threading.Event()
        self.released = False
        self.exp = Experiment(self.run, (n,))

    def run(self, n: int):
        self.entered.set()
        self.manager.report_progress(0.0, "entered")  # a record of the change stream: wakes the test
        while self._poke.wait(JOB_GIVE_UP_S):
            self._poke.clear()
            try:
                if self.kind == "check_abort" and self.manager.abort.is_set():
                    return ("partial", n)
                if self.released:
                    if self.kind == "raise":
                        raise JobError(n)
                    return n
            finally:
                self._looked.set()
        return "gave up waiting for the test"

    def release(self) -> None:
        """Let the job end (return or raise)."""
        self.released = True
        self._poke.set()

    def poke(self) -> None:
        """Let the job look around once (a check_abort job then checks ``manager.abort``) and wait
        until it has, so that it never looks later, when the test has changed the world."""
        self._looked.clear()
        self._poke.set()
        assert self._looked.wait(JOB_GIVE_UP_S), f"{self} did not look when poked"

    def __repr__(self) -> str:
        return f"job{self.n}<{self.kind}>"


@dataclass
class Reference:
    """The queue as it must be: ``history`` (done, in completion order), ``running``, ``queued``.

    Methods mirror the queue's operations and return what the real call must return, or the
    exception type it must raise.
    """

    pause_on_failure: bool
    #: The Manager's ``history_limit``: done jobs beyond it leave the queue, oldest first (``trimmed``).
    history_limit: int | None = None
    history: list[ControlledJob] = field(default_factory=list)
    trimmed: list[ControlledJob] = field(default_factory=list)
    running: ControlledJob | None = None
    queued: list[ControlledJob] = field(default_factory=list)
    status: dict[ControlledJob, ExpStatus] = field(default_factory=dict)
    #: Jobs removed while queued (each must be CANCELLED and in no queue).
    removed: list[ControlledJob] = field(default_factory=list)
    paused: bool = False
    abort_requested: bool = False
    #: What ``manager.result_queue`` must have received, in order.
    results: list = field(default_factory=list)
    #: What each done job returned (``exp.return_value``).
    values: dict = field(default_factory=dict)

    def copy(self) -> Reference:
        """A copy sharing the jobs (the jobs are real objects; only the lists are the model's)."""
        new = copy.copy(self)
        new.history, new.queued, new.removed = list(self.history), list(self.queued), list(self.removed)
        new.trimmed = list(self.trimmed)
        new.status, new.results, new.values = dict(self.status), list(self.results), dict(self.values)
        return new

    # ----------------------------------------------------------------- reading
    def order(self) -> list[ControlledJob]:
        """Every job in ``job_queue.queue`` order."""
        return self.history + ([self.running] if self.running else []) + self.queued

    @property
    def first_queued(self) -> int:
        return len(self.history) + (1 if self.running else 0)

    def state(self) -> tuple:
        """What two references must agree on to be the same state."""
        return (tuple(self.order()), self.running, self.paused, tuple(self.removed), tuple(self.results))

    # ----------------------------------------------------------------- the worker
    def worker_step(self) -> None:
        """What the worker does when it looks at the queue: start the first queued job if it may."""
        if self.running is None and not self.paused and self.queued:
            self.running = self.queued.pop(0)
            self.status[self.running] = ExpStatus.RUNNING
            self.abort_requested = False  # cleared before each job starts

    def finish_running(self, stopped_by_abort: bool = False) -> None:
        """The running job returns (``stopped_by_abort``: a check_abort job saw the abort) or raises.

        Released, a check_abort job looks at ``manager.abort`` first, so it also stops with its partial
        data when an abort was requested before.
        """
        job = self.running
        assert job is not None
        stopped_by_abort = stopped_by_abort or (job.kind == "check_abort" and self.abort_requested)
        if job.kind == "raise" and not stopped_by_abort:
            status, value = ExpStatus.FAILED, None
            if self.pause_on_failure:
                self.paused = True
        else:
            value = ("partial", job.n) if stopped_by_abort else job.n
            status = ExpStatus.ABORTED if self.abort_requested else ExpStatus.FINISHED
            self.results.append(value)  # partial data is data
            self.values[job] = value
        self.status[job] = status
        self.history.append(job)
        if self.history_limit is not None and len(self.history) > self.history_limit:
            cut = len(self.history) - self.history_limit
            self.trimmed += self.history[:cut]
            del self.history[:cut]
        self.running = None
        self.abort_requested = False

    # ----------------------------------------------------------------- operations
    def put(self, job: ControlledJob) -> None:
        self.status[job] = ExpStatus.QUEUED
        self.queued.append(job)

    def pause(self) -> None:
        self.paused = True

    def resume(self) -> None:
        self.paused = False

    def abort(self) -> bool:
        if self.running is None:
            return False
        self.abort_requested = True
        return True

    def _cancel(self, jobs: list[ControlledJob]) -> None:
        for job in jobs:
            self.queued.remove(job)
            self.status[job] = ExpStatus.CANCELLED
            self.removed.append(job)

    def _normalise(self, i: int) -> int | None:
        n = len(self.order())
        j = i + n if i < 0 else i
        return j if 0 <= j < n else None

    def remove_items(self, i_start: int, i_end: int | None = None):
        first = self._normalise(i_start)
        if first is None:
            return IndexError
        last = first if i_end is None else self._normalise(i_end)
        if last is None:
            return IndexError
        if last < first or first < self.first_queued:
            return ValueError
        fq = self.first_queued
        self._cancel(self.queued[first - fq:last - fq + 1])
        return None

    def remove_jobs(self, jobs: list[ControlledJob]) -> int:
        gone = [j for j in self.queued if j in set(jobs)]
        self._cancel(gone)
        return len(gone)

    def cancel(self, job: ControlledJob) -> bool:
        if job in self.queued:
            self._cancel([job])
        return self.status[job] is ExpStatus.CANCELLED

    def clear(self) -> int:
        n = len(self.queued)
        self._cancel(list(self.queued))
        return n

    def move_item(self, src: int, dst: int):
        s, d = self._normalise(src), self._normalise(dst)
        if s is None or d is None:
            return IndexError
        fq = self.first_queued
        if s < fq or d < fq:
            return ValueError
        self.queued.insert(d - fq, self.queued.pop(s - fq))
        return None

    def move_jobs(self, jobs: list[ControlledJob], before: ControlledJob | None) -> bool:
        """Queued ones of ``jobs`` (first occurrence order) go just before ``before`` (None: the end).

        ``before`` among the moved jobs keeps the place (before the next job not moved); a running
        or done ``before`` means the top of the queued jobs; a cancelled one, the end.
        """
        moving = [j for j in dict.fromkeys(jobs) if j in self.queued]
        if not moving:
            return False
        rest = [j for j in self.queued if j not in moving]
        if before is None or self.status[before] is ExpStatus.CANCELLED:
            anchor = None
        elif before in moving:
            after = self.queued[self.queued.index(before) + 1:]
            anchor = next((j for j in after if j not in moving), None)
        elif before in self.queued:
            anchor = before
        else:  # running or done
            anchor = rest[0] if rest else None
        at = rest.index(anchor) if anchor is not None else len(rest)
        self.queued = rest[:at] + moving + rest[at:]
        return True

    def move_to_top(self, jobs: list[ControlledJob]) -> bool:
        return self.move_jobs(jobs, self.queued[0] if self.queued else None)
