"""labqueue works without a GUI: no QApplication, no display, no side effects on import."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[1] / "src" / "labqueue"


def _run(code: str, tmp_path: Path, **extra_env: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(HOME=str(tmp_path / "home"), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CONFIG_HOME=str(tmp_path / "config"), XDG_CACHE_HOME=str(tmp_path / "cache"),
               XDG_DATA_HOME=str(tmp_path / "data"), **extra_env)
    (tmp_path / "home").mkdir()
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                          env=env, cwd=tmp_path / "home")


def test_import_creates_no_files_dirs_or_logging_handlers(tmp_path):
    code = (
        "import logging\n"
        "import labqueue, labqueue.manager, labqueue.experiment, labqueue.worker\n"
        "import labqueue.notifications.settings\n"
        "assert logging.getLogger('labqueue').handlers == [], logging.getLogger('labqueue').handlers\n"
        "assert logging.getLogger().handlers == [], logging.getLogger().handlers\n"
        "import sys; assert 'qtpy.QtWidgets' not in sys.modules and 'PyQt5.QtWidgets' not in sys.modules\n"
        "print('ok')\n")
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home"]
    assert not any((tmp_path / "home").iterdir())


def test_manager_runs_jobs_with_no_qapplication_and_no_display(tmp_path):
    code = (
        "from qtpy.QtCore import QCoreApplication\n"
        "from labqueue.manager import Manager\n"
        "with Manager() as m:\n"
        "    exp = m.queued_exec(pow)(3, 3)\n"
        "    print(exp.result(timeout=10))\n"
        "    m2 = Manager()\n"
        "    print(m2.queued_exec(str)(7).result(timeout=10))\n"
        "    m2.shutdown()\n"
        "assert QCoreApplication.instance() is None\n")
    proc = _run(code, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.split() == ["27", "7"]
    assert not any((tmp_path / "home").iterdir())
    assert "QThread" not in proc.stderr


def _qt_imports(path: Path) -> set[str]:
    names = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
    return names


def _engine_packages() -> list[Path]:
    """Subpackages of the engine (every one but gui/)."""
    return [p for p in SRC.iterdir() if p.is_dir() and p.name != "gui" and (p / "__init__.py").exists()]


def test_engine_modules_use_qtcore_only():
    engine = [p for p in SRC.glob("*.py") if p.name != "__main__.py"]  # __main__ starts the app
    engine += [p for package in _engine_packages() for p in package.rglob("*.py")]
    assert len(engine) >= 5
    for path in engine:
        imports = _qt_imports(path)
        forbidden = {n for n in imports if any(part in n for part in ("QtWidgets", "QtGui", "labqueue.gui"))}
        assert not forbidden, f"{path.name} imports {forbidden}"
        direct = {n for n in imports if n.split(".")[0] in ("PyQt5", "PyQt6", "PySide2", "PySide6")}
        assert not direct, f"{path.name} imports a Qt binding directly: {direct}"


def test_import_contract_names_every_engine_module():
    tomllib = pytest.importorskip("tomllib")  # Python 3.11+
    config = tomllib.loads((SRC.parents[1] / "pyproject.toml").read_text(encoding="utf-8"))
    contract = config["tool"]["importlinter"]["contracts"][0]
    engine = {f"labqueue.{p.stem}" for p in SRC.glob("*.py") if p.stem not in ("__init__", "__main__")}
    engine |= {f"labqueue.{p.name}" for p in _engine_packages()}
    assert engine == set(contract["source_modules"]), "add new engine modules to pyproject's contract"
