"""Writing journal records to a CSV or JSON file (``manager.history.export``)."""

from __future__ import annotations

import csv
import json
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from labqueue.journal.job_record import EXPORT_FIELDS, JobRecord

__all__ = ["export_records", "write_atomically"]


def write_atomically(path: Path, write) -> None:
    """Call ``write(text_file)`` on a temporary file next to ``path``, then put it in place.

    A failure (full disk, an exception) leaves an existing ``path`` as it was.
    """
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            write(f)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def export_records(records: Sequence[JobRecord], path: Path) -> int:
    """Write ``records`` to ``path`` as CSV (one row each, args as JSON) or JSON (a list of objects)."""
    dicts = [r.to_dict() for r in records]
    if path.suffix.lower() == ".json":
        write_atomically(path, lambda f: json.dump(dicts, f, indent=1))
    else:
        def write_csv(f) -> None:
            writer = csv.DictWriter(f, fieldnames=EXPORT_FIELDS)
            writer.writeheader()
            for d in dicts:
                d["args"] = json.dumps(d["args"])
                d["kwargs"] = json.dumps(d["kwargs"])
                writer.writerow(d)
        write_atomically(path, write_csv)
    return len(dicts)
