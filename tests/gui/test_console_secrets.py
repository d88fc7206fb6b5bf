"""A password never reaches the console's history database (issue 12.5)."""

from __future__ import annotations

import sqlite3

import pytest
from qtpy.QtCore import QSettings, Qt, QTimer
from qtpy.QtWidgets import QApplication, QInputDialog, QLineEdit

from labqueue.gui.console import PythonConsole
from labqueue.gui.console_history import redact_secrets
from labqueue.notifications import SmtpSettings

SECRET = "hunter2-very-secret"


@pytest.fixture
def console(qtbot, manager, tmp_path, monkeypatch):
    monkeypatch.delenv("IPYTHONDIR", raising=False)
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "settings"))
    console = PythonConsole(manager, settings=QSettings(str(tmp_path / "console.ini"), QSettings.IniFormat))
    qtbot.addWidget(console)
    qtbot.waitUntil(lambda: "In [1]" in console._control.toPlainText())
    yield console
    console.shutdown()


def _run(qtbot, console, code: str) -> dict:
    with qtbot.waitSignal(console.executed, timeout=10_000):
        console.execute(code)
    return console.shell.user_ns


def _stored_history(console) -> str:
    history = console.shell.history_manager
    history.writeout_cache()
    with sqlite3.connect(history.hist_file) as db:
        rows = db.execute("SELECT source, source_raw FROM history").fetchall()
    return "\n".join(text for row in rows for text in row)


def test_a_password_typed_in_the_console_stays_out_of_its_history(qtbot, console):
    ns = _run(qtbot, console, "from labqueue.notifications import SmtpSettings\n"
                              f"smtp = SmtpSettings('smtp.example.org', user='jdoe', password='{SECRET}')")
    assert ns["smtp"].password == SECRET  # the code ran with the real password
    stored = _stored_history(console)
    assert "SmtpSettings('smtp.example.org'" in stored  # the line is kept, its secret is not
    assert SECRET not in stored
    shell = console.shell
    assert SECRET not in "\n".join(shell.history_manager.input_hist_raw)
    assert SECRET not in ns["_i"]


def test_ask_password_reads_it_without_echo_and_keeps_it_in_memory(monkeypatch):
    prompts = []
    monkeypatch.setattr("getpass.getpass", lambda prompt: prompts.append(prompt) or SECRET)
    smtp = SmtpSettings("smtp.example.org", user="jdoe").ask_password()
    assert smtp.password == SECRET and smtp.user == "jdoe"
    assert "jdoe" in prompts[0] and "smtp.example.org" in prompts[0]
    assert SECRET not in repr(smtp)


@pytest.mark.parametrize("code", [
    f"SmtpSettings('h', password='{SECRET}')",
    f'smtp = replace(smtp, password="{SECRET}")',
    f"password = '{SECRET}'",
    f"smtp_password='{SECRET}'",
    f"SmtpSettings('h', password=r'''{SECRET}''')",
])
def test_redaction_blanks_string_literals_given_as_passwords(code):
    redacted = redact_secrets(code)
    assert SECRET not in redacted and "password" in redacted


def test_redaction_leaves_other_code_alone():
    code = "exp = queued_exec(sweep)(1, 2, name='password test')\nx = ask_password()"
    assert redact_secrets(code) == code


def test_ask_password_in_the_console_asks_in_a_hidden_field_and_keeps_it_out_of_history(qtbot, console):
    """The documented way: the password is typed into a password field, never as code."""
    asked = []

    def type_when_asked():
        # The in-process kernel waits for the answer inside execute(), running the event loop.
        dialog = QApplication.activeModalWidget()
        if not isinstance(dialog, QInputDialog):
            QTimer.singleShot(20, type_when_asked)
            return
        field = dialog.findChild(QLineEdit)
        asked.append((dialog.labelText(), field.echoMode()))
        qtbot.keyClicks(field, SECRET)
        qtbot.keyClick(field, Qt.Key_Return)

    QTimer.singleShot(0, type_when_asked)
    with qtbot.waitSignal(console.executed, timeout=10_000):
        console.execute("from labqueue.notifications import SmtpSettings\n"
                        "smtp = SmtpSettings('smtp.example.org', user='jdoe').ask_password()")
    assert asked == [("SMTP password for jdoe on smtp.example.org:", QLineEdit.Password)]
    ns = console.shell.user_ns
    assert ns["smtp"].password == SECRET
    assert SECRET not in console._control.toPlainText()  # never shown
    assert SECRET not in _stored_history(console)
