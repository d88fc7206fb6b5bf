"""The examples of the customxepr.manager reference docs run unchanged apart from the import line.

The examples are read from the reference file (kept in ../shared/reference/ next to the repo), not
copied here. Only these edits are made: the import, the missing ':' after
``if manager.abort.is_set()``, and 1 s sleeps shortened to 10 ms.
"""

from __future__ import annotations

import doctest
import os
import subprocess
import sys
from pathlib import Path

import pytest

REFERENCE = Path(os.environ.get(
    "LABQUEUE_REFERENCE_DOCS",
    Path(__file__).resolve().parents[2] / "shared" / "reference" / "customxepr-manager-docs.txt"))


def _examples() -> list[str]:
    """The doc's example blocks as scripts; a block starts at each ``import time``."""
    if not REFERENCE.exists():
        if os.environ.get("CI"):  # CI always has shared/ beside the clone: a missing file is an error
            pytest.fail(f"reference docs not found at {REFERENCE}")
        pytest.skip(f"reference docs not found at {REFERENCE} (set LABQUEUE_REFERENCE_DOCS)")
    examples = doctest.DocTestParser().get_examples(REFERENCE.read_text(encoding="utf-8"))
    blocks: list[list[str]] = []
    for ex in examples:
        if ex.source.startswith("import time") or not blocks:
            blocks.append([])
        source = ex.source.replace("customxepr.manager", "labqueue.manager")
        source = source.replace("if manager.abort.is_set()\n", "if manager.abort.is_set():\n")
        source = source.replace("time.sleep(1)", "time.sleep(0.01)")
        blocks[-1].append(source)
    return ["".join(block) for block in blocks]


def _run(script: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = dict(os.environ, HOME=str(tmp_path), XDG_STATE_HOME=str(tmp_path / "state"),
               XDG_CACHE_HOME=str(tmp_path / "cache"))
    return subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=60,
                          env=env, cwd=tmp_path)


def test_the_reference_has_the_two_examples():
    blocks = _examples()
    assert len(blocks) == 2
    assert "@manager.queued_exec" in blocks[0] and "Experiment(" in blocks[1]


def test_decorator_example_prints_the_result_twice_the_same_object(tmp_path):
    proc = _run(_examples()[0], tmp_path)
    assert proc.returncode == 0, proc.stderr
    lines = proc.stdout.splitlines()
    # The doc shows "test succeeded"; the example returns its *args tuple, so Python prints the tuple.
    assert lines == ["('test succeeded',)", "True"]
    assert not any(tmp_path.iterdir()), "the example left files behind"


def test_experiment_example_queues_and_registers_abort_event(tmp_path):
    script = _examples()[1] + (
        "\nassert exp.result(timeout=10) == ('test succeeded',)"
        "\nassert manager.abort_events == [manager.abort, abort_event]"
        "\nprint(exp.status.name)\n")
    proc = _run(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines() == ["FINISHED"]


def test_a_script_that_ends_with_queued_jobs_runs_them_before_exit(tmp_path):
    """Like ThreadPoolExecutor: leaving the interpreter waits for queued jobs, then joins."""
    out = tmp_path / "ran.txt"
    script = (
        "from labqueue.manager import Manager\n"
        "manager = Manager()\n"
        f"write = manager.queued_exec(lambda i: open({str(out)!r}, 'a').write(f'{{i}}\\n'))\n"
        "for i in range(3):\n"
        "    write(i)\n")
    proc = _run(script, tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert out.read_text().split() == ["0", "1", "2"]
    assert "Destroyed while thread" not in proc.stderr
