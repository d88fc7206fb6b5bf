"""Validation and defaults for the notification settings of a Manager (no I/O on import)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable
from pathlib import Path

import platformdirs

__all__ = ["check_addresses", "check_level", "default_log_dir", "LEVEL_NAMES"]

# Deliberately simple: one @, no spaces, a dot in the domain. Catches typos, not every RFC corner.
_ADDRESS = re.compile(r"^[^@\s<>,;]+@[^@\s<>,;]+\.[^@\s<>,;.]+$")

#: Names a user may give for ``email_handler_level``.
LEVEL_NAMES = {"DEBUG": logging.DEBUG, "INFO": logging.INFO, "WARNING": logging.WARNING,
               "ERROR": logging.ERROR, "CRITICAL": logging.CRITICAL}


def check_addresses(addresses: Iterable[str] | str | None) -> list[str]:
    """Return the addresses as a list; ``ValueError`` naming the first malformed one."""
    if addresses is None:
        return []
    if isinstance(addresses, str):
        addresses = [addresses]
    result = []
    for address in addresses:
        if not isinstance(address, str):
            raise TypeError(f"e-mail addresses must be strings, got {type(address).__name__}: {address!r}")
        address = address.strip()
        if not _ADDRESS.match(address):
            raise ValueError(f"not a valid e-mail address: {address!r} (expected name@domain.org)")
        result.append(address)
    return result


def check_level(level: int | str) -> int:
    """Return a logging level number from a number or a name; ``ValueError`` if unknown."""
    if isinstance(level, str):
        name = level.strip().upper()
        if name not in LEVEL_NAMES:
            raise ValueError(f"unknown logging level {level!r}; use one of {', '.join(LEVEL_NAMES)}")
        return LEVEL_NAMES[name]
    if isinstance(level, bool) or not isinstance(level, int):
        raise TypeError(f"logging level must be an int or a name, got {type(level).__name__}")
    if not 0 <= level <= 100:
        raise ValueError(f"logging level {level} is out of range (use logging.WARNING etc.)")
    return level


def default_log_dir() -> Path:
    """The platform's user log directory for labqueue (not created here)."""
    return Path(platformdirs.user_log_dir("labqueue", appauthor=False, ensure_exists=False))
