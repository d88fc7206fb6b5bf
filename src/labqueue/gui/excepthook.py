"""Keep the app alive when a Qt slot (or a background thread) raises: log it and show it.

PyQt5 aborts the whole process when an exception escapes a slot unless ``sys.excepthook`` is
replaced. :func:`install_excepthook` replaces it (and ``threading.excepthook``): the error goes to
the ``labqueue`` logger and into a non-modal message box on the GUI thread. While a box is open,
further errors are only counted in it, and for a few seconds after it closes no new box opens, so
an exception storm cannot bury the screen in dialogs.
"""

from __future__ import annotations

import logging
import sys
import threading
import time
import traceback
from types import TracebackType

from qtpy.QtCore import QObject, Qt, Signal
from qtpy.QtWidgets import QApplication, QMessageBox, QWidget

__all__ = ["ExceptionHook", "install_excepthook"]

logger = logging.getLogger("labqueue")

#: Seconds after a box was closed during which new errors are only logged and counted.
QUIET_SECONDS = 5.0


class ExceptionHook(QObject):
    """Replacement for ``sys.excepthook`` / ``threading.excepthook``; undo with :meth:`uninstall`."""

    #: An error to show: summary line, full traceback text. Always delivered on the GUI thread.
    error_signal = Signal(str, str)

    def __init__(self, parent_widget: QWidget | None = None):
        super().__init__()
        self.parent_widget = parent_widget
        self.box: QMessageBox | None = None
        self._suppressed = 0
        self._quiet_until = 0.0
        self._old_sys_hook = None
        self._old_thread_hook = None
        self.error_signal.connect(self._show, Qt.QueuedConnection)

    # ----------------------------------------------------------------- install / uninstall
    def install(self) -> ExceptionHook:
        """Make this the process's exception hook (remembers the previous hooks)."""
        if self._old_sys_hook is None:
            self._old_sys_hook, sys.excepthook = sys.excepthook, self._sys_hook
            self._old_thread_hook, threading.excepthook = threading.excepthook, self._thread_hook
        return self

    def uninstall(self) -> None:
        """Put the previous hooks back (only if ours are still the installed ones)."""
        if self._old_sys_hook is None:
            return
        if sys.excepthook == self._sys_hook:
            sys.excepthook = self._old_sys_hook
        if threading.excepthook == self._thread_hook:
            threading.excepthook = self._old_thread_hook
        self._old_sys_hook = self._old_thread_hook = None

    # ----------------------------------------------------------------- hooks (any thread)
    def _sys_hook(self, exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt) and self._old_sys_hook is not None:
            self._old_sys_hook(exc_type, exc, tb)
            return
        self.report(exc_type, exc, tb, where="the window")

    def _thread_hook(self, args: threading.ExceptHookArgs) -> None:
        if args.exc_type is SystemExit:
            return
        name = args.thread.name if args.thread is not None else "a background thread"
        self.report(args.exc_type, args.exc_value, args.exc_traceback, where=f"thread {name!r}")

    def report(self, exc_type: type[BaseException], exc: BaseException | None, tb: TracebackType | None,
               where: str = "the window") -> None:
        """Log an unhandled exception and ask the GUI thread to show it (thread-safe)."""
        logger.error("Unhandled exception in %s: %s: %s", where, exc_type.__name__, exc,
                     exc_info=(exc_type, exc, tb))
        details = "".join(traceback.format_exception(exc_type, exc, tb))
        self.error_signal.emit(f"Unexpected error in {where}:\n{exc_type.__name__}: {exc}", details)

    # ----------------------------------------------------------------- GUI thread
    def _show(self, summary: str, details: str) -> None:
        if self.box is not None or time.monotonic() < self._quiet_until or QApplication.instance() is None:
            self._suppressed += 1
            self._update_count()
            return
        box = QMessageBox(QMessageBox.Critical, "labqueue: unexpected error",
                          summary + "\n\nlabqueue keeps running; the error is also in the log.",
                          QMessageBox.Ok, self.parent_widget)
        box.setDetailedText(details)
        box.setWindowModality(Qt.NonModal)
        box.setAttribute(Qt.WA_DeleteOnClose)
        box.finished.connect(self._box_closed)
        self.box = box
        self._update_count()
        box.show()

    def _update_count(self) -> None:
        if self.box is not None and self._suppressed:
            self.box.setInformativeText(f"{self._suppressed} other error(s) were only logged; see the log.")

    def _box_closed(self) -> None:
        self.box = None
        self._suppressed = 0
        self._quiet_until = time.monotonic() + QUIET_SECONDS


def install_excepthook(parent_widget: QWidget | None = None) -> ExceptionHook:
    """Install an :class:`ExceptionHook` and return it (call ``.uninstall()`` to undo)."""
    return ExceptionHook(parent_widget).install()
