"""The demo queues instrument-like jobs; they report progress, honour Abort, and one fails on purpose."""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
from concurrent.futures import CancelledError

import pytest

from labqueue.demo import Cryostat, InstrumentTimeoutError, LockIn, Spectrometer, queue_demo_jobs
from labqueue.manager import ExpStatus


def test_demo_queues_jobs_of_every_kind_on_a_paused_manager(manager):
    manager.pause_worker()
    jobs = queue_demo_jobs(manager)
    assert manager.job_queue.queue == jobs
    assert all(e.status is ExpStatus.QUEUED for e in jobs)
    calls = [e.call_text for e in jobs]
    assert calls[0].startswith("SourceMeter.measure_resistance(")
    assert calls[1].startswith("LockIn.read_xy(")  # fails early, so a failed row shows at once
    assert any(c.startswith("Cryostat.ramp_to(") for c in calls[2:4])
    assert any(c.startswith("Magnet.sweep_field(") for c in calls[2:4])
    long_ones = [e for e in jobs if e.call_text.startswith("Spectrometer.acquire(")]
    assert long_ones and long_ones[0].kwargs["seconds"] >= 30
    assert len(jobs) >= len(calls[:5]) + 2  # a few quick ones after the long acquisition


def test_the_failing_job_fails_and_the_demo_resumes_the_paused_queue(manager, caplog):
    caplog.set_level(logging.WARNING, logger="labqueue")
    manager.pause_worker()
    jobs = queue_demo_jobs(manager)
    manager.job_queue.remove_items(2, len(jobs) - 1)  # keep the reading and the failing job
    resumed = threading.Event()
    jobs[1].add_done_callback(lambda exp: resumed.set())  # runs after the demo's own resume callback
    manager.resume_worker()
    assert isinstance(jobs[0].result(timeout=5), float)
    with pytest.raises(InstrumentTimeoutError, match="not responding"):
        jobs[1].result(timeout=5)
    assert resumed.wait(5)
    assert manager.running.is_set()
    assert any("paused the queue after this failure" in r.getMessage() for r in caplog.records)


def test_the_failure_really_pauses_without_the_demo_resume(manager):
    exp = manager.queued_exec(LockIn(manager, "GPIB0::8::INSTR").read_xy)()
    with pytest.raises(InstrumentTimeoutError):
        exp.result(timeout=5)
    assert not manager.running.is_set()


def test_ramp_reports_progress_with_a_message(qtbot, manager):
    progress = []
    manager.job_queue.progress_signal.connect(lambda i, f, msg: progress.append((f, msg)))
    ramp = manager.queued_exec(Cryostat(manager, "ASRL3::INSTR").ramp_to)(10.0, seconds=0.2)
    assert ramp.result(timeout=5) == 10.0
    assert ramp.progress == 1.0 and ramp.progress_message == "T = 10.0 K"
    qtbot.waitUntil(lambda: bool(progress) and progress[-1] == (1.0, "T = 10.0 K"))
    fractions = [f for f, _ in progress]
    assert fractions == sorted(fractions) and len(fractions) == 20


def test_the_long_acquisition_stops_on_abort_and_keeps_its_partial_spectrum(qtbot, manager):
    spectrometer = Spectrometer(manager, "USB0::INSTR")
    exp = manager.queued_exec(spectrometer.acquire)(seconds=60.0, points=600)
    qtbot.waitUntil(lambda: exp.progress is not None)
    assert manager.abort_job(exp)
    with pytest.raises(CancelledError):
        exp.result(timeout=5)
    assert exp.status is ExpStatus.ABORTED
    assert 0 < len(exp.return_value) < 600


def test_demo_imports_no_qt_widgets():
    # Not QtGui: under PySide6, qtpy.QtCore itself loads PySide6.QtGui (for Qt.mightBeRichText).
    code = ("import sys, labqueue.demo; "
            "print(any(m.endswith('QtWidgets') or m.startswith('labqueue.gui') for m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.stdout.strip() == "False", out.stderr


def test_long_demo_jobs_pause_inside_at_their_checkpoints(manager, qtbot):
    cryostat = Cryostat(manager, "ASRL3::INSTR")
    exp = manager.queued_exec(cryostat.ramp_to)(10.0, seconds=2.0)
    qtbot.waitUntil(lambda: exp.progress is not None, timeout=5000)
    manager.pause_worker(now=True)
    qtbot.waitUntil(lambda: manager.checkpoint_job is exp, timeout=5000)
    progress = exp.progress
    assert exp.status is ExpStatus.RUNNING and progress < 1
    manager.resume_worker()
    assert exp.result(timeout=10) == 10.0
