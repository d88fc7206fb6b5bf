"""Helpers for the job-table tests: jobs that block until released, and model-vs-queue checks."""

from __future__ import annotations

import threading

from labqueue.gui.job_status_style import STATUS_LABELS
from labqueue.gui.job_table_model import EXPERIMENT_ROLE, Column, JobTableModel
from labqueue.manager import ExperimentQueue


class Gate:
    """A job that blocks until ``open()``; ``started`` is set once it runs. Always open it at teardown."""

    def __init__(self) -> None:
        self.started = threading.Event()
        self._release = threading.Event()

    def job(self, value=None):
        self.started.set()
        self._release.wait(30)  # bounded, so a broken test cannot hang the suite
        return value

    def open(self) -> None:
        self._release.set()


def noop(i=None):
    return i


def fail(message="instrument not responding"):
    raise TimeoutError(message)


def mismatch(model: JobTableModel, job_queue: ExperimentQueue) -> str | None:
    """None if every model row shows the queue's Experiment and status at that index; else why not."""
    with job_queue.changed:
        queue = job_queue.queue
    if model.rowCount() != len(queue):
        return f"model has {model.rowCount()} rows, queue {len(queue)} jobs"
    for row, exp in enumerate(queue):
        index = model.index(row, Column.STATUS)
        shown = model.data(index, EXPERIMENT_ROLE)
        if shown is not exp:
            return f"row {row}: model shows {shown!r}, queue has {exp!r}"
        text = model.data(index)
        if not text.startswith(STATUS_LABELS[exp.status]):
            return f"row {row}: status text {text!r}, queue job is {exp.status.name}"
    return None


def wait_until_mirrored(qtbot, model: JobTableModel, job_queue: ExperimentQueue, timeout: int = 10000) -> None:
    """Process events until the model mirrors the queue exactly (fails with the last difference)."""
    try:
        qtbot.waitUntil(lambda: mismatch(model, job_queue) is None, timeout=timeout)
    except Exception:
        raise AssertionError(mismatch(model, job_queue)) from None
