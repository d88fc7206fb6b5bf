"""The embedded IPython console: :class:`PythonConsole`.

A qtconsole ``RichJupyterWidget``, client of the window's own Jupyter kernel
(:class:`labqueue.gui.kernel.window_kernel.WindowKernel`). Its namespace holds the Manager, so a
scientist types ``exp = queued_exec(time.sleep)(1)`` and watches the job in the table; other clients
(``jupyter console --existing kernel-labqueue-<pid>.json``) share that namespace. The kernel runs
user code on the GUI thread; ``exp.result()`` therefore waits with a local event loop (see
:mod:`labqueue.gui.console_wait`) so the window keeps updating, and Ctrl+C stops the wait.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from qtconsole.client import QtKernelClient
from qtconsole.rich_jupyter_widget import RichJupyterWidget
from qtpy.QtCore import QCoreApplication, QEvent, QSettings, QThread, Signal
from qtpy.QtGui import QKeySequence, QPalette
from qtpy.QtWidgets import QApplication, QInputDialog, QLineEdit, QWidget

from labqueue.console_namespace import console_namespace
from labqueue.gui.console_dedent import dedented_check_complete
from labqueue.gui.console_history import keep_secrets_out_of_history
from labqueue.gui.console_wait import ResponsiveWaiter
from labqueue.gui.kernel.window_kernel import KernelStartError, WindowKernel
from labqueue.manager import Manager

__all__ = ["PythonConsole", "BANNER", "SHUTDOWN_FROM_CONSOLE"]

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

#: Why ``manager.shutdown()`` typed in a console (embedded or remote) is refused.
SHUTDOWN_FROM_CONSOLE = ("manager.shutdown() is refused in the console: it would stop the window's queue and "
                         "cancel every queued job. Nothing was changed. To end labqueue, close its window "
                         "(File → Quit); to stop jobs use manager.abort_job() or manager.clear_all_jobs().")


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
        self.kernel: WindowKernel | None = None
        self.banner = BANNER
        # While the console has focus its editing keys (Ctrl+P = previous line, Ctrl+A, ...) win over
        # the window's shortcuts, so recalling history never pauses the queue by accident.
        self.override_shortcuts = True
        # The kernel runs in this process: Ctrl+C while code runs comes to us (a signal would quit).
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
        kernel = WindowKernel(self.namespace(), self._prepare_ipython_dir(), parent=self)
        try:
            kernel.start()
        except KernelStartError as exc:
            logger.error("The Python console could not start: %s. The queue and the window work without it.", exc)
            self._append_plain_text(f"The Python console could not start: {exc}\n"
                                    "The queue, the table and the buttons work without it.\n")
            return
        self.kernel = kernel
        shell = kernel.shell
        keep_secrets_out_of_history(shell)  # a password typed as code never reaches history.sqlite
        # Enter after `return` (or pass, raise, break, continue) starts the next line one level out.
        transformer = shell.input_transformer_manager
        transformer.check_complete = dedented_check_complete(transformer.check_complete)
        # The kernel's own IPython banner would only repeat version numbers; ours says what to type.
        kernel.shell.banner1 = ""
        kernel.shell.enable_tip = False
        kernel.interrupt_requested_signal.connect(self._interrupt_from_a_client)
        self._guard_manager_shutdown()
        kc = QtKernelClient(connection_file=str(kernel.connection_file))
        kc.load_connection_file()
        kc.start_channels(hb=False)  # same process: the kernel cannot die without us
        self.kernel_client = kc
        # No safety net on `destroyed`: a slot bound to this console's objects may already be
        # cleared by the garbage collector when the widget dies, and calling it crashes the
        # process. The owner calls shutdown() (the main window does, on close).

    def _guard_manager_shutdown(self) -> None:
        """Refuse ``manager.shutdown()`` typed in a console; the window's own quit path is unaffected.

        The window calls :meth:`shutdown` (which lifts the guard) before it shuts the manager down.
        """
        manager, kernel = self.manager, self.kernel

        def shutdown(*args: Any, **kwargs: Any) -> bool:
            if kernel.is_handling and _on_gui_thread():
                raise RuntimeError(SHUTDOWN_FROM_CONSOLE)
            return type(manager).shutdown(manager, *args, **kwargs)

        try:
            manager.shutdown = shutdown
        except AttributeError:  # a Manager that takes no attributes: no guard
            return
        self._manager_guard = shutdown

    def _lift_manager_guard(self) -> None:
        guard = getattr(self, "_manager_guard", None)
        if guard is not None and vars(self.manager).get("shutdown") is guard:
            del self.manager.shutdown
        self._manager_guard = None

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
        if self._shut_down or self.kernel is None:
            raise RuntimeError("the console has been shut down")
        self.kernel.shell.push(variables)

    def announce(self, text: str) -> None:
        """Show a one-line note above the prompt (e.g. what "Send to console" bound)."""
        if not self._shut_down:
            # On a line of its own, also after output that did not end its line (print(..., end="")).
            pos = self._append_before_prompt_pos
            before = self._control.document().characterAt(pos - 1) if pos > 0 else "\n"
            newline = "" if before in ("\n", "\u2029") else "\n"
            self._append_plain_text(f"{newline}# {text}\n", before_prompt=True)

    @property
    def shell(self) -> Any:
        """The kernel's IPython shell (``shell.user_ns`` is the namespace); None once shut down."""
        return self.kernel.shell if self.kernel is not None else None

    @property
    def connection_file(self) -> Path | None:
        """The kernel's connection file, for ``jupyter console --existing``; None without a kernel."""
        return self.kernel.connection_file if self.kernel is not None and self.kernel.is_running else None

    @property
    def is_shut_down(self) -> bool:
        return self._shut_down

    @property
    def is_busy(self) -> bool:
        """True while the kernel runs code (e.g. waits in ``exp.result()``), from any client."""
        return self.kernel is not None and self.kernel.is_handling

    def shutdown(self) -> None:
        """Stop waiting, stop the client and the kernel; leaves no thread running.

        Called while code is still waiting (window closed meanwhile), the wait ends with
        KeyboardInterrupt and the kernel stops as soon as that code has returned. Requests
        still queued from other clients are dropped.
        """
        if self._shut_down:
            return
        self._shut_down = True
        self._lift_manager_guard()
        self.waiter.deactivate()
        if self.kernel is not None:
            self.kernel.interrupt_input()
        if self.kernel is None:
            self._stop_kernel()
        else:
            self.kernel.call_when_idle(self._stop_kernel)

    def _stop_kernel(self) -> None:
        kc = self.kernel_client
        if kc is not None:
            kc.stop_channels()
            # Disconnects the client's signals: a reply still in flight (Qt delivers them with a
            # zero-time timer) must not reach a widget that may be deleted by then.
            self.kernel_client = None
        if self.kernel is not None:
            self.kernel.stop()
            self.kernel = None
        self.shut_down_signal.emit()

    def _dispatch(self, msg: dict) -> None:
        # After shutdown a message already on its way may still arrive (PySide6 delivers it even
        # though the channels were disconnected); with no client left there is nothing to show it in.
        if self.kernel_client is not None:
            super()._dispatch(msg)

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
        elif self.kernel is not None and self.kernel.is_reading_input:
            self.kernel.interrupt_input()
        else:
            self._append_plain_text("Only a wait for a job (exp.result()) can be interrupted; "
                                    "to stop the running job use Abort.\n", before_prompt=True)

    def _interrupt_from_a_client(self) -> None:
        """A client (another console) asked to interrupt: stop a wait; running code cannot be."""
        if self.waiter.is_waiting:
            self.waiter.interrupt()
        elif self.kernel is not None and self.kernel.is_reading_input:
            self.kernel.interrupt_input()

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
        if self.shell is not None:
            self.shell.colors = "linux" if dark else "lightbg"

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


def _on_gui_thread() -> bool:
    app = QCoreApplication.instance()
    return app is not None and QThread.currentThread() is app.thread()
