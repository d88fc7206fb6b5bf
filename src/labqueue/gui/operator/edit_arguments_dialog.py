"""Change a queued job's arguments: double-click its row, edit ``0.0, 1.0, steps=25``, press OK.

The text is read as Python literals (``ast.literal_eval`` per argument: numbers, strings,
lists, tuples, dicts, sets, True/False/None) and checked against the function's signature
before anything changes; a mistake is shown in red in the dialog. The change itself is
``exp.update_arguments(...)``, which refuses a job that has started meanwhile.
"""

from __future__ import annotations

import ast
from typing import Any

from qtpy.QtWidgets import QDialog, QDialogButtonBox, QLabel, QLineEdit, QVBoxLayout, QWidget

from labqueue.experiment import Experiment
from labqueue.job_arguments import check_arguments, plain_signature

__all__ = ["EditArgumentsDialog", "arguments_text", "parse_arguments"]


def _literal_repr(value: Any) -> str | None:
    """``repr(value)`` if it reads back as the same literal, else None."""
    try:
        text = repr(value)
        return text if ast.literal_eval(text) == value else None
    except Exception:  # noqa: BLE001 - any repr / odd value: not a literal
        return None


def arguments_text(exp: Experiment) -> tuple[str, list[str]]:
    """The job's arguments as ``1, 2, key=3`` and the names of those that are not literals."""
    parts, not_literal = [], []
    for i, value in enumerate(exp.args):
        text = _literal_repr(value)
        parts.append(text if text is not None else "…")
        if text is None:
            not_literal.append(f"argument {i + 1}")
    for key, value in exp.kwargs.items():
        text = _literal_repr(value)
        parts.append(f"{key}={text if text is not None else '…'}")
        if text is None:
            not_literal.append(key)
    return ", ".join(parts), not_literal


def parse_arguments(text: str) -> tuple[tuple, dict[str, Any]]:
    """``"1, 'a', steps=3"`` → ``((1, 'a'), {'steps': 3})``; ``ValueError`` with a readable reason."""
    try:
        call = ast.parse(f"f({text})", mode="eval").body
    except SyntaxError as exc:
        raise ValueError(f"Not valid Python arguments: {exc.msg}") from None
    if not isinstance(call, ast.Call) or not isinstance(call.func, ast.Name) or call.func.id != "f":
        raise ValueError("Write the arguments only, e.g. 0.0, 1.0, steps=25")
    args, kwargs = [], {}
    for node in call.args:
        if isinstance(node, ast.Starred):
            raise ValueError("*args unpacking is not supported here; write the values")
        args.append(_literal(node))
    for kw in call.keywords:
        if kw.arg is None:
            raise ValueError("**kwargs unpacking is not supported here; write key=value")
        kwargs[kw.arg] = _literal(kw.value)
    return tuple(args), kwargs


def _literal(node: ast.AST) -> Any:
    try:
        return ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        raise ValueError(f"{ast.unparse(node)!s} is not a Python literal (a number, string, list, "
                         f"tuple, dict, True, False or None)") from None


class EditArgumentsDialog(QDialog):
    """Edits ``exp``'s arguments; OK applies them only if they parse and fit the signature."""

    def __init__(self, exp: Experiment, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("edit_arguments_dialog")
        self.exp = exp
        self.setWindowTitle(f"Edit {exp.call_text}")
        text, not_literal = arguments_text(exp)
        signature = plain_signature(exp.func)
        layout = QVBoxLayout(self)
        label = QLabel(f"Arguments of <b>{signature.replace('<', '&lt;')}</b>, as Python literals:", self)
        layout.addWidget(label)
        self.edit = QLineEdit(text, self)
        self.edit.setObjectName("arguments_edit")
        self.edit.setMinimumWidth(420)
        layout.addWidget(self.edit)
        self.error = QLabel(self)
        self.error.setObjectName("arguments_error")
        self.error.setStyleSheet("color: #c9302c;")
        self.error.setWordWrap(True)
        layout.addWidget(self.error)
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if not_literal:
            self.edit.setReadOnly(True)
            self.buttons.button(QDialogButtonBox.Ok).setEnabled(False)
            self._show_error(f"{', '.join(not_literal)} cannot be written as a Python literal, so this job "
                             f"cannot be edited here. In the console: exp.update_arguments(...).")
        else:
            self.error.hide()
        self.edit.textEdited.connect(lambda _t: self.error.hide())

    def _show_error(self, text: str) -> None:
        self.error.setText(text)
        self.error.show()

    def accept(self) -> None:
        try:
            args, kwargs = parse_arguments(self.edit.text())
            check_arguments(self.exp.func, args, kwargs)
            self.exp.update_arguments(*args, **kwargs)
        except (ValueError, TypeError) as exc:
            self._show_error(str(exc).removeprefix(f"{plain_signature(self.exp.func)}: "))
            return
        super().accept()
