"""The Notifications dialog, driven like a user: type, pick, click OK or "Send test e-mail"."""

from __future__ import annotations

import logging
import socket
import threading

import keyring.backend
import keyring.core
import pytest
from qtpy.QtCore import QSettings, Qt
from qtpy.QtWidgets import QDialog, QDialogButtonBox

from labqueue.gui.app_settings import app_settings
from labqueue.gui.notification_store import NotificationConfig, apply_saved_config, load_config, save_config
from labqueue.gui.notifications_dialog import NotificationsDialog
from labqueue.notifications import EMAIL_OFF
from labqueue.notifications import credentials as smtp_credentials
from smtp_support import MemoryKeyring, free_port, plain_smtp_server

PASSWORD = "hunter2-very-secret"


@pytest.fixture(autouse=True)
def settings_dir(tmp_path, monkeypatch):
    """QSettings and the keyring redirected: the real user's are never touched."""
    QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, str(tmp_path / "config"))
    monkeypatch.setattr(keyring.core, "_keyring_backend", MemoryKeyring())
    monkeypatch.delenv(smtp_credentials.ENV_VAR, raising=False)
    return tmp_path / "config"


@pytest.fixture
def dialog(qtbot, manager):
    dlg = NotificationsDialog(manager)
    qtbot.addWidget(dlg)
    dlg.show()
    qtbot.waitExposed(dlg)
    yield dlg
    assert dlg.wait_for_test_email(30)


@pytest.fixture
def smtp_server():
    with plain_smtp_server() as server:
        yield server


def _type(qtbot, edit, text):
    edit.clear()
    qtbot.keyClicks(edit, text)


def _pick(qtbot, combo, data):
    """Choose an item the way a keyboard user does: focus the combo box, arrow keys."""
    combo.setFocus()
    target = combo.findData(data)
    while combo.currentIndex() != target:
        qtbot.keyClick(combo, Qt.Key_Down if combo.currentIndex() < target else Qt.Key_Up)


def _click_ok(qtbot, dlg):
    qtbot.mouseClick(dlg.buttons.button(QDialogButtonBox.Ok), Qt.LeftButton)


def _fill_server(qtbot, dlg, port, security="plain"):
    _type(qtbot, dlg.addresses_edit, "op@lab.example.org, boss@lab.example.org")
    _type(qtbot, dlg.host_edit, "127.0.0.1")
    _pick(qtbot, dlg.security_combo, security)
    _type(qtbot, dlg.port_spin.lineEdit(), str(port))


def test_ok_applies_saves_and_keeps_the_password_out_of_the_file(qtbot, dialog, manager, settings_dir, tmp_path):
    _fill_server(qtbot, dialog, 2525, security="starttls")
    _pick(qtbot, dialog.level_combo, "errors")
    _type(qtbot, dialog.user_edit, "operator")
    _type(qtbot, dialog.password_edit, PASSWORD)
    _type(qtbot, dialog.sender_edit, "queue@lab.example.org")
    qtbot.keyClick(dialog.log_check, Qt.Key_Space)  # a wide row: its centre is not on the box
    _type(qtbot, dialog.log_dir_edit, str(tmp_path / "logs"))
    _type(qtbot, dialog.watchdog_spin.lineEdit(), "90")
    _click_ok(qtbot, dialog)

    assert dialog.result() == QDialog.Accepted and not dialog.isVisible()
    assert manager.notify_address == ["op@lab.example.org", "boss@lab.example.org"]
    assert manager.email_handler_level == logging.ERROR
    smtp = manager.notifications.smtp
    assert (smtp.host, smtp.port, smtp.security, smtp.user) == ("127.0.0.1", 2525, "starttls", "operator")
    assert manager.log_to_file and manager.log_file_dir == tmp_path / "logs"
    assert manager.notifications.watchdog_limit == 90 * 60
    assert smtp_credentials.get_password("127.0.0.1", "operator") == PASSWORD

    ini = (settings_dir / "labqueue" / "labqueue.ini").read_text()
    assert "smtp_host=127.0.0.1" in ini and "operator" in ini
    assert PASSWORD not in ini and "password" not in ini.lower()
    assert load_config(app_settings()).addresses == ("op@lab.example.org", "boss@lab.example.org")


def test_saved_settings_are_shown_when_the_dialog_opens(qtbot, manager):
    save_config(NotificationConfig(addresses=("a@b.example.org",), level="info", host="smtp.example.org",
                                   security="ssl", user="me", days_kept=30, watchdog_minutes=5))
    dlg = NotificationsDialog(manager)
    qtbot.addWidget(dlg)
    assert dlg.addresses_edit.text() == "a@b.example.org"
    assert dlg.level_combo.currentData() == "info" and dlg.security_combo.currentData() == "ssl"
    assert dlg.host_edit.text() == "smtp.example.org" and dlg.user_edit.text() == "me"
    assert dlg.days_spin.value() == 30 and dlg.watchdog_spin.value() == 5
    assert dlg.port_spin.text() == "default (465)"
    assert dlg.password_edit.text() == ""


@pytest.mark.parametrize("field, text, message", [
    ("addresses_edit", "op@lab.example.org, not-an-address", "not a valid e-mail address: 'not-an-address'"),
    ("host_edit", "smtp server.org", "SMTP server must be a host name"),
    ("sender_edit", "me at lab", "not a valid e-mail address: 'me at lab'"),
])
def test_bad_input_is_named_and_nothing_changes(qtbot, dialog, manager, settings_dir, field, text, message):
    _fill_server(qtbot, dialog, 2525)
    _type(qtbot, getattr(dialog, field), text)
    _click_ok(qtbot, dialog)
    assert dialog.isVisible()
    assert dialog.error_label.isVisible() and message in dialog.error_label.text()
    assert manager.notify_address == [] and manager.notifications.smtp is None
    assert not (settings_dir / "labqueue" / "labqueue.ini").exists()


