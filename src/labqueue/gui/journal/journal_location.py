"""Which journal file the window uses: ``labqueue --history FILE``, else Settings, else the user data folder."""

from __future__ import annotations

from pathlib import Path

import platformdirs

from labqueue.gui.app_settings import app_settings

__all__ = ["SETTINGS_KEY", "WINDOW_HISTORY_LIMIT", "default_journal_path", "saved_journal_path",
           "set_saved_journal_path", "window_journal_path"]

#: QSettings key of the journal chosen in Settings → History file….
SETTINGS_KEY = "history/file"
#: Done jobs the window keeps in memory and in its table (older ones stay in the journal).
WINDOW_HISTORY_LIMIT = 10_000


def default_journal_path() -> Path:
    """``journal.sqlite`` in the user data folder (``~/.local/share/labqueue`` on Linux)."""
    return Path(platformdirs.user_data_dir("labqueue", appauthor=False)) / "journal.sqlite"


def saved_journal_path() -> Path | None:
    """The journal chosen in Settings, or None."""
    value = app_settings().value(SETTINGS_KEY)
    return Path(value).expanduser() if isinstance(value, str) and value.strip() else None


def set_saved_journal_path(path: str | Path | None) -> None:
    """Remember ``path`` as the window's journal from the next start (None: back to the default)."""
    settings = app_settings()
    if path is None:
        settings.remove(SETTINGS_KEY)
    else:
        settings.setValue(SETTINGS_KEY, str(Path(path).expanduser()))
    settings.sync()


def window_journal_path(command_line: str | None = None) -> Path:
    """The journal for a new window: the command line's, else the one from Settings, else the default."""
    if command_line:
        return Path(command_line).expanduser()
    return saved_journal_path() or default_journal_path()
