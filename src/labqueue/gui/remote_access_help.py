"""Help → Remote access: the exact commands that attach another Jupyter client to this window."""

from __future__ import annotations

import getpass
import html
import socket
from pathlib import Path

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QAction, QMenu, QMessageBox, QWidget

__all__ = ["add_remote_access_action", "remote_access_html", "show_remote_access"]

_PORT_NAMES = ("shell", "iopub", "stdin", "control", "hb")


def remote_access_html(connection_file: Path | None, ports: dict[str, int]) -> str:
    """The help text for this window's kernel (its file name, ports, user and host filled in)."""
    if connection_file is None:
        return ("<h3>Remote access</h3><p>The console's kernel is not running (see the Console tab or the "
                "Messages pane for why), so no other client can attach to this window.</p>")
    name, path = html.escape(connection_file.name), html.escape(str(connection_file))
    login = html.escape(f"{_user()}@{socket.gethostname()}")
    forwards = " ".join(f"-L {ports[p]}:127.0.0.1:{ports[p]}" for p in _PORT_NAMES if p in ports)
    return f"""\
<h3>Remote access</h3>
<p>This window's Python kernel — the same namespace as the Console tab (<code>manager</code>,
<code>queued_exec</code>, <code>job_queue</code>, ...) — can be reached from another terminal of this
computer while labqueue runs:</p>
<pre>
jupyter console --existing {name}
jupyter qtconsole --existing {name}
</pre>
<p>A notebook or an editor (VS Code, Spyder: "connect to an existing kernel") takes the connection file
<code>{path}</code>.</p>
<p><b>From a laptop, through SSH</b>: copy the file over, then let Jupyter make the tunnel</p>
<pre>
scp {login}:{path} .
jupyter console --existing ./{name} --ssh {login}
</pre>
<p>or forward the five ports yourself and attach as on this computer:</p>
<pre>
ssh -N {forwards} {login}
jupyter console --existing ./{name}
</pre>
<p>The ports change at every start; for fixed ones (40001–40005, say) start labqueue with
<code>LABQUEUE_KERNEL_PORTS=40001</code>.</p>
<p><b>Security</b>: the ports listen on 127.0.0.1 only (other computers reach them only through SSH). The
file holds the key that signs every message; it is readable by you alone (mode 0600). Whoever can read
it can run code as you on this computer. It is deleted when labqueue quits.</p>
<p><b>Good to know</b>: jobs queued from another client show in the table at once; <code>exp.result()</code>
waits there without freezing this window. <code>exit</code> in the other client leaves this kernel running.
Ctrl+C in <code>jupyter console --existing</code> cannot interrupt a kernel it did not start: use
<code>exp.result(timeout=60)</code>, or Ctrl+C in this window's console (it stops any wait).
<code>manager.shutdown()</code> is refused in a console; to quit, close this window.</p>
"""


def _user() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "you"


def show_remote_access(console: QWidget, parent: QWidget | None = None) -> QMessageBox:
    """Show the commands for ``console``'s kernel in a non-modal box with selectable text."""
    kernel = getattr(console, "kernel", None)
    ports = kernel.ports if kernel is not None else {}
    text = remote_access_html(getattr(console, "connection_file", None), ports)
    box = QMessageBox(QMessageBox.Information, "Remote access", text, QMessageBox.Close, parent)
    box.setObjectName("remote_access_box")
    box.setTextFormat(Qt.RichText)
    box.setTextInteractionFlags(Qt.TextSelectableByMouse | Qt.TextSelectableByKeyboard)
    box.setWindowModality(Qt.NonModal)
    box.setAttribute(Qt.WA_DeleteOnClose)
    box.show()
    return box


def add_remote_access_action(menu: QMenu, console: QWidget, parent: QWidget) -> QAction:
    """Add "Remote access" to the Help ``menu``, before its last entry (About)."""
    action = QAction("&Remote access…", parent)
    action.setObjectName("remote_access_action")
    action.setStatusTip("Attach jupyter console, qtconsole, a notebook or an editor to this window's kernel")
    action.triggered.connect(lambda: show_remote_access(console, parent))
    actions = menu.actions()
    menu.insertAction(actions[-1] if actions else None, action)
    return action
