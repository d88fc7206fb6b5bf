"""The IPython kernel class of the window: what a remote client may and may not do to the window.

- Interrupt requests stop a wait (``exp.result()``), never signal the process: SIGINT quits labqueue.
- Shutdown requests are refused: the kernel lives as long as the window (close the window to quit).
- ``input()`` / ``getpass`` ask the client that ran the code, and wait for its answer with a local
  Qt event loop, so the window keeps working meanwhile.
- No SIGINT handler is installed while a request runs; the window owns SIGINT.
"""

from __future__ import annotations

import contextlib
import logging
import sys
from collections.abc import Callable, Iterator
from typing import Any

from ipykernel.ipkernel import IPythonKernel
from ipykernel.jsonutil import json_clean
from qtpy.QtCore import QEventLoop, QTimer

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

    # ----------------------------------------------------------------- input()
    #: Local event loops of input() calls waiting for their answer, innermost last: [loop, interrupted?].
    _input_waits: list | None = None

    def _input_request(self, prompt: str, ident: Any, parent: dict, password: bool = False) -> str:
        """Ask the client for a line, waiting with a local Qt event loop (ipykernel would block)."""
        for stream in (sys.stdout, sys.stderr):
            if stream is not None:
                stream.flush()
        while self.stdin_socket.poll(0):  # stale replies of an earlier, interrupted request
            self.stdin_socket.recv_multipart()
        content = json_clean({"prompt": prompt, "password": password})
        self.session.send(self.stdin_socket, "input_request", content, parent, ident=ident)
        answer: list[dict] = []
        loop = QEventLoop()
        wait = [loop, False]

        def check() -> None:
            while not answer and self.stdin_socket.poll(0):
                try:
                    _ident, reply = self.session.recv(self.stdin_socket)
                except Exception:  # a reply signed with a wrong key, for example
                    kernel_log.warning("Ignored an invalid reply to input()", exc_info=True)
                    continue
                if reply is not None:
                    answer.append(reply)
                    loop.quit()

        timer = QTimer()
        timer.timeout.connect(check)
        timer.start(20)
        if self._input_waits is None:
            self._input_waits = []
        self._input_waits.append(wait)
        try:
            check()
            if not answer and not wait[1]:
                loop.exec_()
        finally:
            timer.stop()
            self._input_waits.remove(wait)
        if not answer:
            raise KeyboardInterrupt("Interrupted by user")
        value = answer[0].get("content", {}).get("value", "")
        if value == "\x04":
            raise EOFError
        return value

    @property
    def is_reading_input(self) -> bool:
        return bool(self._input_waits)

    def interrupt_input(self) -> None:
        """End waiting input() calls with KeyboardInterrupt (GUI thread; the console closes, Ctrl+C)."""
        for wait in self._input_waits or []:
            wait[1] = True
            wait[0].quit()

    # ----------------------------------------------------------------- requests

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
