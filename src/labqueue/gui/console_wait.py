"""Waiting for a job on the GUI thread without freezing the window.

The embedded console runs the user's code on the GUI thread, so a plain ``exp.result()`` would
block the event loop and freeze the table until the job ends. :class:`ResponsiveWaiter` instead
runs a local Qt event loop until the job is done: the table, the log and the buttons keep
working while the console waits, and Ctrl+C in the console stops the wait (the job goes on).

While a console is open it installs the engine's wait hook (:func:`labqueue.experiment.set_wait_hook`),
so whatever way a job was queued — ``queued_exec``, ``Experiment`` + ``put``, ``exp.copy()``, a
script run with ``%run -i`` — ``exp.result()`` typed in the console keeps the window alive. Waits on
other threads (the worker, scripts' own threads) block as usual.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from qtpy.QtCore import QCoreApplication, QEventLoop, QObject, QThread, QTimer, Signal

from labqueue.experiment import Experiment, ExpStatus, set_wait_hook

__all__ = ["ResponsiveWaiter", "WaitInterrupted"]


class WaitInterrupted(KeyboardInterrupt):
    """Ctrl+C ended a console wait for a job (the job itself goes on).

    IPython shows it as its one-line message: the traceback would only walk through labqueue's
    own waiting code, which tells the user nothing.
    """

    def _render_traceback_(self) -> list[str]:  # IPython's hook for how an exception is shown
        return [f"KeyboardInterrupt: {self}"]


class _Waker(QObject):
    """Lives on the GUI thread for the whole session; done callbacks (worker thread) poke it."""

    wake_signal = Signal()


_waker: _Waker | None = None
#: Waiters of live consoles, newest last; the newest one serves GUI-thread waits.
_active_waiters: list[ResponsiveWaiter] = []


def _the_waker() -> _Waker:
    # Created on first use, on the GUI thread, and never deleted: a job's done callback may fire
    # long after the wait that registered it has ended.
    global _waker
    if _waker is None:
        _waker = _Waker()
    return _waker


def _wake(_exp: Experiment) -> None:
    """Done callback (runs on the worker thread): let a waiting local event loop check again."""
    _the_waker().wake_signal.emit()


def _on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()


def _gui_wait(exp: Experiment, timeout: float | None) -> bool | None:
    """The engine's wait hook: on the GUI thread, wait with the newest console's event loop."""
    if not _active_waiters or not _on_gui_thread():
        return None
    return _active_waiters[-1].wait(exp, timeout)


class ResponsiveWaiter(QObject):
    """Waits for jobs on the GUI thread by spinning a local event loop; interruptible.

    ``hint(text)`` is called once per wait that cannot end by itself soon, e.g. a job queued
    behind a paused queue (the console prints it).
    """

    #: A wait started (True) or ended (False).
    waiting_changed_signal = Signal(bool)

    def __init__(self, manager: Any, hint: Callable[[str], None] | None = None, parent: QObject | None = None):
        super().__init__(parent)
        self._manager = manager
        self._hint = hint
        #: Running waits, innermost last: [local event loop, interrupted?]. A wait can nest when
        #: other GUI code waits for a job while the console's wait runs.
        self._waits: list[list] = []
        self._active = False

    # ----------------------------------------------------------------- life
    def activate(self) -> None:
        """Serve GUI-thread waits for every Experiment (installs the engine's wait hook)."""
        if self._active:
            return
        self._active = True
        _the_waker()
        _active_waiters.append(self)
        set_wait_hook(_gui_wait)

    def deactivate(self) -> None:
        """Stop serving waits (a running wait is interrupted); safe to call twice."""
        if not self._active:
            return
        self._active = False
        self.interrupt()
        _active_waiters.remove(self)
        if not _active_waiters:
            set_wait_hook(None)

    @property
    def is_waiting(self) -> bool:
        """True while a console ``result()`` waits."""
        return bool(self._waits)

    # ----------------------------------------------------------------- waiting
    def interrupt(self) -> None:
        """End the running wait(s) with KeyboardInterrupt (Ctrl+C in the console)."""
        for wait in self._waits:
            wait[1] = True
            wait[0].quit()

    def wait(self, exp: Experiment, timeout: float | None = None) -> bool:
        """Run a local event loop until ``exp`` is done; False on timeout.

        Raises KeyboardInterrupt if interrupted (Ctrl+C, console closed, application quit).
        """
        if exp.done():
            return True
        loop = QEventLoop()
        waker = _the_waker()

        def check() -> None:
            if exp.done():
                loop.quit()

        timer = None
        if timeout is not None:
            timer = QTimer()
            timer.setSingleShot(True)
            timer.timeout.connect(loop.quit)
            timer.start(max(0, int(timeout * 1000)))
        waker.wake_signal.connect(check)
        exp.add_done_callback(_wake)
        this_wait = [loop, False]
        self._waits.append(this_wait)
        self._give_hint(exp)
        self.waiting_changed_signal.emit(True)
        try:
            if not exp.done() and not this_wait[1]:  # it may have finished, or been interrupted, meanwhile
                loop.exec_()
        finally:
            waker.wake_signal.disconnect(check)
            timed_out = timer is not None and not timer.isActive()
            if timer is not None:
                timer.stop()
            self._waits.remove(this_wait)
            self.waiting_changed_signal.emit(bool(self._waits))
        if exp.done():
            return True
        if this_wait[1] or not timed_out:
            # Ctrl+C, or the loop was quit by someone else (the application is closing).
            raise WaitInterrupted(f"stopped waiting for {exp.call_text}; the job itself goes on "
                                  f"(status: {exp.status.name})")
        return False

    def _give_hint(self, exp: Experiment) -> None:
        if self._hint is None:
            return
        if exp.status is ExpStatus.QUEUED and self._manager.job_queue.paused:
            self._hint(f"The queue is paused: {exp.call_text} will not start until you resume "
                       "(Resume button or manager.resume_worker()). Press Ctrl+C to stop waiting.")
