"""Index arithmetic for edits by identity (``ExperimentQueue.remove_jobs`` / ``move_jobs``).

Pure functions on lists: where moved jobs land, and which index runs one removal can take.
"""

from __future__ import annotations

from labqueue.experiment import Experiment, ExpStatus

__all__ = ["anchor_for", "contiguous_runs"]


def anchor_for(before: Experiment | None, tail: list[Experiment], moving: set[Experiment]) -> Experiment | None:
    """The queued job that moved jobs should end up just before (None: the end of ``tail``)."""
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
