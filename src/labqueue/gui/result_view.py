"""The result pane: :class:`ResultView` shows what the selected job returned, or why it failed.

A finished job: the result's type, size and repr, with "Copy" and "Send to console" (binds it to
``_r`` in the console). A failed job: its full traceback, and "Run again" queues a copy. An aborted
job: its partial result, if it returned one.
"""

from __future__ import annotations

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
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from labqueue.display_format import duration_text, value_summary, value_text
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.gui.result_texts import hang_note
from labqueue.manager import Experiment, ExpStatus, Manager

__all__ = ["ResultView", "describe_value", "value_text", "CONSOLE_NAME"]

#: The console variable "Send to console" binds.
CONSOLE_NAME = "_r"

#: Type, length and size of a value (``list · length 3 · 88 bytes``); see labqueue.display_format.
describe_value = value_summary

_MAKING = "Making the result's text…"


class ResultView(QWidget):
    """Result, partial result or traceback of one job (the table's current row).

    ``console`` (optional): the :class:`~labqueue.gui.console.PythonConsole` that "Send to console"
    binds values in. ``message_signal(str)`` tells the user what happened (for the status bar).
    """

    message_signal = Signal(str)

    def __init__(self, manager: Manager, console: Any = None, parent: QWidget | None = None,
                 mirror: QueueMirror | None = None):
        super().__init__(parent)
        self.manager = manager
        self.console = console
        # The window passes its QueueMirror; a pane on its own follows the queue with one of its own.
        self.mirror = mirror if mirror is not None else QueueMirror(manager.job_queue, self)
        self._exp: Experiment | None = None
        self._shown_status: ExpStatus | None = None
        self._text_pending = False

        self.title_label = QLabel(self)
        self.info_label = QLabel(self)
        self.info_label.setTextFormat(Qt.PlainText)
        for label in (self.title_label, self.info_label):
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextSelectableByMouse)
            # A long call without spaces must not widen the pane (a dock never shrinks back by itself).
            label.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
            label.setMinimumWidth(1)
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

        self.mirror.changed_signal.connect(self._on_queue_changed)
        self.mirror.result_texts.ready_signal.connect(self._on_texts_ready)
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
        self._text_pending = False
        if exp is None:
            self.title_label.setText("Select a job in the table to see its result.")
            self.title_label.setToolTip("")
            self.info_label.setText("")
            self.text.setPlainText("")
        else:
            self.title_label.setText(f"<b>{exp.status.name.capitalize()}</b>: {_escape(exp.call_text)}")
            self.title_label.setToolTip(exp.full_call_text())
            info, text = self._describe(exp)
            self.info_label.setText(info)
            # A traceback is read whole, so it wraps; a value keeps its layout (columns, nesting).
            wrap = exp.status is ExpStatus.FAILED
            self.text.setLineWrapMode(QPlainTextEdit.WidgetWidth if wrap else QPlainTextEdit.NoWrap)
            self.text.setPlainText(text)
        self._update_buttons()

    def _describe(self, exp: Experiment) -> tuple[str, str]:
        status = exp.status
        took = f" after {duration_text(exp.duration)}" if exp.duration is not None else ""
        if status in (ExpStatus.FINISHED, ExpStatus.FAILED, ExpStatus.ABORTED):
            has_value = status is ExpStatus.FAILED or exp.return_value is not None
            texts = self.mirror.result_texts.pane(exp) if has_value else None
            self._text_pending = has_value and texts is None
            summary, text = texts if texts is not None else (_MAKING if has_value else "", "")
            if status is ExpStatus.FINISHED:
                return f"Result{took}: {summary}", text
            if status is ExpStatus.FAILED:
                return f"Failed{took}: {summary}", text
            if not has_value:
                return f"Aborted{took}; the job returned no partial result.", ""
            return f"Aborted{took}; partial result: {summary}", text
        if status is ExpStatus.CANCELLED:
            return "Cancelled: removed from the queue before it ran.", ""
        if status is ExpStatus.RUNNING:
            return "Running… the result shows here when it ends.", ""
        return "Queued: not started yet.", ""

    def _on_queue_changed(self) -> None:
        if self._exp is not None and self._exp.status is not self._shown_status:
            self.show_experiment(self._exp)

    def _on_texts_ready(self) -> None:
        if self._text_pending and self._exp is not None:
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
        if exp.status is ExpStatus.FAILED and exp.traceback:
            QApplication.clipboard().setText(exp.traceback)
            self.message_signal.emit("Copied the traceback.")
            return
        # The repr runs user code: made off the GUI thread, then put on the clipboard.
        self.message_signal.emit("Copying the result…")
        self.mirror.result_texts.full_repr(value, self._copy_text)

    def _copy_text(self, text: str) -> None:
        if text == hang_note():
            self.message_signal.emit("Nothing copied: the result's repr did not finish.")
            return
        QApplication.clipboard().setText(text)
        self.message_signal.emit("Copied the result.")

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
        self.mirror.sync()
        paused = " The queue is paused: press Resume to run it." if self.mirror.paused else ""
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
