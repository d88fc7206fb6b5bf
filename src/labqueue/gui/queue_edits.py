"""Removing and reordering queued jobs by identity, safely while other threads change the queue.

A table's rows may lag behind the queue (their signals are still on the way), so its row numbers
are not queue indices. These functions take the Experiments themselves, find their current
indices while holding the queue's (re-entrant) lock, and call the queue before anyone can shift
them. The queue's signals then update every view.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from labqueue.experiment import Experiment, ExpStatus
from labqueue.experiment_queue import ExperimentQueue

__all__ = ["contiguous_runs", "move_jobs", "move_jobs_to_top", "remove_jobs"]


def remove_jobs(job_queue: ExperimentQueue, experiments: Iterable[Experiment]) -> int:
    """Remove those of ``experiments`` still queued in ``job_queue``; returns how many were removed.

    Each contiguous run of them is one removal (one range signal). Running and finished jobs are
    skipped. The cancelled jobs' done callbacks run after the queue lock is released.
    """
    wanted = set(experiments)
    if not wanted:
        return 0
    removed: list[Experiment] = []
    with job_queue.changed:
        first = job_queue.first_queued_index
        indices = [first + i for i, exp in enumerate(job_queue.queue[first:]) if exp in wanted]
        for start, end in reversed(contiguous_runs(indices)):  # from the back: earlier indices stay valid
            removed += job_queue._take_items(start, end)
    ExperimentQueue._cancel_all(removed)
    return len(indices)


def move_jobs(job_queue: ExperimentQueue, experiments: Sequence[Experiment], before: Experiment | None) -> bool:
    """Move the queued ones of ``experiments`` (kept in that order) to just before ``before``.

    ``before=None`` moves them to the end. If ``before`` is running or finished, they go to the
    top of the queued jobs. Returns whether any of them was queued (and so could be moved).
    """
    with job_queue.changed:
        first = job_queue.first_queued_index
        tail = job_queue.queue[first:]
        in_tail = set(tail)
        moving = [exp for exp in dict.fromkeys(experiments) if exp in in_tail]
        if not moving:
            return False
        anchor = _anchor_for(before, tail, set(moving))
        for exp in moving:  # each lands just before the anchor, i.e. right after the previous one
            src = tail.index(exp)
            target = tail.index(anchor) if anchor is not None else len(tail)
            dst = target - 1 if src < target else target
            if src != dst:
                job_queue.move_item(first + src, first + dst)
                tail.insert(dst, tail.pop(src))
    return True


def move_jobs_to_top(job_queue: ExperimentQueue, experiments: Sequence[Experiment]) -> bool:
    """Move the queued ones of ``experiments`` to the front of the queued jobs (they run next)."""
    with job_queue.changed:
        first = job_queue.first_queued_index
        queue = job_queue.queue
        return move_jobs(job_queue, experiments, queue[first] if first < len(queue) else None)


def _anchor_for(before: Experiment | None, tail: list[Experiment], moving: set[Experiment]) -> Experiment | None:
    """The queued job that the moved jobs should end up just before (None: the end)."""
    if before is None:
        return None
    if before in moving:  # dropped onto its own rows: keep the place, i.e. before the next other job
        for exp in tail[tail.index(before) + 1:]:
            if exp not in moving:
                return exp
        return None
    if before.status is ExpStatus.QUEUED and before in tail:
        return before
    if before.status is ExpStatus.CANCELLED:  # removed meanwhile: append
        return None
    # Running or finished: snap to the first queued position.
    return next((exp for exp in tail if exp not in moving), None)


def contiguous_runs(indices: list[int]) -> list[tuple[int, int]]:
    """Sorted ints → inclusive (first, last) runs: [2, 3, 4, 7] → [(2, 4), (7, 7)]."""
    runs: list[tuple[int, int]] = []
    for i in indices:
        if runs and runs[-1][1] == i - 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    return runs
