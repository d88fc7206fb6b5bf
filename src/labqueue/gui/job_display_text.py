"""Short texts the job table shows: clock times, time stamps, progress with the time left.

Pure functions (no Qt). Durations come from :mod:`labqueue.display_format` like everywhere else;
result texts from :mod:`labqueue.gui.result_texts` (made off the GUI thread).
"""

from __future__ import annotations

import time

from labqueue.display_format import duration_text

__all__ = ["clock_text", "estimated_remaining", "progress_text", "timestamp_text"]


def clock_text(timestamp: float | None, now: float | None = None) -> str:
    """``14:03:27`` for today, ``01 May 14:03`` for another day (the tooltip has the year); empty for None."""
    if timestamp is None:
        return ""
    local = time.localtime(timestamp)
    today = time.localtime(time.time() if now is None else now)
    if local[:3] == today[:3]:
        return time.strftime("%H:%M:%S", local)
    return time.strftime("%d %b %H:%M", local)


def timestamp_text(timestamp: float | None) -> str:
    """Full local date and time, for tooltips; empty for None."""
    if timestamp is None:
        return ""
    return time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(timestamp))


def estimated_remaining(fraction: float | None, elapsed: float | None) -> float | None:
    """Seconds left for a running job that has run ``elapsed`` s and is ``fraction`` done; None if unknown."""
    if not fraction or elapsed is None:
        return None
    return max(0.0, elapsed * (1.0 - fraction) / fraction)


def progress_text(fraction: float | None, elapsed: float | None) -> str:
    """``42 % · 1 min 20 s left`` for a running job that reported progress, else empty."""
    if fraction is None:
        return ""
    text = f"{fraction * 100:.0f} %"
    left = estimated_remaining(fraction, elapsed)
    if left is not None and fraction < 1.0:
        text += f" · {duration_text(left)} left"
    return text