def test_addresses_without_a_server_are_refused(qtbot, dialog, manager):
    _type(qtbot, dialog.addresses_edit, "op@lab.example.org")
    _click_ok(qtbot, dialog)
    assert dialog.isVisible() and "enter the SMTP server" in dialog.error_label.text()
    assert manager.notify_address == []


def test_an_unusable_log_folder_is_refused(qtbot, dialog, manager, tmp_path):
    (tmp_path / "a-file").write_text("x")
    qtbot.keyClick(dialog.log_check, Qt.Key_Space)  # a wide row: its centre is not on the box
    _type(qtbot, dialog.log_dir_edit, str(tmp_path / "a-file" / "logs"))
    _click_ok(qtbot, dialog)
    assert dialog.isVisible() and "cannot write log files" in dialog.error_label.text()
    assert not manager.log_to_file


def test_level_off_sends_nothing_but_keeps_the_addresses(qtbot, dialog, manager):
    _fill_server(qtbot, dialog, 2525)
    _pick(qtbot, dialog.level_combo, "off")
    _click_ok(qtbot, dialog)
    assert manager.email_handler_level == EMAIL_OFF and not manager.notifications.email_active
    assert load_config().addresses == ("op@lab.example.org", "boss@lab.example.org")


def test_send_test_email_reports_success(qtbot, dialog, smtp_server):
    inbox, port = smtp_server
    _fill_server(qtbot, dialog, port)
    with qtbot.waitSignal(dialog._result.result_signal, timeout=15_000):
        qtbot.mouseClick(dialog.test_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled())
    assert dialog.test_status.text().startswith("Sent to op@lab.example.org")
    assert len(inbox.messages) == 1 and "Test e-mail" in inbox.messages[0]["Subject"]


def test_send_test_email_reports_the_error(qtbot, dialog):
    _fill_server(qtbot, dialog, free_port())  # nothing listens there
    with qtbot.waitSignal(dialog._result.result_signal, timeout=15_000):
        qtbot.mouseClick(dialog.test_button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "connection refused" in dialog.test_status.text())
    assert dialog.test_status.text().startswith("Failed:")


def test_send_test_email_does_not_block_the_window(qtbot, dialog):
    """A server that never answers: the click returns at once and the dialog stays usable."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted = threading.Event()
    connections = []

    def accept():
        conn, _ = listener.accept()
        connections.append(conn)
        accepted.set()

    acceptor = threading.Thread(target=accept, daemon=True)
    acceptor.start()
    try:
        _fill_server(qtbot, dialog, listener.getsockname()[1])
        qtbot.mouseClick(dialog.test_button, Qt.LeftButton)
        assert accepted.wait(10)
        assert dialog.is_testing and not dialog.test_button.isEnabled()
        assert dialog.test_status.text().startswith("Sending")
        _type(qtbot, dialog.user_edit, "still-typing")  # the GUI thread is free
        assert dialog.user_edit.text() == "still-typing"
    finally:
        for conn in connections:
            conn.close()
        listener.close()
        acceptor.join(5)
    qtbot.waitUntil(lambda: dialog.test_button.isEnabled(), timeout=15_000)
    assert dialog.test_status.text().startswith("Failed:")


def test_a_broken_saved_value_falls_back_to_its_default(manager):
    settings = app_settings()
    settings.setValue("notifications/level", "LOUD")
    settings.setValue("notifications/days_kept", "forever")
    settings.sync()
    config = load_config()
    assert config.level == "warnings" and config.days_kept == 365


def test_saved_settings_are_applied_at_start_up(make_manager, tmp_path):
    manager = make_manager()
    assert not apply_saved_config(manager)  # nothing saved yet: nothing changes
    save_config(NotificationConfig(log_to_file=True, log_dir=str(tmp_path / "logs"), watchdog_minutes=30))
    assert apply_saved_config(manager)
    assert manager.log_to_file and manager.log_file_dir == tmp_path / "logs"
    assert manager.notifications.watchdog_limit == 30 * 60


def test_a_saved_setting_that_no_longer_works_is_logged_not_raised(make_manager, tmp_path, caplog):
    (tmp_path / "a-file").write_text("x")
    save_config(NotificationConfig(log_to_file=True, log_dir=str(tmp_path / "a-file" / "logs")))
    manager = make_manager()
    assert not apply_saved_config(manager)
    assert not manager.log_to_file
    assert any("Saved notification settings not applied" in r.getMessage() for r in caplog.records)


def test_the_window_keeps_code_settings_and_opens_the_dialog_from_its_menu(qtbot, make_manager, tmp_path):
    from labqueue.gui.main_window import MainWindow

    manager = make_manager(log_file_dir=tmp_path / "from-code")
    window = MainWindow(manager)
    qtbot.addWidget(window)
    assert manager.log_to_file and manager.log_file_dir == tmp_path / "from-code"  # nothing saved: code stands
    action = next(a for a in window.menu("Settings").actions() if a.objectName() == "notifications_action")
    action.trigger()
    dialog = window.notifications_dialog
    qtbot.waitUntil(lambda: dialog.isVisible())
    qtbot.mouseClick(dialog.buttons.button(QDialogButtonBox.Cancel), Qt.LeftButton)
    qtbot.waitUntil(lambda: window.notifications_dialog is None)
    assert manager.log_file_dir == tmp_path / "from-code"
