"""The benchmark table: machine description, Markdown rendering, and the README block it replaces."""

from __future__ import annotations

import datetime
import os
import platform
import re
from pathlib import Path
from typing import Any

from figure import Figure

START_MARK = "<!-- bench-table:start -->"
END_MARK = "<!-- bench-table:end -->"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def machine_info() -> dict[str, Any]:
    """Date, CPU, core count and the Python / Qt versions the figures were measured with."""
    from qtpy import API_NAME, PYQT_VERSION, QT_VERSION

    return {
        "date": datetime.datetime.now().astimezone().strftime("%Y-%m-%d %H:%M %Z"),
        "cpu": _cpu_model(),
        "nproc": os.cpu_count(),
        "python": platform.python_version(),
        "qt": QT_VERSION,
        "binding": f"{API_NAME} {PYQT_VERSION or ''}".strip(),
        "platform": os.environ.get("QT_QPA_PLATFORM", "offscreen"),  # run.py children default to offscreen
    }


def fmt(x: float | None) -> str:
    """A number for the table: three significant digits, thousands separated."""
    if x is None:
        return "—"
    if abs(x) >= 100:
        return f"{x:,.0f}"
    return f"{x:.3g}"


def _cell(text: str) -> str:
    """Text safe inside a Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def _result(fig: Figure) -> str:
    if fig.value is None:
        return "not measured"
    return {True: "pass", False: "**miss**", None: "ref"}[fig.passed]


def markdown_table(figures: list[Figure], info: dict[str, Any]) -> str:
    """The figures as a Markdown table, headed by when and where they were measured."""
    lines = [
        ("**Quick run (`--quick`): tiny sizes, the numbers mean nothing.** " if info.get("quick") else "")
        + f"Measured {info['date']} on {info['nproc']} × {info['cpu']}, Python {info['python']}, "
        f"Qt {info['qt']} ({info['binding']}), platform `{info['platform']}`"
        + (f"; the run took {info['seconds']:g} s." if "seconds" in info else "."),
        "",
        "| # | Figure | Value | Baseline (same run) | Ratio | Target | Result | Note |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for f in figures:
        value = f"{fmt(f.value)} {f.unit}" if f.value is not None else "—"
        baseline = f"{fmt(f.baseline)} {f.unit} ({f.baseline_label})" if f.baseline is not None else "—"
        ratio = f"{fmt(f.ratio)} ({f.ratio_label})" if f.ratio is not None else "—"
        cells = [f.key, f.title, value, baseline, ratio, f.target_text, _result(f), f.reason]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


def update_readme(readme: Path, table: str) -> bool:
    """Replace the text between the bench-table markers in ``readme``; False if the markers are missing."""
    text = readme.read_text(encoding="utf-8")
    pattern = re.compile(re.escape(START_MARK) + r".*?" + re.escape(END_MARK), re.DOTALL)
    if not pattern.search(text):
        return False
    new = pattern.sub(lambda _: f"{START_MARK}\n{table}\n{END_MARK}", text, count=1)
    readme.write_text(new, encoding="utf-8")
    return True
