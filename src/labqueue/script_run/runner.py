"""``labqueue run SCRIPT.py``: run a jobs script without a window and report what became of each job.

The script runs on the main thread in a namespace like the console's (``queued_exec``, ``manager``,
``job_queue``, ``Experiment``, ``ExpStatus``, ``time``); its jobs run on the manager's worker
thread; a :class:`~labqueue.script_run.job_tally.JobTally` follows the queue's change stream and
feeds the display. When the script ends the runner waits for the queue to empty, then prints a
summary.

Headless failure policy: nobody can press Resume, so a failure does not pause the queue; the next
jobs run. With ``stop_on_failure`` the first failure cancels every queued job instead. A queue the
script itself left paused cannot be resumed either: its queued jobs are cancelled and said so.
"""

from __future__ import annotations

import builtins
import contextlib
import logging
import os
import signal
import sys
import threading
import time
import traceback
import types
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from labqueue.console_namespace import console_namespace
from labqueue.experiment import ExpStatus
from labqueue.script_run.job_tally import JobLine, JobTally
from labqueue.script_run.progress_display import PlainDisplay, RunSummary, make_display

__all__ = ["run_script", "EXIT_OK", "EXIT_FAILED", "EXIT_NOT_RUN", "EXIT_INTERRUPTED"]

logger = logging.getLogger("labqueue")

#: Every job finished (jobs the script cancelled itself do not count against it).
EXIT_OK = 0
#: A job failed or was aborted, the script raised, or queued jobs had to be cancelled.
EXIT_FAILED = 1
#: The script could not be started (missing, unreadable, syntax error, bad option): nothing ran.
EXIT_NOT_RUN = 2
#: Ctrl+C (SIGINT) or SIGTERM: the running job was aborted, the queued ones cancelled.
EXIT_INTERRUPTED = 130


class _Interrupted(KeyboardInterrupt):
    """SIGTERM, handled like Ctrl+C."""


class _JobEventsFilter(logging.Filter):
    """Drops labqueue's records about jobs (started, failed, ...): the display already shows them."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name == "labqueue" and hasattr(record, "experiment"))


class _StderrHandler(logging.StreamHandler):
    """Writes to whatever ``sys.stderr`` is now (the live display redirects it above its bars)."""

    def __init__(self) -> None:
        super().__init__()
        self.setLevel(logging.WARNING)
        self.addFilter(_JobEventsFilter())
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, value: IO[str]) -> None:
        pass


@contextlib.contextmanager
def _logging_for_run() -> Iterator[None]:
    """labqueue's job events at INFO (for log files); warnings from anyone to stderr."""
    lq = logging.getLogger("labqueue")
    old_level, handler = lq.level, _StderrHandler()
    if old_level == logging.NOTSET:
        lq.setLevel(logging.INFO)
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)
        lq.setLevel(old_level)


@contextlib.contextmanager
def _script_environment(path: Path) -> Iterator[types.ModuleType]:
    """A fresh ``__main__`` module for the script, with ``sys.argv`` and ``sys.path`` as Python sets them."""
    module = types.ModuleType("__main__")
    module.__dict__.update(__file__=str(path), __builtins__=builtins)
    saved = sys.modules.get("__main__"), sys.argv[:], sys.path[:]
    sys.modules["__main__"] = module
    sys.argv[:] = [str(path)]
    sys.path.insert(0, str(path.parent))
    try:
        yield module
    finally:
        if saved[0] is not None:
            sys.modules["__main__"] = saved[0]
        sys.argv[:] = saved[1]
        sys.path[:] = saved[2]


