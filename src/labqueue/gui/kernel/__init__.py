"""The window's Jupyter kernel: one real ipykernel per labqueue process, run on the GUI thread.

The embedded console is one client of it; ``jupyter console --existing kernel-labqueue-<pid>.json``
(or qtconsole, a notebook, an editor) can be another, from another terminal or through SSH.
"""
