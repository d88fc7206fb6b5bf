"""The window's Jupyter kernel: a real ipykernel whose code runs on the GUI thread, driven by Qt.

ipykernel (7.x) receives every shell request on its "shell channel" thread and forwards the
requests for the main shell to the thread that created the kernel through an in-process ZeroMQ
pair. Usually that thread runs an asyncio loop (``IPKernelApp.start()``); here the window's Qt event
loop stays in charge: a ``QSocketNotifier`` on that pair wakes us, and each request is handled
to completion with a short ``run_until_complete`` on a private asyncio loop. User code thus runs on
the GUI thread, as in the embedded console before, so ``exp.result()`` waits with a local Qt
event loop (:mod:`labqueue.gui.console_wait`) and the window stays alive. Requests that arrive
during such a wait are kept and handled, in order, once the running one has finished.

Control, IOPub, heartbeat and the shell channel run on ipykernel's own threads; all five ports
are bound to 127.0.0.1, and the connection file (mode 0600, with the HMAC key) is removed by
:meth:`WindowKernel.stop`. The kernel never installs signal handlers, never replaces
``sys.excepthook`` and redirects ``sys.stdout``/``sys.stderr`` only while it handles a request.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import errno
import logging
import os
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# ipykernel imports debugpy, which prints a "frozen modules" warning to the terminal unless told
# not to; the window's kernel has no use for the debugger.
os.environ.setdefault("PYDEVD_DISABLE_FILE_VALIDATION", "1")

import zmq  # noqa: E402
from ipykernel.displayhook import ZMQDisplayHook  # noqa: E402
from ipykernel.iostream import OutStream  # noqa: E402
from ipykernel.kernelapp import IPKernelApp  # noqa: E402
from ipykernel.zmqshell import ZMQInteractiveShell  # noqa: E402
from qtpy.QtCore import QObject, QSocketNotifier, QTimer, Signal  # noqa: E402
from tornado.ioloop import IOLoop  # noqa: E402

from labqueue.gui.kernel.connection_file import connection_file_path, remove_stale_connection_files  # noqa: E402
from labqueue.gui.kernel.kernel_ports import PORTS_ENV, ports_in_use, requested_ports  # noqa: E402
from labqueue.gui.kernel.window_ipython_kernel import WindowIPythonKernel, kernel_log  # noqa: E402

__all__ = ["KernelStartError", "WindowKernel"]

logger = logging.getLogger("labqueue")

#: Only one kernel per process can own kernel-labqueue-<pid>.json.
_running: list[WindowKernel] = []


class KernelStartError(RuntimeError):
    """The kernel could not start (e.g. no port could be bound); the message says why."""


@contextlib.contextmanager
def _environment_variable(name: str, value: str) -> Iterator[None]:
    before = os.environ.get(name)
    os.environ[name] = value
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = before


class _WindowKernelApp(IPKernelApp):
    """IPKernelApp without the parts that belong to a stand-alone kernel process.

    No signal handlers, no crash handler (the window's excepthook stays), no global stdout
    capture, no pdb, sys.path or matplotlib changes; our own connection file name.
    """

    def init_crash_handler(self) -> None:
        pass

    def init_signal(self) -> None:
        pass

    def init_pdb(self) -> None:
        pass

    def init_path(self) -> None:
        pass

    def init_gui_pylab(self) -> None:
        pass

    def init_connection_file(self) -> None:
        remove_stale_connection_files()
        path = connection_file_path()
        path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.connection_file = str(path)

    def log_connection_info(self) -> None:
        self._ports = dict(shell=self.shell_port, iopub=self.iopub_port, stdin=self.stdin_port,
                           hb=self.hb_port, control=self.control_port)

    def init_io(self) -> None:
        # Installed only while a request is handled (WindowKernel._redirected_io).
        self.out_streams = (OutStream(self.session, self.iopub_thread, "stdout", watchfd=False),
                            OutStream(self.session, self.iopub_thread, "stderr", watchfd=False))
        self.displayhook = ZMQDisplayHook(self.session, self.iopub_socket)

    def close(self) -> None:
        """Stop ipykernel's threads and close the sockets (not ``reset_io``: we never set it)."""
        if self.heartbeat is not None:
            self.heartbeat.context.term()
            self.heartbeat.join(5)
        if self.iopub_thread is not None:
            _let_iopub_thread_finish_cleanly(self.iopub_thread)
            self.iopub_thread.stop()
            self.iopub_thread.close()
        for thread in (self.control_thread, self.shell_channel_thread):
            if thread is not None and thread.is_alive():
                thread.stop()
                thread.join(5)
        if self.context is not None:
            self.context.destroy(linger=0)  # closes what is left, also after a start that failed half-way


def _let_iopub_thread_finish_cleanly(iopub_thread: Any) -> None:
    """End the IOPub thread's periodic task before the thread stops.

    ipykernel stops that thread's asyncio loop with the task still pending, and Python then
    prints "Task was destroyed but it is pending!" at exit. Best effort: skipped if ipykernel
    changes its internals.
    """
    task = getattr(iopub_thread, "_event_pipe_gc_task", None)
    loop = getattr(iopub_thread, "io_loop", None)
    if task is None or loop is None or not iopub_thread.thread.is_alive():
        return
    finished = threading.Event()

    async def cancel() -> None:
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass
        finally:
            finished.set()

    loop.add_callback(cancel)
    finished.wait(2)


class WindowKernel(QObject):
    """One ipykernel for the window, reachable through :attr:`connection_file`.

    ``start()`` binds the ports and writes the file; ``stop()`` ends every thread and removes it.
    ``namespace`` is pushed into the shell before any client connects.
    """

    #: A client sent an interrupt request (emitted on the GUI thread).
    interrupt_requested_signal = Signal()
    #: (from the control thread to the GUI thread)
    _interrupt_from_control_signal = Signal()

    def __init__(self, namespace: dict[str, Any], ipython_dir: str, parent: QObject | None = None):
        super().__init__(parent)
        self._namespace = namespace
        self._ipython_dir = ipython_dir
        self._app: _WindowKernelApp | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._socket: Any = None
        self._notifier: QSocketNotifier | None = None
        self._pending: deque = deque()
        self._handling = False
        self._when_idle: list[Callable[[], Any]] = []
        self._context: Any = None
        self._interrupt_from_control_signal.connect(self.interrupt_requested_signal)  # queued: other thread

    # ----------------------------------------------------------------- life
    def start(self) -> None:
        """Start the kernel; raises :class:`KernelStartError` with the reason if it cannot."""
        if _running:
            raise KernelStartError(f"this process already runs a labqueue kernel ({_running[0].connection_file})")
        ports = requested_ports()
        busy = ports_in_use(ports) if ports else []
        if busy:
            logger.warning("The console's kernel cannot use the ports set by %s: %s already in use (another "
                           "labqueue window?). It uses free ports instead; Help → Remote access shows them.",
                           PORTS_ENV, ", ".join(map(str, busy)))
            ports = None
        try:
            app = self._initialize_app(ports)
        except zmq.ZMQError as exc:
            if not ports or exc.errno != errno.EADDRINUSE:
                raise KernelStartError(f"could not open the kernel's ports on 127.0.0.1: {exc}")
            logger.warning("The console's kernel cannot use the ports set by %s (%s); it uses free ports instead.",
                           PORTS_ENV, exc)
            app = self._initialize_app(None)
        _running.append(self)
        atexit.register(app.cleanup_connection_file)  # also if the process ends without stop()
        os.chmod(app.connection_file, 0o600)  # jupyter_client writes it so; make sure
        kernel = app.kernel
        kernel.interrupt_handler = self._interrupt_from_control_signal.emit
        kernel.shell.push(self._namespace)
        self._start_dispatch(kernel)

    def _initialize_app(self, ports: dict[str, int] | None) -> _WindowKernelApp:
        """Bind the sockets, start ipykernel's threads, write the connection file."""
        kernel_class = WindowIPythonKernel
        kernel_class.clear_instance()
        ZMQInteractiveShell.clear_instance()
        fixed = {f"{name}_port": port for name, port in (ports or {}).items()}
        try:
            with _environment_variable("IPYTHONDIR", self._ipython_dir):
                app = self._app = _WindowKernelApp(ip="127.0.0.1", transport="tcp", kernel_class=kernel_class,
                                                   log=kernel_log, quiet=True, **fixed)
                app.initialize([])
        except SystemExit as exc:  # traitlets' catch_config_error exits on a bad config
            self._close_app()
            raise KernelStartError(f"the IPython configuration in {self._ipython_dir} is invalid ({exc})")
        except zmq.ZMQError:
            self._close_app()
            raise
        except OSError as exc:
            self._close_app()
            raise KernelStartError(f"could not open the kernel's ports on 127.0.0.1: {exc}")
        return app

    def _start_dispatch(self, kernel: WindowIPythonKernel) -> None:
        """Hook the kernel's streams up as ``IPythonKernel.start()`` would, the main shell to Qt."""
        self._loop = asyncio.new_event_loop()
        kernel.io_loop = IOLoop(asyncio_loop=self._loop, make_current=False)
        kernel._control_lock = asyncio.Lock()
        kernel.shell.exit_now = False
        kernel.control_stream.on_recv(kernel.dispatch_control, copy=False)
        kernel.shell_stream.on_recv(kernel.shell_channel_thread_main, copy=False)
        subshells = kernel.shell_channel_thread.manager  # created here, on the GUI thread
        subshells._on_recv_callback = kernel.shell_main  # subshells (own threads) as in ipykernel
        self._socket = subshells.get_shell_channel_to_subshell_pair(None).to_socket
        self._context = _new_context()
        self._notifier = QSocketNotifier(self._socket.getsockopt(zmq.FD), QSocketNotifier.Read, self)
        self._notifier.activated.connect(self._on_activity)
        kernel._publish_status("starting", "shell")
        QTimer.singleShot(0, self._on_activity)

    def stop(self) -> None:
        """End the kernel's threads, close its sockets, remove the connection file; idempotent.

        Call it when no request is being handled (the console waits for that).
        """
        if self._notifier is not None:
            self._notifier.setEnabled(False)
            self._notifier.deleteLater()
            self._notifier = None
        self._pending.clear()
        self._close_app()
        if self._loop is not None:
            self._loop.close()
            self._loop = None
        if self in _running:
            _running.remove(self)

    def _close_app(self) -> None:
        app, self._app = self._app, None
        if app is None:
            return
        kernel = getattr(app, "kernel", None)
        shell = getattr(kernel, "shell", None)
        if shell is not None:
            atexit.unregister(shell.atexit_operations)
            shell.atexit_operations()  # ends the history session, joins IPython's history thread
        atexit.unregister(app.close)
        atexit.unregister(app.cleanup_connection_file)
        app.close()
        app.cleanup_connection_file()
        kernel_class = type(kernel) if kernel is not None else WindowIPythonKernel
        kernel_class.clear_instance()
        ZMQInteractiveShell.clear_instance()

    # ----------------------------------------------------------------- facts
    @property
    def is_running(self) -> bool:
        return self._app is not None

    @property
    def connection_file(self) -> Path:
        """The connection file (absolute path); only meaningful while running."""
        return Path(self._app.connection_file) if self._app is not None else connection_file_path()

    @property
    def ports(self) -> dict[str, int]:
        """``{"shell": ..., "iopub": ..., "stdin": ..., "control": ..., "hb": ...}``."""
        return dict(self._app._ports) if self._app is not None else {}

    @property
    def shell(self) -> Any:
        """The kernel's IPython shell (``shell.user_ns`` is the console namespace)."""
        return self._app.kernel.shell if self._app is not None else None

    @property
    def is_handling(self) -> bool:
        """True while a request (e.g. code waiting in ``exp.result()``) is being handled."""
        return self._handling

    @property
    def is_reading_input(self) -> bool:
        """True while code waits in ``input()`` / ``getpass`` for a client's answer."""
        return self._app is not None and self._app.kernel.is_reading_input

    def interrupt_input(self) -> None:
        """End a waiting ``input()`` with KeyboardInterrupt."""
        if self._app is not None:
            self._app.kernel.interrupt_input()

    # ----------------------------------------------------------------- requests
    def _read_available(self) -> None:
        # The ZeroMQ descriptor is edge-triggered: read until the socket says there is no more.
        while self._socket is not None and self._socket.getsockopt(zmq.EVENTS) & zmq.POLLIN:
            self._pending.append(self._socket.recv_multipart(zmq.NOBLOCK, copy=False))

    def _on_activity(self, *_args: Any) -> None:
        if self._app is None:
            return
        self._read_available()
        if self._handling:
            return  # inside a request (a wait's local event loop): handled after it, in order
        self._handling = True
        try:
            while self._pending and self._app is not None and not self._when_idle:
                self._handle(self._pending.popleft())
                self._read_available()
        finally:
            self._handling = False
        pending, self._when_idle = self._when_idle, []
        for fn in pending:
            fn()

    def call_when_idle(self, fn: Callable[[], Any]) -> None:
        """Call ``fn()`` now, or once the request being handled has finished (no new one starts)."""
        if self._handling:
            self._when_idle.append(fn)
        else:
            fn()

    def _handle(self, msg: list) -> None:
        kernel = self._app.kernel
        coro = kernel.shell_main(None, msg)
        task = (self._loop.create_task(coro, context=self._context) if sys.version_info >= (3, 11)
                else self._loop.create_task(coro))
        try:
            with self._redirected_io():
                self._loop.run_until_complete(task)
        except Exception:
            logger.exception("The console's kernel failed to handle a request")

    @contextlib.contextmanager
    def _redirected_io(self) -> Iterator[None]:
        """``print`` and the display hook go to the clients while a request runs."""
        app = self._app
        saved = sys.stdout, sys.stderr, sys.displayhook
        sys.stdout, sys.stderr = app.out_streams
        sys.displayhook = app.displayhook
        try:
            yield
        finally:
            for stream in app.out_streams:
                with contextlib.suppress(Exception):
                    stream.flush()
            sys.stdout, sys.stderr, sys.displayhook = saved


def _new_context() -> Any:
    import contextvars

    return contextvars.copy_context()
