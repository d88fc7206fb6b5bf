"""Dedent after ``return`` / ``pass`` / ``raise`` / ``break`` / ``continue`` in the console.

qtconsole indents a continuation line by what the kernel's ``is_complete`` reply says, and
IPython's ``TransformerManager.check_complete`` keeps the last line's indent after a statement
that ends a block (older IPython versions dedented there; a terminal user expects it). The
console wraps ``check_complete`` of its in-process shell with :func:`dedented_check_complete`.
"""

from __future__ import annotations

import re
from collections.abc import Callable

__all__ = ["dedent_after_block_end", "dedented_check_complete", "INDENT"]

INDENT = 4
_BLOCK_END = re.compile(r"^(?P<indent>[ \t]*)(?:return|pass|raise|break|continue)\b")


def dedent_after_block_end(source: str, status: str, indent: int | None) -> int | None:
    """The indent for the next line: one level less when the last line ends a block."""
    if status != "incomplete" or not indent:
        return indent
    last = source.rstrip("\n").rsplit("\n", 1)[-1]
    match = _BLOCK_END.match(last)
    if match is None:
        return indent
    own = len(match.group("indent").replace("\t", " " * INDENT))
    if indent != own:  # IPython indents further (an open bracket, a line ending with ':'): leave it
        return indent
    return max(own - INDENT, 0)


def dedented_check_complete(check_complete: Callable[[str], tuple[str, int | None]]
                            ) -> Callable[[str], tuple[str, int | None]]:
    """Wrap IPython's ``check_complete(source) -> (status, indent)`` with :func:`dedent_after_block_end`."""
    def wrapped(source: str) -> tuple[str, int | None]:
        status, indent = check_complete(source)
        return status, dedent_after_block_end(source, status, indent)

    wrapped.__wrapped__ = check_complete  # type: ignore[attr-defined]
    return wrapped
