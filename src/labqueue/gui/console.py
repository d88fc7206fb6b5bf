"""The embedded IPython console: :class:`PythonConsole`.

A qtconsole ``RichJupyterWidget`` on an in-process ipykernel. Its namespace holds the Manager,
so a scientist types ``exp = queued_exec(time.sleep)(1)`` and watches the job in the table.
The kernel runs user code on the GUI thread; ``exp.result()`` therefore waits with a local event
loop (see :mod:`labqueue.gui.console_wait`) so the window keeps updating, and Ctrl+C stops the wait.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import logging
import os
import threading
import weakref
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# ipykernel imports debugpy, which prints a "frozen modules" warning to the terminal unless told
# not to; the console has no use for the debugger.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

from ipykernel.inprocess.ipkernel import InProcessInteractiveShell, InProcessKernel  # noqa: E402
from qtconsole.inprocess import QtInProcessKernelClient, QtInProcessKernelManager  # noqa: E402
from qtconsole.rich_jupyter_widget import RichJupyterWidget  # noqa: E402
from qtpy.QtCore import QEvent, QSettings, Signal  # noqa: E402
from qtpy.QtGui import QKeySequence, QPalette  # noqa: E402
from qtpy.QtWidgets import QApplication, QInputDialog, QLineEdit, QWidget  # noqa: E402

from labqueue.console_namespace import console_namespace  # noqa: E402
from labqueue.gui.console_dedent import dedented_check_complete  # noqa: E402
from labqueue.gui.console_history import keep_secrets_out_of_history  # noqa: E402
from labqueue.gui.console_wait import ResponsiveWaiter  # noqa: E402
from labqueue.manager import Manager  # noqa: E402

__all__ = ["PythonConsole", "BANNER"]

logger = logging.getLogger("labqueue")

#: Shown above the first prompt: how to queue a call and read its result.
BANNER = (
    "Queue a call:  exp = queued_exec(time.sleep)(2)    (or use @queued_exec)\n"
    "Read a result: exp.result()  (the window keeps updating; Ctrl+C stops)\n"
    "Several lines: Enter continues a block, an empty line runs it;\n"
    "               Ctrl+Enter adds a line, Shift+Enter runs at once.\n"
    "Also here: manager, job_queue, Experiment, ExpStatus; %run -i script.py\n"
)

#: QSettings key of the console's font size (points).
FONT_SIZE_KEY = "console/font_size"


@contextlib.contextmanager
def _environment_variable(name: str, value: str) -> Iterator[None]:
    """Set an environment variable for the duration of the block."""
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


def _let_iopub_thread_finish_cleanly(iopub_thread: Any) -> None:
    """End the IOPub thread's periodic task before the thread stops.

    ipykernel stops that thread's asyncio loop with the task still pending, and Python then
    prints "Task was destroyed but it is pending!" at exit. Best effort: skipped if ipykernel
    changes its internals.
    """
    task = getattr(iopub_thread, "_event_pipe_gc_task", None)
    loop = getattr(iopub_thread, "io_loop", None)
    if task is None or loop is None or not iopub_thread.thread.is_alive():
        return
    finished = threading.Event()

    async def cancel() -> None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            finished.set()

    loop.add_callback(cancel)
    finished.wait(2)


def _stop_kernel_and_shell(km: QtInProcessKernelManager | None, shell: Any) -> None:
    """Stop the kernel (its IOPub thread) and end the shell (its history thread); idempotent."""
    if km is not None and km.kernel is not None:
        _let_iopub_thread_finish_cleanly(km.kernel.iopub_thread)
        km.shutdown_kernel()
    if shell is not None and shell not in _ended_shells:
        _ended_shells.add(shell)
        atexit.unregister(shell.atexit_operations)
        shell.atexit_operations()  # ends the history session, joins IPython's history thread
        if InProcessInteractiveShell.initialized() and InProcessInteractiveShell.instance() is shell:
            InProcessInteractiveShell.clear_instance()


_ended_shells: weakref.WeakSet = weakref.WeakSet()


class _Kernel(InProcessKernel):
    """The in-process kernel with coroutine request handlers, as ipykernel now expects.

    IPythonKernel still implements these four as plain functions, and ipykernel warns
    (PendingDeprecationWarning) each time one runs, e.g. on every Enter and Tab.
    """

    async def do_complete(self, code: str, cursor_pos: int | None) -> dict:
        return super().do_complete(code, cursor_pos)

    async def do_inspect(self, code: str, cursor_pos: int | None, detail_level: int = 0,
                         omit_sections: tuple = ()) -> dict:
        return super().do_inspect(code, cursor_pos, detail_level, omit_sections)

    async def do_history(self, *args: Any, **kwargs: Any) -> dict:
        return super().do_history(*args, **kwargs)

    async def do_is_complete(self, code: str) -> dict:
        return super().do_is_complete(code)


class _KernelManager(QtInProcessKernelManager):
    """Starts a :class:`_Kernel`."""

    def start_kernel(self, **kwds: Any) -> None:
        self.kernel = _Kernel(parent=self, session=self.session)


class _GuardedKernelClient(QtInProcessKernelClient):
    """An in-process kernel client that never re-enters the kernel.

    While the user's code waits (a local event loop runs), typing may still send requests
    (completion, call tips). Running them inside the busy kernel would re-enter it; they are
    dropped instead. Work queued with :meth:`call_when_idle` runs once the kernel is free.
    """

    _busy = False
    _when_idle: list | None = None

    @property
    def is_busy(self) -> bool:
        return self._busy

    def call_when_idle(self, fn: Callable[[], Any]) -> None:
        if not self._busy:
            fn()
            return
        if self._when_idle is None:
            self._when_idle = []
        self._when_idle.append(fn)

    def _dispatch_to_kernel(self, msg: dict) -> None:
        if self._busy:
            if msg.get("header", {}).get("msg_type") == "execute_request":
                logger.warning("The console is busy waiting; new code was not run.")
            return
        self._busy = True
        try:
            super()._dispatch_to_kernel(msg)
        finally:
            self._busy = False
            pending, self._when_idle = self._when_idle or [], None
            for fn in pending:
                fn()


class PythonConsole(RichJupyterWidget):
    """IPython console whose namespace holds ``manager``, ``queued_exec``, ``job_queue``, ...

    Call :meth:`shutdown` when done (the main window does it on close).
    """

    #: The kernel was shut down.
    shut_down_signal = Signal()

    def __init__(self, manager: Manager, parent: QWidget | None = None, settings: QSettings | None = None):
        super().__init__(parent)
        self.manager = manager
        self._settings = settings
        self._dark: bool | None = None  # None until the first _apply_palette
        self._shut_down = False
        self._shell = None
        self.banner = BANNER
        # While the console has focus its editing keys (Ctrl+P = previous line, Ctrl+A, ...) win over
        # the window's shortcuts, so recalling history never pauses the queue by accident.
        self.override_shortcuts = True
        # In-process kernels cannot be signalled: Ctrl+C while code runs comes to us instead.
        self.custom_interrupt = True
        self.custom_interrupt_requested.connect(self._interrupt)
        self.waiter = ResponsiveWaiter(manager, hint=self._print_hint, parent=self)
        self._start_kernel()
        self.waiter.activate()
        self._apply_palette()
        self._restore_font_size()
        # Ctrl++ needs Shift on most keyboards; accept Ctrl+= too.
        self.increase_font_size.setShortcuts([QKeySequence(QKeySequence.ZoomIn), QKeySequence("Ctrl+=")])

    # ----------------------------------------------------------------- kernel
    def _start_kernel(self) -> None:
        km = _KernelManager()
        km.client_factory = _GuardedKernelClient
        # The IPython shell is a process-wide singleton; each console gets its own namespace.
        InProcessInteractiveShell.clear_instance()
        with _environment_variable("IPYTHONDIR", self._prepare_ipython_dir()):
            km.start_kernel()
        self._shell = km.kernel.shell
        keep_secrets_out_of_history(self._shell)  # a password typed as code never reaches history.sqlite
        self._shell.push(self.namespace())
        # Enter after `return` (or pass, raise, break, continue) starts the next line one level out.
        transformer = self._shell.input_transformer_manager
        transformer.check_complete = dedented_check_complete(transformer.check_complete)
        # The kernel's own IPython banner would only repeat version numbers; ours says what to type.
        km.kernel.shell.banner1 = ""
        km.kernel.shell.enable_tip = False
        kc = km.client()
        kc.start_channels()
        self.kernel_manager = km
        self.kernel_client = kc
        # No safety net on `destroyed`: a slot bound to this console's objects may already be
        # cleared by the garbage collector when the widget dies, and calling it crashes the
        # process. The owner calls shutdown() (the main window does, on close).

    def ipython_dir(self) -> str:
        """Where IPython keeps the console's profile and command history.

        ``$IPYTHONDIR`` if set (your own IPython profile), else ``ipython/`` next to labqueue's
        settings file (on Linux ``~/.config/labqueue/ipython``).
        """
        return os.environ.get("IPYTHONDIR") or str(Path(self.settings().fileName()).parent / "ipython")

    def _prepare_ipython_dir(self) -> str:
        path = self.ipython_dir()
        try:
            Path(path).mkdir(parents=True, exist_ok=True)  # IPython wants its parent to exist
        except OSError:
            pass  # IPython falls back to a temporary directory and says so
        return path

    def namespace(self) -> dict[str, Any]:
        """The names the console starts with (the same as a ``labqueue run`` script's)."""
        return console_namespace(self.manager)

    def push(self, variables: dict[str, Any]) -> None:
        """Bind ``variables`` (name → value) in the console namespace, e.g. ``{"_r": result}``."""
        if self._shut_down:
            raise RuntimeError("the console has been shut down")
        self._shell.push(variables)

    def announce(self, text: str) -> None:
        """Show a one-line note above the prompt (e.g. what "Send to console" bound)."""
        if not self._shut_down:
            # On a line of its own, also after output that did not end its line (print(..., end="")).
            pos = self._append_before_prompt_pos
            before = self._control.document().characterAt(pos - 1) if pos > 0 else "\n"
            newline = "" if before in ("\n", "\u2029") else "\n"
            self._append_plain_text(f"{newline}# {text}\n", before_prompt=True)

    @property
    def is_shut_down(self) -> bool:
        return self._shut_down

    @property
    def is_busy(self) -> bool:
        """True while the kernel runs code (e.g. waits in ``exp.result()``)."""
        return self.kernel_client is not None and self.kernel_client.is_busy

    def shutdown(self) -> None:
        """Stop waiting, stop the channels and the kernel; leaves no thread running.

        Called while the user's code is still waiting (window closed meanwhile), the wait ends
        with KeyboardInterrupt and the kernel stops as soon as that code has returned.
        """
        if self._shut_down:
            return
        self._shut_down = True
        self.waiter.deactivate()
        kc = self.kernel_client
        if kc is None:
            self._stop_kernel()
        else:
            kc.call_when_idle(self._stop_kernel)

    def _stop_kernel(self) -> None:
        kc = self.kernel_client
        if kc is not None:
            kc.stop_channels()
            # Disconnects the client's signals: a reply still in flight (Qt delivers them with a
            # zero-time timer) must not reach a widget that may be deleted by then.
            self.kernel_client = None
        _stop_kernel_and_shell(self.kernel_manager, self._shell)
        self.kernel_manager = None
        self._shell = None
        self.shut_down_signal.emit()

    # ----------------------------------------------------------------- waiting
    def _readline(self, prompt: str = "", callback: Callable[[str], Any] | None = None,
                  password: bool = False) -> str | None:
        """Read a line for ``input()``; a password (``getpass``) in a dialog that hides it.

        qtconsole itself would echo a password in the console (and keep it on screen).
        """
        if not password:
            return super()._readline(prompt, callback, password)
        text, ok = QInputDialog.getText(self, "Password", prompt.strip() or "Password:", QLineEdit.Password)
        line = text if ok else ""
        if callback is None:
            return line
        callback(line)
        return None

    def _interrupt(self) -> None:
        if self.waiter.is_waiting:
            self.waiter.interrupt()
        else:
            self._append_plain_text("Only a wait for a job (exp.result()) can be interrupted; "
                                    "to stop the running job use Abort.\n", before_prompt=True)

    def _print_hint(self, text: str) -> None:
        print(text, flush=True)  # inside the user's code, stdout goes to the console

    # ----------------------------------------------------------------- look
    def _apply_palette(self) -> None:
        """Light or dark colours, following the application's palette."""
        dark = QApplication.palette().color(QPalette.Window).lightness() < 128
        if dark == self._dark:
            return
        self._dark = dark
        self.set_default_style("linux" if dark else "lightbg")
        if self._shell is not None:
            self._shell.colors = "linux" if dark else "lightbg"

    def changeEvent(self, event: QEvent) -> None:  # noqa: N802 - Qt override
        palette_changed = event.type() in (QEvent.ApplicationPaletteChange, QEvent.PaletteChange)
        if palette_changed and getattr(self, "_dark", None) is not None:  # not during __init__
            self._apply_palette()
        super().changeEvent(event)

    def settings(self) -> QSettings:
        if self._settings is None:
            from labqueue.gui.app_settings import app_settings

            self._settings = app_settings()
        return self._settings

    def _restore_font_size(self) -> None:
        size = self.settings().value(FONT_SIZE_KEY, None)
        try:
            size = int(size) if size is not None else None
        except (TypeError, ValueError):
            size = None
        if size is not None and 4 <= size <= 72:
            font = self.font
            font.setPointSize(size)
            self._set_font(font)

    def reset_font(self) -> None:
        """Default font size (Ctrl+0); forgets the saved size."""
        super().reset_font()
        if getattr(self, "_settings", None) is not None:  # not during __init__
            self.settings().remove(FONT_SIZE_KEY)

    def change_font_size(self, delta: int) -> None:
        """Bigger / smaller text (Ctrl + / Ctrl -); the size is remembered."""
        super().change_font_size(delta)
        self.settings().setValue(FONT_SIZE_KEY, self.font.pointSize())
