"""Saving the queued jobs to a JSON file and queueing them again: ``manager.save_queue`` / ``load_queue``.

The file is readable: each job has its call text, its function's ``module:qualname`` and the repr
of each argument; the arguments themselves are kept as a pickle (base64) so they come back exactly.
"""

from __future__ import annotations

import base64
import json
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING

from labqueue.experiment import Experiment
from labqueue.journal.history_export import write_atomically
from labqueue.journal.job_capture import capture_call, rebuild_call

if TYPE_CHECKING:
    from labqueue.experiment_queue import ExperimentQueue

__all__ = ["FORMAT", "load_queue", "save_queue"]

FORMAT = "labqueue saved queue"
VERSION = 1


def _join_problems(problems: list[str]) -> str:
    head = "; ".join(problems[:5])
    return head + (f"; and {len(problems) - 5} more" if len(problems) > 5 else "")


def save_queue(job_queue: ExperimentQueue, path: str | os.PathLike) -> int:
    """Write the queued jobs of ``job_queue`` to ``path``; returns how many.

    ValueError naming every job that cannot be saved (and nothing is written).
    """
    path = Path(path).expanduser()
    with job_queue.changed:
        jobs = job_queue.queue[job_queue.first_queued_index:]
    entries, problems = [], []
    for exp in jobs:
        capture = capture_call(exp.func, exp.args, exp.kwargs)
        if capture.args_pickle is None:
            problems.append(f"{exp.call_text}: {capture.rebuild_error}")
            continue
        reprs = json.loads(capture.args_repr)
        entries.append({"call": exp.call_text, "func": capture.func, "args": reprs["args"],
                        "kwargs": reprs["kwargs"], "pickle": base64.b64encode(capture.args_pickle).decode("ascii")})
    if problems:
        raise ValueError(f"cannot save the queue: {_join_problems(problems)}")
    document = {"format": FORMAT, "version": VERSION, "saved_at": time.time(), "jobs": entries}
    write_atomically(path, lambda f: json.dump(document, f, indent=1))
    return len(entries)


def load_queue(job_queue: ExperimentQueue, path: str | os.PathLike) -> list[Experiment]:
    """Queue the jobs saved in ``path``; returns the new Experiments.

    ValueError if the file is not a saved queue, or naming every job that cannot be rebuilt (then
    nothing is queued).
    """
    path = Path(path).expanduser()
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"{path} is not a saved labqueue queue: {exc}") from None
    if not isinstance(document, dict) or document.get("format") != FORMAT or not isinstance(document.get("jobs"), list):
        raise ValueError(f"{path} is not a saved labqueue queue")
    if not isinstance(document.get("version"), int) or document["version"] > VERSION:
        raise ValueError(f"{path} was saved by a newer labqueue (version {document.get('version')!r}); update labqueue")
    calls, problems = [], []
    for i, entry in enumerate(document["jobs"]):
        if not isinstance(entry, dict):
            problems.append(f"entry {i}: not a job")
            continue
        call = str(entry.get("call", f"job {i}"))
        try:
            data = base64.b64decode(entry["pickle"], validate=True) if entry.get("pickle") else None
            calls.append(rebuild_call(call, str(entry.get("func", "")), data, None))
        except ValueError as exc:
            problems.append(str(exc))
        except (KeyError, TypeError) as exc:
            problems.append(f"{call}: damaged entry ({exc})")
    if problems:
        raise ValueError(f"cannot load {path}: {_join_problems(problems)}")
    exps = [Experiment(func, args, kwargs) for func, args, kwargs in calls]
    for exp in exps:
        job_queue.put(exp)
    return exps
