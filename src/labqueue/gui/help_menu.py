"""The Help menu: a short "How to queue a job" and About (with the version)."""

from __future__ import annotations

from qtpy.QtCore import Qt
from qtpy.QtGui import QKeySequence
from qtpy.QtWidgets import QAction, QMenu, QMessageBox, QWidget

import labqueue

__all__ = ["HOW_TO_QUEUE_HTML", "fill_help_menu", "show_how_to_queue", "show_about"]

HOW_TO_QUEUE_HTML = """\
<h3>How to queue a job</h3>
<p>In the console (or any script that has the <code>manager</code>), wrap a function with
<code>queued_exec</code> and call it: the call is queued and returns at once.</p>
<pre>
import time
exp = queued_exec(time.sleep)(5)   # queued; shows up in the table
exp.result()                       # waits for it, returns its value

@queued_exec
def sweep(start, stop, steps=10):
    ...
sweep(0, 1)                        # every call queues one job
</pre>
<p>Jobs run one at a time, in order. In a long job, call
<code>manager.report_progress(0.5, "halfway")</code> to fill the progress bar, and return early when
<code>manager.abort.is_set()</code> so that <b>Abort</b> can stop it.</p>
<p>After a job fails the queue pauses, so the next steps of a broken measurement do not run:
check the instrument, then press <b>Resume</b>.</p>
"""


def show_how_to_queue(parent: QWidget | None = None) -> QMessageBox:
    """Show the explanation in a non-modal box, so it can stay open while typing in the console."""
    box = QMessageBox(QMessageBox.Information, "How to queue a job", HOW_TO_QUEUE_HTML, QMessageBox.Close, parent)
    box.setTextFormat(Qt.RichText)
    box.setWindowModality(Qt.NonModal)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.show()
    return box


def show_about(parent: QWidget | None = None) -> None:
    """Version and purpose."""
    QMessageBox.about(parent, "About labqueue",
                      f"<b>labqueue {labqueue.__version__}</b><p>A job queue for lab measurements: queue "
                      "Python calls, watch them run, pause, resume and abort.</p>")


def fill_help_menu(menu: QMenu, parent: QWidget) -> None:
    """Add "How to queue a job" (F1) and "About labqueue" to ``menu``."""
    how_to = QAction("How to &queue a job", parent)
    how_to.setShortcut(QKeySequence(QKeySequence.HelpContents))
    how_to.triggered.connect(lambda: show_how_to_queue(parent))
    about = QAction("&About labqueue", parent)
    about.setMenuRole(QAction.AboutRole)
    about.triggered.connect(lambda: show_about(parent))
    menu.addActions([how_to, about])
