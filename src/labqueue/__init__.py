"""labqueue: a job queue for lab measurements, with a Qt desktop window.

The API lives in :mod:`labqueue.manager`. Importing labqueue has no side effects: no files,
no directories, no logging handlers.
"""

__version__ = "0.1.0"
