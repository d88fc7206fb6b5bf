"""Settings → Notifications…: e-mail addresses and level, mail server, log files, watchdog.

OK checks every field first; a bad one is named in red and nothing changes (not the Manager,
not the saved settings, not the keyring). "Send test e-mail" sends with the fields as they are
now, on a background thread, and shows the server's answer.
"""

from __future__ import annotations

import threading

from qtpy.QtCore import QObject, Qt, Signal
from qtpy.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QDoubleSpinBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QSpinBox,
    QVBoxLayout,
    QWidget,
)

from labqueue.gui.notification_store import NotificationConfig, default_port, load_config, save_config
from labqueue.manager import Manager
from labqueue.notifications import credentials as smtp_credentials
from labqueue.notifications.settings import default_log_dir
from labqueue.notifications.smtp import EmailError

__all__ = ["NotificationsDialog"]

_LEVEL_ITEMS = (("Errors", "errors"), ("Warnings", "warnings"), ("Info (every job)", "info"), ("Off", "off"))
_SECURITY_ITEMS = (("STARTTLS", "starttls"), ("SSL/TLS", "ssl"), ("None (plain)", "plain"))
_ERROR_STYLE = "color: #b00020;"
_OK_STYLE = "color: #1b5e20;"


class _TestMailResult(QObject):
    """Carries the background test send's outcome to the GUI thread."""

    result_signal = Signal(bool, str)


