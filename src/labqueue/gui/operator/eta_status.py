"""The status bar's time estimate: "≈ 1 h 20 min left · ends 02:40", and a timed start's countdown.

Redrawn once a second from ``manager.queue_eta()`` and ``manager.resume_at`` (both cheap), so it
follows the queue whoever changes it, without listening to every job.
"""

from __future__ import annotations

import datetime as dt
import time

from qtpy.QtCore import QSize, QTimer
from qtpy.QtWidgets import QLabel, QWidget

from labqueue.gui.queue_mirror import QueueMirror
from labqueue.manager import Manager

__all__ = ["EtaStatusLabel", "span_text", "clock_at_text", "eta_text"]

#: Above this many queued jobs the full estimate (a pass over every job) runs only every
#: BIG_QUEUE_EVERY_S seconds; in between the label counts down (~25 ms per 100,000 jobs saved a second).
BIG_QUEUE = 2000

_TOOLTIP = ("Estimated from earlier runs of the same functions and from the running job's progress.\n"
            "\"New jobs\" have never run before: their time is not counted.")
BIG_QUEUE_EVERY_S = 10.0


def span_text(seconds: float) -> str:
    """``45 s``, ``12 min``, ``1 h 20 min`` (rounded to what a person plans with)."""
    seconds = max(0, int(round(seconds)))
    if seconds < 60:
        return f"{seconds} s"
    minutes = (seconds + 30) // 60
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if minutes else f"{hours} h"


def clock_at_text(when: dt.datetime, now: dt.datetime) -> str:
    """``02:40`` today, ``tomorrow 02:40``, else ``Sat 28 Nov 02:40``."""
    days = (when.date() - now.date()).days
    if days == 0:
        return f"{when:%H:%M}"
    if days == 1:
        return f"tomorrow {when:%H:%M}"
    return f"{when:%a %d %b %H:%M}"


def eta_text(seconds_left: float | None, busy: bool, paused: bool, resume_at: dt.datetime | None,
             now: float | None = None, unknown: int = 0) -> str:
    """The label's text (empty when there is nothing to say).

    ``busy``: a job runs or is queued. ``seconds_left``: ``manager.queue_eta()``; ``unknown``: jobs
    of unknown duration among them. With a timed start the countdown comes first and the end time
    counts from it.
    """
    now = time.time() if now is None else now
    now_dt = dt.datetime.fromtimestamp(now)
    parts = []
    wait = 0.0
    if resume_at is not None:
        wait = max(resume_at.timestamp() - now, 0.0)
        local_at = resume_at.astimezone().replace(tzinfo=None) if resume_at.tzinfo else resume_at
        parts.append(f"Starts in {_countdown(wait)} (at {clock_at_text(local_at, now_dt)})")
    if busy:
        if seconds_left is None:
            parts.append("time left unknown (no job has run before)")
        else:
            left = f"≈ {span_text(seconds_left)} left"
            if unknown:
                left += f" + {unknown} new job{'s' if unknown > 1 else ''}"
            if paused and resume_at is None:
                parts.append(left + " (paused)")
            else:
                ends = now_dt + dt.timedelta(seconds=wait + seconds_left)
                parts.append(f"{left} · ends {clock_at_text(ends, now_dt)}")
    return " · ".join(parts)


def _countdown(seconds: float) -> str:
    total = int(seconds)
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class EtaStatusLabel(QLabel):
    """Time left for the queue and the timed start's countdown, refreshed every second."""

    def __init__(self, manager: Manager, mirror: QueueMirror, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("eta_label")
        self.manager = manager
        self.mirror = mirror
        self.setToolTip(_TOOLTIP)
        self._timer = QTimer(self)
        self._timer.setInterval(1000)
        self._timer.timeout.connect(self.refresh)
        self._timer.start()
        self._last: tuple[float, float | None, int] | None = None  # (when, seconds, unknown) of a full estimate
        self.refresh()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 - Qt's name
        """Narrow on demand: a long text is cut (the tooltip has it whole), the window never widens for it."""
        return QSize(min(super().minimumSizeHint().width(), 120), super().minimumSizeHint().height())

    def _estimate(self) -> tuple[float | None, int]:
        """The estimate; with a long queue, recomputed only every BIG_QUEUE_EVERY_S and counted down between."""
        now = time.time()
        last = self._last
        if last is not None and self.mirror.queued > BIG_QUEUE and now - last[0] < BIG_QUEUE_EVERY_S:
            seconds = None if last[1] is None else max(last[1] - (now - last[0]), 0.0)
            return seconds, last[2]
        estimate = self.manager.eta.estimate()
        self._last = (now, estimate.seconds, estimate.unknown)
        return estimate.seconds, estimate.unknown

    def refresh(self) -> None:
        m, mirror = self.manager, self.mirror
        busy = bool(mirror.queued or mirror.running_job is not None)
        seconds, unknown = self._estimate() if busy else (0.0, 0)
        text = eta_text(seconds, busy, mirror.paused, m.resume_at, unknown=unknown)
        if text != self.text():
            self.setText(text)
            self.setToolTip(f"{text}\n\n{_TOOLTIP}" if text else _TOOLTIP)
        self.setVisible(bool(text))
