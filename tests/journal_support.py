"""Helpers for the journal tests: a module of importable job functions written to a temporary folder."""

from __future__ import annotations

import os
import sys
import textwrap
from pathlib import Path

#: Functions a later process can import by name (module ``labjobs`` in the folder on PYTHONPATH).
LABJOBS = textwrap.dedent('''
    import os
    import threading
    import time

    started = threading.Event()

    def double(x):
        return x * 2

    def scale(values, factor=1.0):
        return [v * factor for v in values]

    def hang_first_time(x, marker):
        """Runs for a minute the first time (creates ``marker``), returns ``x`` at once afterwards."""
        if os.path.exists(marker):
            return x
        open(marker, "w").close()
        started.set()
        time.sleep(60)
        return x
''')


def write_labjobs(folder: Path) -> Path:
    """Write ``labjobs.py`` into ``folder`` and make it importable here; returns the folder."""
    (folder / "labjobs.py").write_text(LABJOBS)
    if str(folder) not in sys.path:
        sys.path.insert(0, str(folder))
    return folder


def child_env(folder: Path) -> dict[str, str]:
    """Environment for a child Python that can import labjobs from ``folder``."""
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(folder), env.get("PYTHONPATH")]))
    env.pop("DISPLAY", None)
    return env
