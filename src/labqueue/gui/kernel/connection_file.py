"""Where the window's kernel writes its connection file, and clearing files left by crashed sessions.

The file is ``kernel-labqueue-<pid>.json`` in Jupyter's runtime directory
(``jupyter_core.paths.jupyter_runtime_dir()``; ``$JUPYTER_RUNTIME_DIR`` moves it). It holds the
five ports and the HMAC key: whoever can read it can run code as you, so it is mode 0600.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path

import psutil
from jupyter_core.paths import jupyter_runtime_dir

__all__ = ["FILE_PREFIX", "connection_file_path", "remove_stale_connection_files"]

logger = logging.getLogger("labqueue")

#: Every labqueue connection file starts with this; the pid follows.
FILE_PREFIX = "kernel-labqueue-"
_NAME = re.compile(re.escape(FILE_PREFIX) + r"(\d+)\.json")


def connection_file_path(pid: int | None = None) -> Path:
    """``<runtime dir>/kernel-labqueue-<pid>.json`` for this process (or ``pid``)."""
    return Path(jupyter_runtime_dir()) / f"{FILE_PREFIX}{os.getpid() if pid is None else pid}.json"


def remove_stale_connection_files() -> list[Path]:
    """Delete labqueue connection files whose process is gone (a crashed session); return them.

    A file named after *this* process is stale too (a crashed session that had our pid): its
    ports and key are never reused. Files of other running labqueue windows are left alone.
    """
    directory = Path(jupyter_runtime_dir())
    removed = []
    try:
        candidates = list(directory.glob(f"{FILE_PREFIX}*.json"))
    except OSError:
        return removed
    for path in candidates:
        match = _NAME.fullmatch(path.name)
        if match is None:
            continue
        pid = int(match.group(1))
        if pid != os.getpid() and psutil.pid_exists(pid):
            continue
        try:
            path.unlink()
        except FileNotFoundError:
            continue
        except OSError as exc:
            logger.warning("Could not remove the stale kernel connection file %s: %s", path, exc)
            continue
        removed.append(path)
    if removed:
        logger.info("Removed %d connection file(s) left by a labqueue session that ended without "
                    "cleaning up: %s", len(removed), ", ".join(p.name for p in removed))
    return removed
