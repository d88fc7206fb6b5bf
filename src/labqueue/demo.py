"""Sample jobs that look like a small measurement, so a new user sees every job state in a minute.

``labqueue --demo`` calls :func:`queue_demo_jobs`. The "instruments" are simulated: they sleep,
report progress through ``manager.report_progress`` and honour ``manager.abort`` like real
measurement code should. No Qt here: the demo works from a script as well.

Timeline (paused queues wait, of course): a quick resistance reading finishes, the lock-in read
fails at once (so the queue pauses — the demo resumes it and says so in the log), a temperature
ramp and a field sweep run with progress bars, then a 60 s acquisition you can abort, then a few
quick jobs.
"""

from __future__ import annotations

import logging
import math
import random
import threading
from collections.abc import Callable

from labqueue.experiment import Experiment
from labqueue.manager import ExpStatus, Manager

__all__ = ["queue_demo_jobs", "InstrumentTimeoutError", "Cryostat", "Magnet", "LockIn", "Spectrometer",
           "SourceMeter"]

logger = logging.getLogger("labqueue.demo")


class InstrumentTimeoutError(TimeoutError):
    """An instrument did not answer in time (what a VISA timeout looks like to a script)."""


class _SimulatedInstrument:
    """Shared plumbing: progress reports, checkpoints and an abortable wait, as a real driver loop has."""

    def __init__(self, manager: Manager, address: str):
        self.manager = manager
        self.address = address
        self._sleeper = threading.Event()  # never set: wait() is an interruptible sleep

    def __repr__(self) -> str:
        return f"<{type(self).__name__} at {self.address}>"

    def _steps(self, n: int, seconds: float, message: Callable[[int], str] = lambda i: "") -> int:
        """Spend ``seconds`` in ``n`` steps with progress; return how many steps ran before an abort."""
        for i in range(n):
            self.manager.checkpoint()  # Pause > Inside this job waits here; Abort lets it go on
            if self.manager.abort.is_set():
                logger.warning("%r: aborted after %d of %d steps", self, i, n)
                return i
            self._sleeper.wait(seconds / n)
            self.manager.report_progress((i + 1) / n, message(i))
        return n


class SourceMeter(_SimulatedInstrument):
    """A simulated source-measure unit."""

    def measure_resistance(self, channel: int = 1) -> float:
        """Four-point resistance in ohm (takes a third of a second)."""
        self._sleeper.wait(0.3)
        return round(1200.0 + 15.0 * channel + random.gauss(0, 0.5), 2)

    def set_gate_voltage(self, volts: float) -> float:
        """Set the gate voltage; returns the value read back."""
        self._sleeper.wait(0.2)
        return round(volts + random.gauss(0, 1e-4), 5)


class LockIn(_SimulatedInstrument):
    """A simulated lock-in amplifier that, in this demo, never answers."""

    def read_xy(self, time_constant_s: float = 0.1) -> tuple[float, float]:
        """Read X and Y. Here it fails like an unplugged GPIB cable does."""
        self._sleeper.wait(0.5)
        raise InstrumentTimeoutError(f"lock-in amplifier at {self.address} not responding "
                                     f"(no reply within 0.5 s; check cable and power)")


class Cryostat(_SimulatedInstrument):
    """A simulated cryostat temperature controller."""

    def ramp_to(self, target_k: float, seconds: float = 4.0) -> float:
        """Ramp to ``target_k`` kelvin; reports progress; returns the final temperature."""
        start = 295.0
        n = 20
        done = self._steps(n, seconds, lambda i: f"T = {start + (target_k - start) * (i + 1) / n:.1f} K")
        return round(start + (target_k - start) * done / n, 2)


class Magnet(_SimulatedInstrument):
    """A simulated superconducting magnet power supply."""

    def sweep_field(self, start_t: float, stop_t: float, steps: int = 25, seconds: float = 5.0) -> list[float]:
        """Sweep the field; reports progress with the field value; returns the fields set."""
        fields = [start_t + (stop_t - start_t) * i / (steps - 1) for i in range(steps)]
        done = self._steps(steps, seconds, lambda i: f"B = {fields[i]:.3f} T")
        return [round(b, 4) for b in fields[:done]]


class Spectrometer(_SimulatedInstrument):
    """A simulated spectrometer with long acquisitions."""

    def acquire(self, seconds: float = 60.0, points: int = 120) -> list[float]:
        """Acquire a spectrum; abortable; an aborted run returns the points taken so far (partial data)."""
        spectrum: list[float] = []

        def take_point(i: int) -> str:
            x = i / points
            spectrum.append(round(math.exp(-((x - 0.5) / 0.08) ** 2) + random.gauss(0, 0.02), 4))
            return f"{i + 1}/{points} points"

        self._steps(points, seconds, take_point)
        return spectrum


def _resume_after_expected_failure(manager: Manager) -> Callable[[Experiment], None]:
    def resume(exp: Experiment) -> None:
        if exp.status is ExpStatus.FAILED and not manager.is_shut_down:
            logger.warning("Demo: labqueue paused the queue after this failure, as it does by default so "
                           "the next steps of a broken measurement do not run. The demo resumes it for "
                           "you; normally you check the instrument and press Resume.")
            manager.resume_worker()
    return resume


def queue_demo_jobs(manager: Manager, resume_after_failure: bool = True) -> list[Experiment]:
    """Queue the demo measurement on ``manager`` and return its jobs in order.

    ``resume_after_failure``: resume the queue once the deliberately failing job has failed (the
    Manager pauses after a failure by default), so the demo goes on to show progress and Abort.
    """
    smu = SourceMeter(manager, "GPIB0::24::INSTR")
    lockin = LockIn(manager, "GPIB0::8::INSTR")
    cryostat = Cryostat(manager, "ASRL3::INSTR")
    magnet = Magnet(manager, "TCPIP0::192.168.1.40::7180::SOCKET")
    spectrometer = Spectrometer(manager, "USB0::0x1313::0x8088::INSTR")
    q = manager.queued_exec
    logger.info("Demo: queueing a sample measurement (one job fails on purpose; "
                "the long acquisition can be aborted).")
    jobs = [q(smu.measure_resistance)(channel=1)]
    failing = q(lockin.read_xy)(time_constant_s=0.1)
    if resume_after_failure:
        failing.add_done_callback(_resume_after_expected_failure(manager))
    jobs.append(failing)
    jobs += [
        q(cryostat.ramp_to)(10.0, seconds=4.0),
        q(magnet.sweep_field)(0.0, 1.0, steps=25, seconds=5.0),
        q(spectrometer.acquire)(seconds=60.0),
        q(smu.set_gate_voltage)(0.5),
        q(smu.measure_resistance)(channel=2),
        q(magnet.sweep_field)(1.0, 0.0, steps=10, seconds=2.0),
        q(cryostat.ramp_to)(295.0, seconds=3.0),
    ]
    return jobs
