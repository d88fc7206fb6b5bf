"""``labqueue run SCRIPT.py``: run a jobs script without a window (QtCore only, works over SSH).

:func:`~labqueue.script_run.runner.run_script` runs it; ``job_tally`` follows the queue's change
stream; ``progress_display`` prints a live bar on a terminal or one line per job when piped.
"""

from labqueue.script_run.runner import run_script

__all__ = ["run_script"]
