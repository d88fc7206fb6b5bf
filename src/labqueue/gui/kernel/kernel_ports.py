"""Which ports the window's kernel binds: free ones, or five fixed ones from ``$LABQUEUE_KERNEL_PORTS``.

Fixed ports make an SSH tunnel command (or an ``~/.ssh/config`` ``LocalForward`` list) that works
every day. ``LABQUEUE_KERNEL_PORTS=40001`` means shell 40001, iopub 40002, stdin 40003, control 40004,
heartbeat 40005, all on 127.0.0.1. If one of them is taken (another labqueue window, another
program), the kernel says so and takes free ports instead: the window always gets its console.
"""

from __future__ import annotations

import errno
import logging
import os
import socket

__all__ = ["PORT_NAMES", "PORTS_ENV", "ports_in_use", "requested_ports"]

logger = logging.getLogger("labqueue")

#: The environment variable with the first of five consecutive ports.
PORTS_ENV = "LABQUEUE_KERNEL_PORTS"
#: The five channels, in the order their ports follow the first one.
PORT_NAMES = ("shell", "iopub", "stdin", "control", "hb")


def requested_ports() -> dict[str, int] | None:
    """``{"shell": n, "iopub": n + 1, ...}`` from ``$LABQUEUE_KERNEL_PORTS=n``; None if unset or invalid."""
    value = os.environ.get(PORTS_ENV, "").strip()
    if not value:
        return None
    try:
        first = int(value)
    except ValueError:
        first = -1
    if not 1024 <= first <= 65535 - len(PORT_NAMES) + 1:
        logger.warning("%s=%r is not a port number between 1024 and 65531; the kernel takes free ports.",
                       PORTS_ENV, value)
        return None
    return {name: first + i for i, name in enumerate(PORT_NAMES)}


def ports_in_use(ports: dict[str, int]) -> list[int]:
    """The ports among ``ports`` that cannot be bound on 127.0.0.1 right now."""
    busy = []
    for port in ports.values():
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError as exc:
                if exc.errno in (errno.EADDRINUSE, errno.EACCES, getattr(errno, "WSAEADDRINUSE", None)):
                    busy.append(port)
                else:
                    raise
    return busy
