"""Shared fixtures: a Manager that is always shut down, and a check that no worker thread leaks."""

from __future__ import annotations

import os
import shutil

# GUI tests run under Xvfb (pytest-xvfb starts it). Without Xvfb and without a display, fall back
# to Qt's offscreen platform so the suite still runs.
if not os.environ.get("DISPLAY") and not shutil.which("Xvfb"):
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest  # noqa: E402

from labqueue.manager import Manager, live_managers  # noqa: E402


@pytest.fixture
def make_manager():
    """Factory for Managers; every one is aborted, shut down and joined after the test."""
    made: list[Manager] = []

    def factory(**kwargs) -> Manager:
        m = Manager(**kwargs)
        made.append(m)
        return m

    yield factory
    for m in made:
        assert m.shutdown(wait=True, timeout=10, abort=True), f"worker of {m!r} did not stop"


@pytest.fixture
def manager(make_manager) -> Manager:
    """A fresh Manager (pause_on_failure as by default)."""
    return make_manager()


@pytest.fixture(autouse=True)
def _jupyter_runtime_dir(tmp_path_factory, monkeypatch):
    """Kernel connection files (the console's kernel) go to a fresh directory, never the user's."""
    monkeypatch.setenv("JUPYTER_RUNTIME_DIR", str(tmp_path_factory.mktemp("jupyter_runtime")))


@pytest.fixture(autouse=True)
def _no_thread_left_running():
    """Fail a test that leaves a Manager's worker QThread running."""
    yield
    leaked = live_managers()
    for m in leaked:
        m.shutdown(wait=True, timeout=10, abort=True)
    assert not leaked, f"test left {len(leaked)} worker thread(s) running: {leaked}"
