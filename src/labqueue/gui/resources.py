"""Find the files in ``resources/`` (icons, stylesheet) and load icons from them.

An installed wheel ships them as ``labqueue/resources/`` (pyproject ``force-include``); an editable
install reads the source tree's top-level ``resources/``.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from qtpy.QtGui import QIcon

import labqueue

__all__ = ["resource_dirs", "resource_path", "icon"]


def resource_dirs() -> list[Path]:
    """Directories searched for resources, in order: the installed package's, then the source tree's."""
    package_dir = Path(labqueue.__file__).resolve().parent
    return [package_dir / "resources", package_dir.parent.parent / "resources"]


def resource_path(name: str) -> Path:
    """Path of the resource ``name`` (e.g. ``"icons/pause.svg"``); FileNotFoundError if none exists."""
    for directory in resource_dirs():
        path = directory / name
        if path.is_file():
            return path
    searched = ", ".join(str(d) for d in resource_dirs())
    raise FileNotFoundError(f"labqueue resource {name!r} not found (searched {searched})")


@cache
def icon(name: str) -> QIcon:
    """The icon ``resources/icons/<name>.svg`` (e.g. ``icon("pause")``, ``icon("status-failed")``)."""
    return QIcon(str(resource_path(f"icons/{name}.svg")))
