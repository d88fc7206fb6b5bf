"""The benchmarks still run: every figure at tiny sizes (``run.py --quick``), and the table/README code.

Nothing here asserts on a time: quick figures mean nothing. It checks that each of the eight
figures is produced with a value, a baseline and a verdict, and that the README block is replaced.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

BENCH_DIR = Path(__file__).resolve().parents[1] / "benchmarks"
sys.path.insert(0, str(BENCH_DIR))

from figure import Check, Figure, not_measured  # noqa: E402
from report import END_MARK, START_MARK, markdown_table, update_readme  # noqa: E402

EXPECTED_KEYS = {"1", "1-ref", "2", "2-app", "3a", "3b", "4", "5a", "5b", "5c", "5d",
                 "6a", "6b", "6c", "6d", "6e", "6f", "7", "8", "9a", "9b", "9c", "9d", "9e",
                 "J1", "J2", "J3"}


@pytest.fixture
def quick_results(tmp_path_factory) -> dict:
    """``run.py --quick`` in subprocesses (as ``make bench`` runs it), results in a temporary file."""
    import run

    out = tmp_path_factory.mktemp("bench") / "quick.json"
    assert run.main(["--quick", "--results", str(out)]) == 0
    return json.loads(out.read_text())


def test_quick_run_produces_every_figure(quick_results):
    figures = {f["key"]: f for f in quick_results["figures"]}
    assert set(figures) == EXPECTED_KEYS
    for key, fig in figures.items():
        assert fig["value"] is not None and fig["value"] > 0, f"figure {key}: {fig['reason']}"
        assert fig["baseline"] is not None and fig["baseline"] > 0, key
        assert fig["ratio"] == pytest.approx(fig["value"] / fig["baseline"])
        if fig["checks"]:
            assert fig["passed"] in (True, False), key
            assert (fig["passed"] is False) == bool(fig["reason"]), f"figure {key}: a miss needs a reason"
        else:
            assert fig["passed"] is None, key
    assert quick_results["machine"]["quick"] is True
    assert quick_results["machine"]["nproc"] >= 1


def test_checks_decide_pass_and_miss():
    fast = Figure("x", "t", "jobs/s", value=150.0, baseline=100.0, checks=[Check("ratio", ">=", 1.0)]).evaluate()
    slow = Figure("x", "t", "jobs/s", value=50.0, baseline=100.0, checks=[Check("ratio", ">=", 1.0)]).evaluate()
    both = Figure("x", "t", "ms", value=30.0, baseline=10.0,
                  checks=[Check("value", "<", 500.0), Check("ratio", "<=", 3.0)]).evaluate()
    assert (fast.passed, slow.passed, both.passed) == (True, False, True)
    assert both.target_text == "< 500 ms and ratio <= 3"
    assert Figure.from_json(json.loads(json.dumps(slow.to_json()))) == slow
    missing = not_measured("8", "Cold start", "s", "no app yet", [Check("value", "<", 2.0)]).evaluate()
    assert missing.passed is None and missing.reason == "not measured: no app yet"


def test_readme_block_is_replaced_and_the_rest_kept(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text(f"# top\n<!-- section: benchmarks -->\n{START_MARK}\nold table\n{END_MARK}\n## after\n")
    fig = Figure("1", "Throughput | headless", "jobs/s", 2.0, 1.0, "TPE", "ours ÷ TPE",
                 [Check("ratio", ">=", 1.0)]).evaluate()
    info = {"date": "2026-01-01 00:00 UTC", "cpu": "CPU", "nproc": 2, "python": "3.11", "qt": "5.15",
            "binding": "PyQt5", "platform": "offscreen"}
    table = markdown_table([fig], info)
    assert update_readme(readme, table)
    text = readme.read_text()
    assert "old table" not in text
    assert text.startswith("# top\n<!-- section: benchmarks -->\n") and text.endswith(f"{END_MARK}\n## after\n")
    assert "| 1 | Throughput \\| headless | 2 jobs/s |" in text  # a | in a title must not split the row
    assert "2 × CPU" in text and "pass" in text
    no_markers = tmp_path / "other.md"
    no_markers.write_text("no markers here\n")
    assert not update_readme(no_markers, table)
    assert no_markers.read_text() == "no markers here\n"