class NotificationsDialog(QDialog):
    """Edit, save and apply the notification settings of ``manager``."""

    def __init__(self, manager: Manager, parent: QWidget | None = None, settings=None):
        super().__init__(parent)
        self.setObjectName("notifications_dialog")
        self.setWindowTitle("Notifications")
        self._manager = manager
        self._settings = settings
        self._test_thread: threading.Thread | None = None
        self._result = _TestMailResult()
        self._result.result_signal.connect(self._show_test_result, Qt.QueuedConnection)
        self._build()
        self.set_fields(load_config(settings))

    # ----------------------------------------------------------------- building
    def _line(self, name: str, placeholder: str = "") -> QLineEdit:
        edit = QLineEdit(self)
        edit.setObjectName(name)
        edit.setPlaceholderText(placeholder)
        return edit

    def _combo(self, name: str, items) -> QComboBox:
        combo = QComboBox(self)
        combo.setObjectName(name)
        for text, data in items:
            combo.addItem(text, data)
        return combo

    def _build(self) -> None:
        mail = QGroupBox("E-mail", self)
        form = QFormLayout(mail)
        self.addresses_edit = self._line("addresses_edit", "you@institute.org, colleague@institute.org")
        self.addresses_edit.setToolTip("Who gets the e-mails; separate several addresses with commas.")
        form.addRow("Send to:", self.addresses_edit)
        self.level_combo = self._combo("level_combo", _LEVEL_ITEMS)
        self.level_combo.setToolTip("Errors: failed jobs. Warnings: also aborted jobs, watchdog and job "
                                    "warnings. Info: every job start and end. Off: no e-mail.")
        form.addRow("E-mail about:", self.level_combo)

        server = QGroupBox("Mail server (SMTP)", self)
        form = QFormLayout(server)
        self.host_edit = self._line("host_edit", "smtp.institute.org")
        form.addRow("Server:", self.host_edit)
        self.security_combo = self._combo("security_combo", _SECURITY_ITEMS)
        form.addRow("Security:", self.security_combo)
        self.port_spin = QSpinBox(self)
        self.port_spin.setObjectName("port_spin")
        self.port_spin.setRange(0, 65535)
        form.addRow("Port:", self.port_spin)
        self.security_combo.currentIndexChanged.connect(self._update_port_hint)
        self.user_edit = self._line("user_edit", "login name (empty: no login)")
        form.addRow("User:", self.user_edit)
        self.password_edit = self._line("password_edit")
        self.password_edit.setEchoMode(QLineEdit.Password)
        form.addRow("Password:", self.password_edit)
        self.password_hint = QLabel(self)
        self.password_hint.setObjectName("password_hint")
        self.password_hint.setStyleSheet("color: palette(mid);")
        form.addRow("", self.password_hint)
        self.sender_edit = self._line("sender_edit", "labqueue@institute.org (empty: the user name)")
        form.addRow("From:", self.sender_edit)
        self.test_button = QPushButton("Send test e-mail", self)
        self.test_button.setObjectName("test_button")
        self.test_button.clicked.connect(self.send_test_email)
        self.test_status = QLabel(self)
        self.test_status.setObjectName("test_status")
        self.test_status.setWordWrap(True)
        self.test_status.setTextInteractionFlags(Qt.TextSelectableByMouse)
        # The server's answer gets a row of its own, the dialog's full width: a long reply wraps
        # instead of being clipped next to the button.
        self.test_status.setSizePolicy(QSizePolicy.Ignored, QSizePolicy.Preferred)
        form.addRow(self.test_button)
        form.addRow(self.test_status)

        files = QGroupBox("Log files and watchdog", self)
        form = QFormLayout(files)
        self.log_check = QCheckBox("Write a log file per day", self)
        self.log_check.setObjectName("log_check")
        form.addRow(self.log_check)
        row = QHBoxLayout()
        self.log_dir_edit = self._line("log_dir_edit", str(default_log_dir()))
        browse = QPushButton("Browse…", self)
        browse.setObjectName("browse_button")
        browse.clicked.connect(self._browse)
        row.addWidget(self.log_dir_edit)
        row.addWidget(browse)
        form.addRow("Folder:", row)
        self.days_spin = QSpinBox(self)
        self.days_spin.setObjectName("days_spin")
        self.days_spin.setRange(1, 36500)
        self.days_spin.setSuffix(" days")
        form.addRow("Keep:", self.days_spin)
        self.watchdog_spin = QDoubleSpinBox(self)
        self.watchdog_spin.setObjectName("watchdog_spin")
        self.watchdog_spin.setRange(0, 100000)
        self.watchdog_spin.setDecimals(1)
        self.watchdog_spin.setPrefix("warn when a job runs longer than ")
        self.watchdog_spin.setSuffix(" min")
        self.watchdog_spin.setSpecialValueText("off")
        self.watchdog_spin.setToolTip("Warn (log and e-mail, once) when a job runs longer than this.")
        form.addRow("Watchdog:", self.watchdog_spin)

        self.error_label = QLabel(self)
        self.error_label.setObjectName("error_label")
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(_ERROR_STYLE)
        self.error_label.hide()
        self.buttons = QDialogButtonBox(QDialogButtonBox.Ok | QDialogButtonBox.Cancel, self)
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        self.setMinimumWidth(680)
        layout = QVBoxLayout(self)
        for widget in (mail, server, files, self.error_label, self.buttons):
            layout.addWidget(widget)
        self._update_password_hint()

    def _update_port_hint(self) -> None:
        self.port_spin.setSpecialValueText(f"default ({default_port(self.security_combo.currentData())})")

    def _update_password_hint(self) -> None:
        if smtp_credentials.keyring_available():
            self.password_hint.setText("Kept in the system keyring, never in a file (empty: keep the stored one).")
            self.password_edit.setEnabled(True)
        else:
            self.password_hint.setText(f"No keyring here: set {smtp_credentials.ENV_VAR}")
            self.password_hint.setToolTip(f"Set the environment variable {smtp_credentials.ENV_VAR} to the "
                                          f"password before starting labqueue; it is never saved to a file.")
            self.password_edit.setEnabled(False)

    def _browse(self) -> None:
        start = self.log_dir_edit.text() or str(default_log_dir())
        chosen = QFileDialog.getExistingDirectory(self, "Folder for log files", start)
        if chosen:
            self.log_dir_edit.setText(chosen)

    # ----------------------------------------------------------------- fields
    def set_fields(self, config: NotificationConfig) -> None:
        """Show ``config`` in the widgets."""
        self.addresses_edit.setText(", ".join(config.addresses))
        self.level_combo.setCurrentIndex(max(0, self.level_combo.findData(config.level)))
        self.host_edit.setText(config.host)
        self.security_combo.setCurrentIndex(max(0, self.security_combo.findData(config.security)))
        self._update_port_hint()
        self.port_spin.setValue(config.port)
        self.user_edit.setText(config.user)
        self.sender_edit.setText(config.sender)
        self.log_check.setChecked(config.log_to_file)
        self.log_dir_edit.setText(config.log_dir)
        self.days_spin.setValue(config.days_kept)
        self.watchdog_spin.setValue(config.watchdog_minutes)

    def config_from_fields(self) -> NotificationConfig:
        """The settings as typed (not checked yet)."""
        addresses = tuple(a.strip() for a in self.addresses_edit.text().replace(";", ",").split(",") if a.strip())
        return NotificationConfig(
            addresses=addresses, level=self.level_combo.currentData(), host=self.host_edit.text(),
            port=self.port_spin.value(), security=self.security_combo.currentData(), user=self.user_edit.text(),
            sender=self.sender_edit.text(), log_to_file=self.log_check.isChecked(),
            log_dir=self.log_dir_edit.text(), days_kept=self.days_spin.value(),
            watchdog_minutes=self.watchdog_spin.value())

    def _show_error(self, text: str) -> None:
        self.error_label.setText(text)
        self.error_label.setVisible(bool(text))

    # ----------------------------------------------------------------- OK
    def accept(self) -> None:
        """Check, apply to the Manager, keep the password, save; on a bad field say so and stay open."""
        password = self.password_edit.text()
        try:
            config = self.config_from_fields().checked()
            if password and not config.user:
                raise ValueError("enter the SMTP user name that goes with the password")
            if password and not smtp_credentials.keyring_available():
                raise ValueError(f"no system keyring to keep the password: clear the field and set "
                                 f"{smtp_credentials.ENV_VAR} instead")
            config.apply_to(self._manager)
            if password:
                smtp_credentials.store_password(config.host, config.user, password)
        except (ValueError, OSError, smtp_credentials.CredentialError) as exc:
            self._show_error(f"Not saved: {exc}")
            return
        save_config(config, self._settings)
        self.password_edit.clear()
        self._show_error("")
        super().accept()

    # ----------------------------------------------------------------- test e-mail
    def send_test_email(self) -> None:
        """Send a test message with the current fields, off the GUI thread; the answer shows below."""
        if self.is_testing:
            return
        try:
            config = self.config_from_fields().checked()
            smtp = config.smtp_settings(password=self.password_edit.text())
            if not config.addresses:
                raise ValueError("enter at least one address to send to")
            if smtp is None:
                raise ValueError("enter the SMTP server")
        except ValueError as exc:
            self._set_test_status(False, str(exc))
            return
        self._show_error("")  # a complaint about an earlier OK no longer applies
        self.test_button.setEnabled(False)
        self.test_status.setStyleSheet("")
        self._set_status_text(f"Sending to {', '.join(config.addresses)}…")
        notifications, recipients, result = self._manager.notifications, list(config.addresses), self._result

        def send() -> None:
            try:
                notifications.send_test_email(recipients, smtp)
                outcome = (True, f"Sent to {', '.join(recipients)}. Check the inbox.")
            except EmailError as exc:
                outcome = (False, str(exc))
            except Exception as exc:  # noqa: BLE001 - report anything, never crash the thread
                outcome = (False, f"{type(exc).__name__}: {exc}")
            result.result_signal.emit(*outcome)

        self._test_thread = threading.Thread(target=send, name="labqueue-test-mail", daemon=True)
        self._test_thread.start()

    @property
    def is_testing(self) -> bool:
        return self._test_thread is not None and self._test_thread.is_alive()

    def wait_for_test_email(self, timeout: float | None = None) -> bool:
        """Join the test-mail thread (it ends within the SMTP timeout); True if it has ended."""
        if self._test_thread is not None:
            self._test_thread.join(timeout)
        return not self.is_testing

    def _show_test_result(self, ok: bool, text: str) -> None:
        self.test_button.setEnabled(True)
        self._set_test_status(ok, text)

    def _set_test_status(self, ok: bool, text: str) -> None:
        self.test_status.setStyleSheet(_OK_STYLE if ok else _ERROR_STYLE)
        self._set_status_text(text if ok else f"Failed: {text}")

    def _set_status_text(self, text: str) -> None:
        """Show the test's answer whole: the label claims the height its wrapped lines need."""
        label = self.test_status
        label.setText(text)
        # Layouts do not pass a wrapped label's height-for-width up through the group box, so the
        # label says how tall it must be; the dialog grows to fit it.
        label.setMinimumHeight(label.heightForWidth(max(label.width(), 300)))
