"""What ``labqueue run`` prints: a live bar on a terminal, one plain line per job when piped, a summary.

Both displays take the same calls from :class:`~labqueue.script_run.job_tally.JobTally` (on its
thread): ``job_queued``, ``job_started``, ``job_progress``, ``job_done``, ``paused``; and from the
runner: ``note`` and ``show_summary``. The live one is built on ``rich``: its progress bars stay
at the bottom of the terminal while finished-job lines, the jobs' own prints and warnings scroll
above them.
"""

from __future__ import annotations

import io
import sys
import threading
from dataclasses import dataclass
from typing import IO

from labqueue.experiment import ExpStatus
from labqueue.script_run.job_tally import JobLine

__all__ = ["PlainDisplay", "LiveDisplay", "RunSummary", "make_display", "format_duration", "job_line_text"]

_STATUS_WORD = {
    ExpStatus.FINISHED: "finished",
    ExpStatus.FAILED: "FAILED",
    ExpStatus.ABORTED: "ABORTED",
    ExpStatus.CANCELLED: "cancelled",
    ExpStatus.RUNNING: "running",
    ExpStatus.QUEUED: "queued",
}
_STATUS_STYLE = {ExpStatus.FINISHED: "green", ExpStatus.FAILED: "bold red", ExpStatus.ABORTED: "bold yellow",
                 ExpStatus.CANCELLED: "dim"}


def format_duration(seconds: float | None) -> str:
    """``0.25 s``, ``42.0 s``, ``3 min 05 s``, ``2 h 03 min``; ``-`` when unknown."""
    if seconds is None:
        return "-"
    if seconds < 60:
        return f"{seconds:.2f} s" if seconds < 10 else f"{seconds:.1f} s"
    minutes, secs = divmod(int(round(seconds)), 60)
    if minutes < 60:
        return f"{minutes} min {secs:02d} s"
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min"


def job_line_text(line: JobLine) -> str:
    """``#3  finished   1.20 s  measure(0.5)``; a failure ends with `` — ValueError: ...``."""
    text = f"#{line.number:<3} {_STATUS_WORD[line.status]:<9} {format_duration(line.duration):>10}  {line.call}"
    return f"{text} — {line.error}" if line.error else text


@dataclass
class RunSummary:
    """The end of a run: the script, its lines, how long it took, and why it stopped early (if it did)."""

    script: str
    lines: list[JobLine]
    counts: dict[ExpStatus, int]
    elapsed: float
    stopped: str = ""  # e.g. "interrupted (Ctrl+C)"; empty when the run ended normally

    def text_lines(self) -> list[str]:
        total = len(self.lines)
        done = ", ".join(f"{self.counts[s]} {_STATUS_WORD[s].lower()}"
                         for s in (ExpStatus.FINISHED, ExpStatus.FAILED, ExpStatus.ABORTED, ExpStatus.CANCELLED))
        out = [f"labqueue run {self.script}: {total} job{'s' if total != 1 else ''} in "
               f"{format_duration(self.elapsed)} — {done}"]
        if self.stopped:
            out.append(f"Stopped: {self.stopped}")
        for status, title in ((ExpStatus.FAILED, "Failed"), (ExpStatus.ABORTED, "Aborted")):
            failed = [line for line in self.lines if line.status is status]
            if failed:
                out.append(f"{title}:")
                for line in failed:
                    out.append(f"  #{line.number} {line.call}" + (f" — {line.error}" if line.error else ""))
                    out.extend("      " + tb for tb in line.traceback.rstrip().splitlines())
        return out


class _WholeLines(io.TextIOBase):
    """Stands in for ``sys.stdout`` while a plain display runs: every thread's output reaches the
    real stream in whole lines, so a job's ``print`` never splits a progress line (or vice versa)."""

    def __init__(self, stream: IO[str]):
        super().__init__()
        self.stream = stream
        self.lock = threading.Lock()
        self._partial: dict[int, str] = {}  # thread id -> text after its last newline

    def writable(self) -> bool:
        return True

    def isatty(self) -> bool:
        return False

    def write(self, text: str) -> int:
        me = threading.get_ident()
        with self.lock:
            head, newline, tail = (self._partial.pop(me, "") + text).rpartition("\n")
            if tail:
                self._partial[me] = tail
            if newline:
                self.stream.write(head + newline)
                self.stream.flush()
        return len(text)

    def flush(self) -> None:
        """Writes the calling thread's unfinished line."""
        with self.lock:
            pending = self._partial.pop(threading.get_ident(), "")
            if pending:
                self.stream.write(pending)
            self.stream.flush()

    def flush_all(self) -> None:
        """Writes every thread's unfinished line (at the end of the run)."""
        with self.lock:
            for pending in self._partial.values():
                self.stream.write(pending + "\n")
            self._partial.clear()
            self.stream.flush()


