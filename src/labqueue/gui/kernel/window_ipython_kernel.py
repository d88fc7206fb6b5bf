"""The IPython kernel class of the window: what a remote client may and may not do to the window.

- Interrupt requests stop a wait (``exp.result()``), never signal the process: SIGINT quits labqueue.
- Shutdown requests are refused: the kernel lives as long as the window (close the window to quit).
- ``input()`` is not forwarded to clients: waiting for a reply would freeze the window.
- No SIGINT handler is installed while a request runs; the window owns SIGINT.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterator
from typing import Any

from ipykernel.ipkernel import IPythonKernel

__all__ = ["SHUTDOWN_REFUSED", "WindowIPythonKernel", "kernel_log"]

logger = logging.getLogger("labqueue")

#: Why a remote shutdown request is refused (sent to the client and logged).
SHUTDOWN_REFUSED = ("labqueue's kernel runs as long as its window: a client cannot shut it down. "
                    "To quit labqueue, close its window (File → Quit).")


class _KernelLogFilter(logging.Filter):
    """Say plainly what ipykernel's messages about bad clients mean; drop its TCP warning."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if message.startswith("Kernel is running over TCP without encryption"):
            return False  # localhost only; the key is in a 0600 file (README: Remote access)
        exc = record.exc_info[1] if record.exc_info else None
        if message.startswith("Invalid") and exc is not None and "Signature" in str(exc):
            record.msg = ("The kernel ignored a message signed with the wrong key (a client using an old "
                          "or foreign connection file?); the window goes on.")
            record.args = ()
            record.exc_info = None
            record.exc_text = None
            record.levelno, record.levelname = logging.WARNING, "WARNING"
        return True


#: ipykernel's log: a child of labqueue's logger, so it shows in the Messages pane and log files.
kernel_log = logging.getLogger("labqueue.kernel")
kernel_log.setLevel(logging.WARNING)
kernel_log.addFilter(_KernelLogFilter())


class WindowIPythonKernel(IPythonKernel):
    """IPythonKernel for a kernel that lives inside the window's process and GUI thread."""

    #: Called (on ipykernel's control thread) when a client asks to interrupt.
    interrupt_handler: Callable[[], None] | None = None

    # ----------------------------------------------------------------- signals
    def pre_handler_hook(self) -> None:
        pass  # ipykernel would install Python's default SIGINT handler while a request runs

    def post_handler_hook(self) -> None:
        pass

    @contextlib.contextmanager
    def _cancel_on_sigint(self, future: Any) -> Iterator[None]:
        yield

    def _send_interrupt_children(self) -> None:
        if self.interrupt_handler is not None:
            self.interrupt_handler()

    # ----------------------------------------------------------------- requests
    async def do_execute(self, code: str, silent: bool, store_history: bool = True,
                         user_expressions: dict | None = None, allow_stdin: bool = False,
                         **kwargs: Any) -> dict:
        # input() raises StdinNotImplementedError instead of waiting on the GUI thread for a reply.
        return await super().do_execute(code, silent, store_history, user_expressions, False, **kwargs)

    async def shutdown_request(self, stream: Any, ident: Any, parent: dict) -> None:
        logger.warning("A remote console asked the kernel to shut down: refused. %s", SHUTDOWN_REFUSED)
        content = {"status": "error", "ename": "RuntimeError", "evalue": SHUTDOWN_REFUSED, "traceback": [],
                   "restart": bool(parent.get("content", {}).get("restart", False))}
        self.session.send(stream, "shutdown_reply", content, parent, ident=ident)

    # ipykernel awaits these request handlers; IPythonKernel still implements them as plain
    # functions and warns (PendingDeprecationWarning) on every Tab and Enter.
    async def do_complete(self, code: str, cursor_pos: int | None) -> dict:
        return super().do_complete(code, cursor_pos)

    async def do_inspect(self, code: str, cursor_pos: int | None, detail_level: int = 0,
                         omit_sections: tuple = ()) -> dict:
        return super().do_inspect(code, cursor_pos, detail_level, omit_sections)

    async def do_history(self, *args: Any, **kwargs: Any) -> dict:
        return super().do_history(*args, **kwargs)

    async def do_is_complete(self, code: str) -> dict:
        return super().do_is_complete(code)
