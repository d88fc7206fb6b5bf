"""The result pane: :class:`ResultView` shows what the selected job returned, or why it failed.

A finished job: the result's type, size and repr, with "Copy" and "Send to console" (binds it to
``_r`` in the console). A failed job: its full traceback, and "Run again" queues a copy. An aborted
job: its partial result, if it returned one.
"""

from __future__ import annotations

import pprint
import reprlib
import sys
from collections.abc import Callable
from typing import Any

from qtpy.QtCore import Qt, Signal
from qtpy.QtGui import QFontDatabase
from qtpy.QtWidgets import (
    QAction,
    QApplication,
    QHBoxLayout,
    QLabel,
    QMenu,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from labqueue.manager import Experiment, ExpStatus, Manager

__all__ = ["ResultView", "describe_value", "value_text", "CONSOLE_NAME"]

#: The console variable "Send to console" binds.
CONSOLE_NAME = "_r"
#: Longest text shown; "Copy" still copies everything.
MAX_SHOWN_CHARS = 200_000

_bounded_repr = reprlib.Repr()
_bounded_repr.maxlevel = 6
_bounded_repr.maxlist = _bounded_repr.maxtuple = _bounded_repr.maxdict = 200
_bounded_repr.maxset = _bounded_repr.maxfrozenset = _bounded_repr.maxdeque = _bounded_repr.maxarray = 200
_bounded_repr.maxstring = _bounded_repr.maxother = 20_000
_bounded_repr.maxlong = 1000


def _size_text(n_bytes: int) -> str:
    for unit in ("bytes", "kB", "MB", "GB"):
        if n_bytes < 1024 or unit == "GB":
            return f"{n_bytes:.0f} {unit}" if unit == "bytes" else f"{n_bytes:.1f} {unit}"
        n_bytes /= 1024
    return ""  # pragma: no cover


def describe_value(value: Any) -> str:
    """One line: type, shape / length and memory size, e.g. ``ndarray · shape (100, 3) · float64 · 2.3 kB``."""
    cls = type(value)
    name = cls.__qualname__ if cls.__module__ == "builtins" else f"{cls.__module__}.{cls.__qualname__}"
    parts = [name]
    try:
        shape = getattr(value, "shape", None)
        if isinstance(shape, tuple):
            parts.append(f"shape {shape}")
            dtype = getattr(value, "dtype", None)
            if dtype is not None:
                parts.append(str(dtype))
        elif hasattr(value, "__len__") and not isinstance(value, type):
            parts.append(f"length {len(value)}")
        n_bytes = getattr(value, "nbytes", None)
        if not isinstance(n_bytes, int):
            n_bytes = sys.getsizeof(value)
        parts.append(_size_text(n_bytes))
    except Exception:  # noqa: BLE001 - a user object may raise from anything
        pass
    return " · ".join(parts)


def value_text(value: Any) -> str:
    """Readable repr of ``value``: pretty-printed when small, bounded when large; never raises."""
    try:
        small = not hasattr(value, "__len__") or isinstance(value, (str, bytes)) or len(value) <= 2000
        text = pprint.pformat(value, width=100, sort_dicts=False) if small else _bounded_repr.repr(value)
    except Exception as exc:  # noqa: BLE001 - user __repr__ may fail
        return f"<{type(value).__name__}: repr failed with {type(exc).__name__}: {exc}>"
    if len(text) > MAX_SHOWN_CHARS:
        text = text[:MAX_SHOWN_CHARS] + f"\n… ({len(text) - MAX_SHOWN_CHARS} more characters; Copy copies all)"
    return text


def _full_repr(value: Any) -> str:
    try:
        return repr(value)
    except Exception as exc:  # noqa: BLE001
        return f"<{type(value).__name__}: repr failed with {type(exc).__name__}: {exc}>"


class ResultView(QWidget):
    """Result, partial result or traceback of one job (the table's current row).

    ``console`` (optional): the :class:`~labqueue.gui.console.PythonConsole` that "Send to console"
    binds values in. ``message_signal(str)`` tells the user what happened (for the status bar).
    """

    message_signal = Signal(str)

    def __init__(self, manager: Manager, console: Any = None, parent: QWidget | None = None):
        super().__init__(parent)
        self.manager = manager
        self.console = console
        self._exp: Experiment | None = None
        self._shown_status: ExpStatus | None = None

        self.title_label = QLabel(self)
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.info_label = QLabel(self)
        self.info_label.setTextFormat(Qt.PlainText)
        self.info_label.setWordWrap(True)
        self.info_label.setTextInteractionFlags(Qt.TextSelectableByMouse)
        self.text = QPlainTextEdit(self)
        self.text.setReadOnly(True)
        self.text.setLineWrapMode(QPlainTextEdit.NoWrap)
        self.text.setFont(QFontDatabase.systemFont(QFontDatabase.FixedFont))

        self.copy_button = QPushButton("Copy", self)
        self.copy_button.setToolTip("Copy the result (or the traceback) to the clipboard")
        self.copy_button.clicked.connect(self.copy_to_clipboard)
        self.send_button = QPushButton("Send to console", self)
        self.send_button.setToolTip(f"Bind the result to the variable {CONSOLE_NAME} in the console")
        self.send_button.clicked.connect(self.send_to_console)
        self.requeue_button = QPushButton("Run again", self)
        self.requeue_button.setToolTip("Queue a copy of this call at the end of the queue")
        self.requeue_button.clicked.connect(self.requeue_copy)

        buttons = QHBoxLayout()
        for button in (self.copy_button, self.send_button, self.requeue_button):
            buttons.addWidget(button)
        buttons.addStretch(1)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(4, 4, 4, 4)
        layout.addWidget(self.title_label)
        layout.addWidget(self.info_label)
        layout.addWidget(self.text, 1)
        layout.addLayout(buttons)

        manager.job_queue.status_changed_signal.connect(self._on_status_changed, Qt.QueuedConnection)
        shut_down_signal = getattr(console, "shut_down_signal", None)
        if shut_down_signal is not None:
            shut_down_signal.connect(self._update_buttons)
        self.show_experiment(None)

    # ----------------------------------------------------------------- showing
    @property
    def experiment(self) -> Experiment | None:
        """The job shown, or None."""
        return self._exp

    def show_experiment(self, exp: Experiment | None) -> None:
        """Show ``exp`` (connect the table's ``current_experiment_changed_signal`` here)."""
        self._exp = exp
        self._shown_status = exp.status if exp is not None else None
        if exp is None:
            self.title_label.setText("Select a job in the table to see its result.")
            self.info_label.setText("")
            self.text.setPlainText("")
        else:
            self.title_label.setText(f"<b>{exp.status.name.capitalize()}</b>: {_escape(exp.call_text)}")
            self.title_label.setToolTip(exp.full_call_text())
            info, text = self._describe(exp)
            self.info_label.setText(info)
            self.text.setPlainText(text)
        self._update_buttons()

    def _describe(self, exp: Experiment) -> tuple[str, str]:
        status = exp.status
        took = f" after {exp.duration:.3g} s" if exp.duration is not None else ""
        if status is ExpStatus.FINISHED:
            value = exp.return_value
            return f"Result{took}: {describe_value(value)}", value_text(value)
        if status is ExpStatus.FAILED:
            error = exp.exception(timeout=0)
            return (f"Failed{took}: {type(error).__name__}: {error}",
                    exp.traceback or "(no traceback recorded)")
        if status is ExpStatus.ABORTED:
            value = exp.return_value
            if value is None:
                return f"Aborted{took}; the job returned no partial result.", ""
            return f"Aborted{took}; partial result: {describe_value(value)}", value_text(value)
        if status is ExpStatus.CANCELLED:
            return "Cancelled: removed from the queue before it ran.", ""
        if status is ExpStatus.RUNNING:
            return "Running… the result shows here when it ends.", ""
        return "Queued: not started yet.", ""

    def _on_status_changed(self, _index: int, _status: object) -> None:
        if self._exp is not None and self._exp.status is not self._shown_status:
            self.show_experiment(self._exp)

    def _value(self) -> tuple[bool, Any]:
        """(True, value) if the shown job has something to hand out: a result or an exception."""
        exp = self._exp
        if exp is None:
            return False, None
        if exp.status is ExpStatus.FINISHED:
            return True, exp.return_value
        if exp.status is ExpStatus.ABORTED and exp.return_value is not None:
            return True, exp.return_value
        if exp.status is ExpStatus.FAILED:
            return True, exp.exception(timeout=0)
        return False, None

    def _update_buttons(self) -> None:
        exp = self._exp
        has_value, _ = self._value()
        self.copy_button.setEnabled(has_value)
        console_ok = self.console is not None and not getattr(self.console, "is_shut_down", False)
        self.send_button.setEnabled(has_value and console_ok)
        self.requeue_button.setEnabled(exp is not None and exp.done())
        self.requeue_button.setText("Run again (copy)" if exp is not None and exp.status is ExpStatus.FAILED
                                    else "Run again")

    # ----------------------------------------------------------------- actions
    def copy_to_clipboard(self) -> None:
        """Copy the full repr of the result, or the traceback of a failure."""
        exp = self._exp
        has_value, value = self._value()
        if exp is None or not has_value:
            return
        text = exp.traceback if exp.status is ExpStatus.FAILED and exp.traceback else _full_repr(value)
        QApplication.clipboard().setText(text)
        self.message_signal.emit("Copied the traceback." if exp.status is ExpStatus.FAILED else "Copied the result.")

    def send_to_console(self) -> None:
        """Bind the result (or a failure's exception) to ``_r`` in the console."""
        has_value, value = self._value()
        if not has_value or self.console is None:
            return
        self.console.push({CONSOLE_NAME: value})
        what = "exception" if self._exp.status is ExpStatus.FAILED else "result"
        note = f"{CONSOLE_NAME} = {what} of {self._exp.call_text}"
        announce = getattr(self.console, "announce", None)
        if announce is not None:
            announce(note)
        self.message_signal.emit(f"In the console: {note}")

    def requeue_copy(self) -> Experiment | None:
        """Queue a new job making the same call; returns it."""
        exp = self._exp
        if exp is None or not exp.done():
            return None
        copy = exp.copy()
        self.manager.job_queue.put(copy)
        paused = "" if self.manager.running.is_set() else " The queue is paused: press Resume to run it."
        self.message_signal.emit(f"Queued again: {copy.call_text}.{paused}")
        return copy

    def context_action(self, menu: QMenu, experiments: list) -> QAction | None:
        """Table context-menu entry "Run again (copy)" for one finished / failed / aborted job."""
        if len(experiments) != 1 or not experiments[0].done():
            return None
        exp = experiments[0]
        action = QAction("Run again (copy)", menu)
        action.triggered.connect(_bind(self._requeue, exp))
        return action

    def _requeue(self, exp: Experiment) -> None:
        previous = self._exp
        self._exp = exp
        try:
            self.requeue_copy()
        finally:
            self._exp = previous


def _bind(fn: Callable[[Experiment], None], exp: Experiment) -> Callable[..., None]:
    return lambda *_args: fn(exp)


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
