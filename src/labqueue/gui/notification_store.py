"""The saved notification settings: :class:`NotificationConfig`, loaded from and saved to QSettings.

Everything but the password, which lives in the keyring (or ``LABQUEUE_SMTP_PASSWORD``).
``config.apply_to(manager)`` checks every field before it changes anything.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, replace
from pathlib import Path

from qtpy.QtCore import QSettings

from labqueue.gui.app_settings import app_settings
from labqueue.manager import Manager
from labqueue.notifications import EMAIL_OFF
from labqueue.notifications.log_files import DEFAULT_DAYS_KEPT, check_days
from labqueue.notifications.settings import check_addresses, default_log_dir
from labqueue.notifications.smtp import DEFAULT_PORTS, SECURITY_MODES, SmtpSettings
from labqueue.notifications.watchdog import check_limit

__all__ = ["NotificationConfig", "LEVELS", "load_config", "save_config", "has_saved_config", "apply_saved_config",
           "GROUP"]

logger = logging.getLogger("labqueue")

#: The e-mail levels a user picks from: name -> logging level.
LEVELS = {"errors": logging.ERROR, "warnings": logging.WARNING, "info": logging.INFO, "off": EMAIL_OFF}
#: QSettings group of these settings.
GROUP = "notifications"


@dataclass(frozen=True)
class NotificationConfig:
    """What the Notifications dialog edits. ``port`` 0 means the usual port for ``security``;
    ``log_dir`` "" the default log directory; ``watchdog_minutes`` 0 no watchdog."""

    addresses: tuple[str, ...] = ()
    level: str = "warnings"
    host: str = ""
    port: int = 0
    security: str = "starttls"
    user: str = ""
    sender: str = ""
    log_to_file: bool = False
    log_dir: str = ""
    days_kept: int = DEFAULT_DAYS_KEPT
    watchdog_minutes: float = 0.0

    # ----------------------------------------------------------------- checking
    def checked(self) -> NotificationConfig:
        """The same settings, normalised; ``ValueError`` naming the first bad field."""
        addresses = tuple(check_addresses(list(self.addresses)))
        level = self.level.strip().lower()
        if level not in LEVELS:
            raise ValueError(f"unknown e-mail level {self.level!r}; choose one of {', '.join(LEVELS)}")
        smtp = self._smtp(self.host.strip())
        if addresses and level != "off" and smtp is None:
            raise ValueError("enter the SMTP server that sends the e-mails (e.g. smtp.your-institute.org)")
        check_days(self.days_kept)
        if self.watchdog_minutes:
            check_limit(self.watchdog_minutes * 60)
        elif self.watchdog_minutes != 0:
            raise ValueError(f"watchdog limit must be a positive number of minutes, got {self.watchdog_minutes!r}")
        return replace(self, addresses=addresses, level=level, host=self.host.strip(), user=self.user.strip(),
                       sender=self.sender.strip(), log_dir=self.log_dir.strip())

    def _smtp(self, host: str) -> SmtpSettings | None:
        if not host:
            return None
        return SmtpSettings(host, self.port or None, self.security, self.user, self.sender)

    def smtp_settings(self, password: str | None = None) -> SmtpSettings | None:
        """The mail server, or None when no host is set (``ValueError`` if a field is bad)."""
        smtp = self._smtp(self.host.strip())
        return None if smtp is None else replace(smtp, password=password or None)

    @property
    def log_path(self) -> Path:
        return Path(self.log_dir).expanduser() if self.log_dir else default_log_dir()

    # ----------------------------------------------------------------- applying
    def apply_to(self, manager: Manager) -> None:
        """Set these settings on ``manager``. On ``ValueError`` / ``OSError`` nothing has changed."""
        config = self.checked()
        smtp = config.smtp_settings()
        changes = dict(log_to_file=config.log_to_file, days_kept=config.days_kept,
                       watchdog_limit=config.watchdog_minutes * 60 or None, smtp=smtp,
                       email_level=LEVELS[config.level],
                       notify_address=list(config.addresses) if smtp is not None else [])
        if config.log_to_file:
            changes["log_file_dir"] = config.log_path
        manager.notifications.update(**changes)  # all checked first, applied together


def _read(settings: QSettings, key: str, default, kind):
    value = settings.value(key, default)
    try:
        if kind is bool:
            return value if isinstance(value, bool) else str(value).strip().lower() in ("true", "1", "yes")
        if kind is tuple:
            if isinstance(value, str):
                value = value.replace(";", ",").split(",")
            return tuple(str(v).strip() for v in (value or ()) if str(v).strip())
        return kind(value)
    except (TypeError, ValueError):
        return default


def has_saved_config(settings: QSettings | None = None) -> bool:
    """True once the user has saved notification settings (before that, code's settings stand)."""
    settings = settings if settings is not None else app_settings()
    return GROUP in settings.childGroups()


def apply_saved_config(manager: Manager, settings: QSettings | None = None) -> bool:
    """At start-up: apply the saved settings, if the user saved any (else code's settings stand).

    A saved setting that no longer works (e.g. the log folder is gone) is logged, not raised.
    Returns whether settings were applied.
    """
    if not has_saved_config(settings):
        return False
    try:
        load_config(settings).apply_to(manager)
    except (ValueError, OSError) as exc:
        logger.warning("Saved notification settings not applied (fix them in Settings → Notifications…): %s",
                       exc)
        return False
    return True


def load_config(settings: QSettings | None = None) -> NotificationConfig:
    """The saved settings (defaults for missing ones; a bad saved value falls back to its default)."""
    settings = settings if settings is not None else app_settings()
    d = NotificationConfig()
    settings.beginGroup(GROUP)
    try:
        config = NotificationConfig(
            addresses=_read(settings, "addresses", d.addresses, tuple),
            level=_read(settings, "level", d.level, str),
            host=_read(settings, "smtp_host", d.host, str),
            port=_read(settings, "smtp_port", d.port, int),
            security=_read(settings, "smtp_security", d.security, str),
            user=_read(settings, "smtp_user", d.user, str),
            sender=_read(settings, "sender", d.sender, str),
            log_to_file=_read(settings, "log_to_file", d.log_to_file, bool),
            log_dir=_read(settings, "log_dir", d.log_dir, str),
            days_kept=_read(settings, "days_kept", d.days_kept, int),
            watchdog_minutes=_read(settings, "watchdog_minutes", d.watchdog_minutes, float),
        )
    finally:
        settings.endGroup()
    if config.level not in LEVELS:
        config = replace(config, level=d.level)
    if config.security not in SECURITY_MODES:
        config = replace(config, security=d.security)
    return config


def save_config(config: NotificationConfig, settings: QSettings | None = None) -> None:
    """Save the settings (never a password)."""
    settings = settings if settings is not None else app_settings()
    settings.beginGroup(GROUP)
    try:
        settings.setValue("addresses", ", ".join(config.addresses))
        settings.setValue("level", config.level)
        settings.setValue("smtp_host", config.host)
        settings.setValue("smtp_port", int(config.port))
        settings.setValue("smtp_security", config.security)
        settings.setValue("smtp_user", config.user)
        settings.setValue("sender", config.sender)
        settings.setValue("log_to_file", bool(config.log_to_file))
        settings.setValue("log_dir", config.log_dir)
        settings.setValue("days_kept", int(config.days_kept))
        settings.setValue("watchdog_minutes", float(config.watchdog_minutes))
    finally:
        settings.endGroup()
    settings.sync()


def default_port(security: str) -> int:
    """The usual port for a security mode (shown as the port box's hint)."""
    return DEFAULT_PORTS.get(security, 587)