class _Signals:
    """Ctrl+C (SIGINT) and SIGTERM during a run, handled by phase.

    While the script runs they raise KeyboardInterrupt, as in any Python program, so a script
    blocked in ``exp.result()`` stops. Afterwards they only set :attr:`event`: an exception raised
    at an arbitrary point of the runner could leave the queue's lock held and hang the run. Once
    the run is stopping, a second one ends the process at once (a job that ignores the abort).
    """

    def __init__(self, err: IO[str]):
        self.err = err
        self.event = threading.Event()
        self.what = ""
        self.mode = "raise"  # "raise" | "flag" | "kill"
        self._previous: dict[int, object] = {}

    def _handle(self, signum: int, frame: object) -> None:
        if self.mode == "kill":
            print("labqueue run: the running job ignored the abort; killed.", file=self.err, flush=True)
            sys.stdout.flush()
            os._exit(EXIT_INTERRUPTED)  # a running QThread cannot be joined; a normal exit would hang
        self.what = "SIGTERM" if signum == signal.SIGTERM else "Ctrl+C"
        self.event.set()
        if self.mode == "raise":
            raise _Interrupted() if signum == signal.SIGTERM else KeyboardInterrupt()

    def __enter__(self) -> _Signals:
        if threading.current_thread() is threading.main_thread():
            for signum in (signal.SIGINT, signal.SIGTERM):
                self._previous[signum] = signal.signal(signum, self._handle)
        return self

    def __exit__(self, *exc_info: object) -> None:
        for signum, previous in self._previous.items():
            signal.signal(signum, previous)


def _compile(path: Path, err: IO[str]) -> types.CodeType | None:
    try:
        source = path.read_bytes()
    except FileNotFoundError:
        print(f"labqueue run: no such script: {path}", file=err)
        return None
    except OSError as exc:
        print(f"labqueue run: cannot read {path}: {exc.strerror or exc}", file=err)
        return None
    try:
        return compile(source, str(path), "exec", dont_inherit=True)
    except (SyntaxError, ValueError) as exc:  # ValueError: null bytes
        print(f"labqueue run: {path} is not valid Python; nothing was run.", file=err)
        print("".join(traceback.format_exception_only(type(exc), exc)).rstrip(), file=err)
        return None


