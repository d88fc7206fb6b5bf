"""Figure 8: cold start — from starting the process to the window and console being ready.

Each start is a new interpreter running ``startup_child.py``; the time runs from launching it to
reading its READY line. The baseline is a bare QApplication with an empty QMainWindow, started
the same way, in the same run.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from figure import Check, Figure
from timing import clock, repeats

CHILD = Path(__file__).with_name("startup_child.py")


def time_start(kind: str, timeout_s: float = 60.0) -> float:
    """Seconds from launching ``startup_child.py kind`` to its READY line; the child then exits."""
    start = clock()
    proc = subprocess.Popen([sys.executable, str(CHILD), kind], stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL, text=True, env=os.environ.copy())
    try:
        for line in proc.stdout:
            if line.strip() == "READY":
                elapsed = clock() - start
                break
        else:
            raise RuntimeError(f"{kind} start-up ended (exit {proc.wait()}) without becoming ready")
        proc.stdout.read()
        if proc.wait(timeout=timeout_s) != 0:
            raise RuntimeError(f"{kind} start-up exited with code {proc.returncode}")
        return elapsed
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def figures() -> list[Figure]:
    runs = repeats(3)
    times: dict[str, list[float]] = {"labqueue": [], "bare": []}
    for _ in range(runs):
        for kind in times:
            times[kind].append(time_start(kind))
    ours, bare = min(times["labqueue"]), min(times["bare"])
    return [Figure(
        "8", "Cold start: process start to window + console ready", "s", ours, bare,
        "QApplication + empty QMainWindow", "labqueue ÷ bare", [Check("value", "<", 2.0)],
        details={"repeats (best of)": runs, "all labqueue starts (s)": [round(t, 3) for t in times["labqueue"]]},
    ).evaluate()]
