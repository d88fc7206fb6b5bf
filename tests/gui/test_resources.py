"""Icons load from resources/, and a built wheel ships them where resource_path() looks."""

from __future__ import annotations

import re
import zipfile
from pathlib import Path

import pytest

from labqueue.gui import resources
from labqueue.gui.resources import icon, resource_path

REPO = Path(__file__).resolve().parents[2]
SRC = REPO / "src" / "labqueue"


def _icon_names_used_in_the_code() -> set[str]:
    names = set()
    for path in SRC.rglob("*.py"):
        names |= set(re.findall(r"""\bicon\(\s*["']([\w-]+)["']\s*\)""", path.read_text(encoding="utf-8")))
    return names


def test_every_icon_the_code_asks_for_exists_and_loads(qapp):
    names = _icon_names_used_in_the_code() | {f"status-{s}" for s in
                                               ("queued", "running", "finished", "failed", "aborted", "cancelled")}
    assert {"pause", "resume", "abort", "clear", "labqueue"} <= names
    for name in sorted(names):
        assert resource_path(f"icons/{name}.svg").is_file()
        assert not icon(name).pixmap(16, 16).isNull(), name


def test_a_missing_resource_says_where_it_looked():
    with pytest.raises(FileNotFoundError, match="no-such.svg"):
        resource_path("icons/no-such.svg")


def test_installed_layout_is_preferred(tmp_path, monkeypatch):
    """In an installed wheel the package's own resources/ is used (there is no source tree)."""
    package = tmp_path / "site-packages" / "labqueue"
    (package / "resources" / "icons").mkdir(parents=True)
    (package / "resources" / "icons" / "pause.svg").write_text("<svg/>")
    (package / "__init__.py").write_text("")
    monkeypatch.setattr(resources.labqueue, "__file__", str(package / "__init__.py"))
    assert resource_path("icons/pause.svg") == package / "resources" / "icons" / "pause.svg"
    with pytest.raises(FileNotFoundError):
        resource_path("icons/abort.svg")  # not in the fake package, and no source tree next to it


def test_the_wheel_ships_the_icons_under_labqueue_resources(tmp_path):
    from hatchling.builders.wheel import WheelBuilder  # the build backend, in the test extras

    wheel = WheelBuilder(str(REPO)).build(directory=str(tmp_path), versions=["standard"])
    (wheel_path,) = list(wheel)
    names = set(zipfile.ZipFile(wheel_path).namelist())
    for svg in (REPO / "resources" / "icons").glob("*.svg"):
        assert f"labqueue/resources/icons/{svg.name}" in names
    assert "labqueue/gui/resources.py" in names
