"""One benchmark figure: a value, the baseline measured in the same run, their ratio and a target.

Absolute times vary from run to run on a shared machine, so every figure carries a baseline taken
in the same process a moment earlier or later; the ratio is what we compare across runs.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

_OPS: dict[str, Callable[[float, float], bool]] = {
    "<": operator.lt, "<=": operator.le, ">": operator.gt, ">=": operator.ge,
}


@dataclass
class Check:
    """One condition of a target: ``on`` (``"value"`` or ``"ratio"``) ``op`` ``limit``."""

    on: str
    op: str
    limit: float

    def holds(self, figure: Figure) -> bool:
        measured = figure.value if self.on == "value" else figure.ratio
        if measured is None:
            return False
        return _OPS[self.op](measured, self.limit)

    def text(self, unit: str) -> str:
        if self.on == "ratio":
            return f"ratio {self.op} {self.limit:g}"
        return f"{self.op} {self.limit:g} {unit}".rstrip()


@dataclass
class Figure:
    """A measured figure. ``ratio`` is ``value / baseline`` (see ``ratio_label`` for its meaning)."""

    key: str                      # "1", "3a", ... (the numbering)
    title: str
    unit: str
    value: float | None = None
    baseline: float | None = None
    baseline_label: str = ""
    ratio_label: str = ""
    checks: list[Check] = field(default_factory=list)
    passed: bool | None = None    # None: no target (a reference row) or not measured
    reason: str = ""              # why a target was missed, or why it was not measured
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def ratio(self) -> float | None:
        if self.value is None or not self.baseline:
            return None
        return self.value / self.baseline

    @property
    def target_text(self) -> str:
        return " and ".join(c.text(self.unit) for c in self.checks) or "—"

    def evaluate(self) -> Figure:
        """Set ``passed`` from the checks (left None when there is no target or no value)."""
        if self.value is None or not self.checks:
            self.passed = None
        else:
            self.passed = all(c.holds(self) for c in self.checks)
        return self

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["ratio"] = self.ratio
        data["target"] = self.target_text
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Figure:
        data = dict(data)
        data.pop("ratio", None)
        data.pop("target", None)
        data["checks"] = [Check(**c) for c in data.get("checks", [])]
        return cls(**data)


def not_measured(key: str, title: str, unit: str, why: str, checks: list[Check] | None = None) -> Figure:
    """A figure that could not be measured, saying why (never a made-up number)."""
    return Figure(key, title, unit, checks=checks or [], reason=f"not measured: {why}")