class PlainDisplay:
    """One line per job as it ends, for a pipe or a file (no control characters)."""

    def __init__(self, stream: IO[str] | None = None):
        self._stream = stream if stream is not None else sys.stdout
        self._lock = threading.Lock()
        self._stdout: _WholeLines | None = None

    @property
    def stream(self) -> IO[str]:
        return self._stream

    def _print(self, text: str) -> None:
        lock = self._stdout.lock if self._stdout is not None else self._lock
        with lock:
            self._stream.write(text + "\n")
            self._stream.flush()

    def start(self) -> None:
        if sys.stdout is self._stream:
            self._stdout = sys.stdout = _WholeLines(self._stream)

    def stop(self) -> None:
        if self._stdout is not None:
            self._stdout.flush_all()
            if sys.stdout is self._stdout:
                sys.stdout = self._stream
            self._stdout = None

    def job_queued(self, line: JobLine) -> None:
        pass

    def job_started(self, line: JobLine) -> None:
        pass

    def job_progress(self, line: JobLine) -> None:
        pass

    def job_done(self, line: JobLine) -> None:
        if line.status is not ExpStatus.CANCELLED:  # never ran: counted in the summary only
            self._print(job_line_text(line))

    def paused(self, reason: str) -> None:
        self._print(f"Queue paused{': ' + reason if reason else ''}")

    def note(self, text: str) -> None:
        self._print(text)

    def show_summary(self, summary: RunSummary) -> None:
        self._print("")
        for text in summary.text_lines():
            self._print(text)


class LiveDisplay(PlainDisplay):
    """On a terminal: a bar for the running job (its progress and message) and one for the run."""

    def __init__(self, stream: IO[str] | None = None):
        super().__init__(stream)
        from rich.console import Console
        from rich.progress import BarColumn, Progress, TaskProgressColumn, TextColumn, TimeElapsedColumn

        self._console = Console(file=self.stream, highlight=False)
        self._progress = Progress(
            TextColumn("{task.description}", markup=False), BarColumn(), TaskProgressColumn(), TimeElapsedColumn(),
            console=self._console, transient=True, redirect_stdout=True, redirect_stderr=True)
        self._run_task = self._progress.add_task("0 of 0 jobs done", total=0)
        self._job_task = None
        self._total = 0
        self._done = 0

    def start(self) -> None:
        self._progress.start()

    def stop(self) -> None:
        self._progress.stop()

    def _print(self, text: str, style: str | None = None) -> None:
        from rich.text import Text

        # Styled as a Text: print(style=...) would also colour the live bars redrawn below it.
        self._console.print(Text(text, style=style or ""), soft_wrap=True)

    def _update_run(self) -> None:
        self._progress.update(self._run_task, total=self._total, completed=self._done,
                              description=f"{self._done} of {self._total} jobs done")

    def job_queued(self, line: JobLine) -> None:
        self._total += 1
        self._update_run()

    def job_started(self, line: JobLine) -> None:
        if self._job_task is not None:
            self._progress.remove_task(self._job_task)
        self._job_task = self._progress.add_task(f"#{line.number} {line.call}", total=None)

    def job_progress(self, line: JobLine) -> None:
        if self._job_task is None:
            return
        message = f" · {line.message}" if line.message else ""
        self._progress.update(self._job_task, total=1.0, completed=line.fraction or 0.0,
                              description=f"#{line.number} {line.call}{message}")

    def job_done(self, line: JobLine) -> None:
        if self._job_task is not None:
            self._progress.remove_task(self._job_task)
            self._job_task = None
        self._done += 1
        self._update_run()
        if line.status is not ExpStatus.CANCELLED:
            self._print(job_line_text(line), _STATUS_STYLE.get(line.status))

    def show_summary(self, summary: RunSummary) -> None:
        self._print("")
        for i, text in enumerate(summary.text_lines()):
            self._print(text, "bold" if i == 0 else None)


def make_display(stream: IO[str] | None = None) -> PlainDisplay:
    """A :class:`LiveDisplay` when ``stream`` (default stdout) is a terminal, else a :class:`PlainDisplay`."""
    stream = stream if stream is not None else sys.stdout
    isatty = getattr(stream, "isatty", None)
    return LiveDisplay(stream) if isatty is not None and isatty() else PlainDisplay(stream)
