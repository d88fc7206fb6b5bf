"""The one place the GUI's QSettings live: organization "labqueue", application "labqueue".

Always INI format, so tests can redirect it with
``QSettings.setPath(QSettings.IniFormat, QSettings.UserScope, tmp_path)`` on every platform.
"""

from __future__ import annotations

from qtpy.QtCore import QSettings

ORGANIZATION = "labqueue"
APPLICATION = "labqueue"

__all__ = ["ORGANIZATION", "APPLICATION", "app_settings"]


def app_settings() -> QSettings:
    """The user's labqueue settings (on Linux ``~/.config/labqueue/labqueue.ini``)."""
    return QSettings(QSettings.IniFormat, QSettings.UserScope, ORGANIZATION, APPLICATION)