class _Run:
    """One run of one script; :meth:`execute` returns the exit status."""

    def __init__(self, path: Path, code: types.CodeType, manager: object, display: PlainDisplay,
                 stop_on_failure: bool, err: IO[str]):
        self.path = path
        self.code = code
        self.manager = manager
        self.display = display
        self.stop_on_failure = stop_on_failure
        self.err = err
        self.stopped = ""        # why the run ended early, for the summary
        self.script_failed = False
        self.cancelled_by_runner = False
        self.interrupted = False
        self.signals = _Signals(err)
        self._stop_lock = threading.Lock()
        self.tally = JobTally(manager.job_queue, display, on_done=self._job_done)

    # ----------------------------------------------------------------- tally callbacks (tally thread)
    def _job_done(self, line: JobLine) -> None:
        if line.status is ExpStatus.FAILED and self.stop_on_failure:
            self._stop_early(f"{line.call} failed (--stop-on-failure): the queued jobs were cancelled")
            self.manager.clear_all_jobs()

    def _stop_early(self, reason: str) -> None:
        """Record why the run stops early and say so, once (the first reason wins)."""
        with self._stop_lock:
            self.cancelled_by_runner = True
            if self.stopped:
                return
            self.stopped = reason
        self.display.note(f"labqueue run: {reason}")

    # ----------------------------------------------------------------- main thread
    def execute(self) -> int:
        started = time.monotonic()
        self.display.start()
        self.tally.start()
        try:
            with self.signals:
                try:
                    self._run_script()
                except KeyboardInterrupt:
                    self._interrupt()
                self.signals.mode = "flag"
                if not self.interrupted:
                    self._wait_for_queue()
                self._shut_down()
        finally:
            self.tally.stop()
            self.display.stop()
        summary = RunSummary(self.path.name, self.tally.lines(), self.tally.counts(), time.monotonic() - started,
                             self.stopped)
        self.display.show_summary(summary)
        counts = summary.counts
        if self.interrupted:
            return EXIT_INTERRUPTED
        bad = counts[ExpStatus.FAILED] + counts[ExpStatus.ABORTED]
        return EXIT_FAILED if bad or self.script_failed or self.cancelled_by_runner else EXIT_OK

    def _run_script(self) -> None:
        with _script_environment(self.path) as module:
            module.__dict__.update(console_namespace(self.manager))
            try:
                exec(self.code, module.__dict__)
            except SystemExit as exc:
                if exc.code not in (None, 0):
                    self._script_error(f"the script exited with status {exc.code}")
            except KeyboardInterrupt:
                raise
            except BaseException as exc:  # noqa: BLE001 - any error of the script is reported, not raised
                text = "".join(traceback.format_exception(type(exc), exc, exc.__traceback__.tb_next))
                self._script_error(f"the script raised {type(exc).__name__}: {exc}", text)

    def _script_error(self, message: str, text: str = "") -> None:
        """Like leaving ``with Manager()`` by an exception: queued jobs are cancelled, the running one ends."""
        self.script_failed = True
        if text:
            print(text.rstrip(), file=self.err, flush=True)
        queued = self.manager.job_queue.qsize("queued")
        self.manager.clear_all_jobs()
        message += f"; {queued} queued job(s) cancelled" if queued else ""
        self.stopped = self.stopped or message
        print(f"labqueue run: {message}", file=self.err, flush=True)

    def _settled(self) -> bool:
        q = self.manager.job_queue
        # Paused with a timed start pending (manager.resume_worker(at=...)) is not settled: it resumes.
        return not q.qsize("running") and (not q.qsize("queued") or (q.paused and self.manager.resume_at is None))

    def _wait_for_queue(self) -> None:
        """Until no job runs and none is queued (or the queue is paused: nobody could resume it)."""
        interrupted = self.signals.event
        while not self.tally.wait_for(lambda: interrupted.is_set() or self._settled(), 0.5):
            pass  # the timeout only lets a signal be noticed while no record arrives
        if interrupted.is_set():
            self._interrupt()
            return
        q = self.manager.job_queue
        queued = q.qsize("queued")
        if not queued:
            return
        jobs, first_queued = q.queue, q.first_queued_index
        last_done = jobs[first_queued - 1] if first_queued > 0 else None
        if self.stop_on_failure and last_done is not None and last_done.status is ExpStatus.FAILED:
            # The failure paused the queue; the tally thread may not have seen it yet.
            self._stop_early(f"{last_done.call_text} failed (--stop-on-failure): the queued jobs were cancelled")
        else:
            self._stop_early(f"the queue was left paused with {queued} job(s) queued; a run without a window "
                             f"cannot resume it, so they were cancelled")

    def _interrupt(self) -> None:
        self.interrupted = True
        what = self.signals.what or "Ctrl+C"
        running = self.manager.job_queue.running_job()
        queued = self.manager.job_queue.qsize("queued")
        self.stopped = f"interrupted ({what}): running job aborted, {queued} queued job(s) cancelled"
        self.manager.shutdown(wait=False, abort=True)
        if running is not None:
            self.display.note(f"labqueue run: {what}: aborting {running.call_text}, waiting for it to return "
                              f"(press Ctrl+C again to kill it)")

    def _shut_down(self) -> None:
        """Stop the worker (cancelling anything left) and wait for it; Ctrl+C now aborts, then kills."""
        self.manager.shutdown(wait=False)
        while not self.manager.join(timeout=0.25):
            if self.signals.event.is_set() and not self.interrupted:
                self._interrupt()
            if self.interrupted:
                self.signals.mode = "kill"


def run_script(script: str | os.PathLike, *, history_file: str | os.PathLike | None = None,
               log_dir: str | os.PathLike | None = None, stop_on_failure: bool = False,
               stream: IO[str] | None = None, err: IO[str] | None = None) -> int:
    """Run ``script`` headless and return the exit status (see ``EXIT_*``).

    ``stream`` (default stdout) gets the progress and the summary; ``err`` (default stderr) the
    script's errors. ``history_file`` records every job in that journal (SQLite); ``log_dir``
    turns log files on in that directory.
    """
    err = err if err is not None else sys.stderr
    path = Path(script).expanduser()
    code = _compile(path, err)
    if code is None:
        return EXIT_NOT_RUN
    from labqueue.manager import Manager

    with _logging_for_run():
        try:
            manager = Manager(log_file_dir=log_dir, pause_on_failure=stop_on_failure, history_file=history_file)
        except (OSError, ValueError) as exc:
            print(f"labqueue run: cannot start: {exc}", file=err)
            return EXIT_NOT_RUN
        if history_file is not None and not manager.history.enabled:
            # The Manager runs jobs without a journal it cannot use; say so before anything runs.
            print(f"labqueue run: warning: {manager.history.error}; the jobs run without a journal", file=err)
        return _Run(path.resolve(), code, manager, make_display(stream), stop_on_failure, err).execute()
