"""How to reach the mail server (:class:`SmtpSettings`) and one blocking send (:func:`send_email`).

Plain stdlib ``smtplib``: STARTTLS, implicit SSL or plain; every failure becomes an
:class:`EmailError` with a message an operator can act on. smtplib's ``timeout`` bounds each
network step only (a server sending one byte per second never trips it), so a whole send also has
a ``deadline``: when it passes, a timer shuts the connection down and the send fails.
"""

from __future__ import annotations

import dataclasses
import getpass
import smtplib
import socket
import ssl
import threading
from dataclasses import dataclass, field
from email.message import EmailMessage
from typing import Any

from labqueue.notifications import credentials
from labqueue.notifications.settings import check_addresses

__all__ = ["SECURITY_MODES", "DEFAULT_PORTS", "SmtpSettings", "EmailError", "send_email"]

#: Ways to talk to the server: upgrade with STARTTLS, SSL from the start, or unencrypted.
SECURITY_MODES = ("starttls", "ssl", "plain")
DEFAULT_PORTS = {"starttls": 587, "ssl": 465, "plain": 25}


class EmailError(RuntimeError):
    """An e-mail could not be sent; the message says why (the server's own words when it gave any)."""


@dataclass(frozen=True)
class SmtpSettings:
    """The outgoing mail server. The password is not kept here unless given (it is never saved).

    ``SmtpSettings("smtp.uni.edu", security="starttls", user="jdoe", sender="lab@uni.edu")``;
    without ``password`` it is looked up when sending (``LABQUEUE_SMTP_PASSWORD`` or the keyring);
    in the console use :meth:`ask_password`, so the password is never part of typed code.
    ``user`` "" or None: no login. ``timeout``: seconds per network step; ``deadline``: seconds
    for one whole send.
    """

    host: str
    port: int | None = None
    security: str = "starttls"
    user: str | None = ""
    sender: str | None = ""
    timeout: float = 10.0
    deadline: float = 60.0
    password: str | None = field(default=None, repr=False, compare=False)
    #: For servers with a private certificate authority (and tests); default: the system's CAs.
    ssl_context: ssl.SSLContext | None = field(default=None, repr=False, compare=False)

    def __post_init__(self) -> None:
        host = self.host.strip() if isinstance(self.host, str) else ""
        if not host or any(c.isspace() for c in host):
            raise ValueError(f"SMTP server must be a host name like smtp.example.org, got {self.host!r}")
        security = str(self.security).strip().lower()
        if security not in SECURITY_MODES:
            raise ValueError(f"unknown SMTP security {self.security!r}; use one of {', '.join(SECURITY_MODES)}")
        port = DEFAULT_PORTS[security] if self.port in (None, 0) else self.port
        if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
            raise ValueError(f"SMTP port must be a number from 1 to 65535, got {self.port!r}")
        user = _text("SMTP user name", self.user)
        sender = _text("sender address", self.sender)
        if sender:
            check_addresses([sender])
        for name in ("timeout", "deadline"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not value > 0:
                raise (ValueError if isinstance(value, (int, float)) else TypeError)(
                    f"SMTP {name} must be a positive number of seconds, got {type(value).__name__} {value!r}")
        if self.password is not None and not isinstance(self.password, str):
            raise TypeError(f"SMTP password must be text or None, got {type(self.password).__name__}")
        for name, value in (("host", host), ("security", security), ("port", port), ("sender", sender),
                            ("user", user)):
            object.__setattr__(self, name, value)

    def ask_password(self) -> SmtpSettings:
        """A copy with the password typed at a prompt that does not show it.

        In the console the prompt is a password field: the password stays in memory and never
        becomes part of typed code (which IPython would keep in its history file).
        """
        who = f"{self.user} on {self.host}" if self.user else self.host
        password = getpass.getpass(f"SMTP password for {who}: ")
        if not password:
            raise ValueError("no password was entered")
        return dataclasses.replace(self, password=password)

    @property
    def from_address(self) -> str:
        """The sender address: ``sender``, else the user name if it is an address, else labqueue@host."""
        if self.sender:
            return self.sender
        if "@" in self.user:
            return self.user
        return f"labqueue@{socket.gethostname() or 'localhost'}"


def _text(what: str, value: Any) -> str:
    if value is None:
        return ""
    if not isinstance(value, str):
        raise TypeError(f"{what} must be text, got {type(value).__name__} {value!r}")
    return value.strip()


def _describe(exc: BaseException, settings: SmtpSettings) -> str:
    """Turn an smtplib / socket / ssl failure into a sentence for the operator."""
    where = f"{settings.host}:{settings.port}"
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return f"the server rejected user {settings.user!r} or the password: {_server_text(exc)}"
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        refused = ", ".join(f"{addr} ({code} {text.decode(errors='replace')})"
                            for addr, (code, text) in exc.recipients.items())
        return f"the server refused the recipient(s): {refused}"
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return f"the server at {where} does not support this: {exc} (try another security setting)"
    if isinstance(exc, smtplib.SMTPResponseException):
        return f"the server at {where} answered: {_server_text(exc)}"
    if isinstance(exc, smtplib.SMTPServerDisconnected):
        return f"the server at {where} closed the connection ({exc or 'no reason given'})"
    if isinstance(exc, socket.gaierror):
        return f"unknown SMTP server {settings.host!r} ({exc.strerror})"
    if isinstance(exc, TimeoutError):
        return f"no answer from {where} within {settings.timeout:g} s"
    if isinstance(exc, ConnectionRefusedError):
        return f"could not connect to {where}: connection refused (wrong port, or no server running)"
    if isinstance(exc, ssl.SSLError):
        return f"secure connection to {where} failed: {exc.reason or exc} (check the security setting)"
    if isinstance(exc, OSError):
        return f"could not reach {where}: {exc.strerror or exc}"
    return f"{type(exc).__name__}: {exc}"


def _server_text(exc: smtplib.SMTPResponseException) -> str:
    text = exc.smtp_error.decode(errors="replace") if isinstance(exc.smtp_error, bytes) else str(exc.smtp_error)
    return f"{exc.smtp_code} {text}".strip()


class _Deadline:
    """Ends a send that takes longer than ``seconds`` in all: a timer shuts its connection down.

    Shutting a socket down (not closing it) wakes a read blocked in another thread; the socket is
    watched by its file descriptor, which stays the same through a TLS handshake.
    """

    def __init__(self, seconds: float):
        self.seconds = seconds
        self.expired = False
        self._lock = threading.Lock()
        self._fd: int | None = None
        self._over = False
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.name = "labqueue-mail-deadline"
        self._timer.daemon = True

    def start(self) -> None:
        self._timer.start()

    def watch(self, sock: socket.socket) -> None:
        with self._lock:
            self._fd = sock.fileno()
            if self.expired:
                self._shut_down()

    def _expire(self) -> None:
        with self._lock:
            if not self._over:
                self.expired = True
                self._shut_down()

    def _shut_down(self) -> None:
        if self._fd is None:
            return
        view = socket.socket(fileno=self._fd)
        try:
            view.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        finally:
            view.detach()  # the send's own socket object closes the descriptor

    def stop(self) -> None:
        """End the watch (before the socket is closed, so its descriptor is never reused under us)."""
        with self._lock:
            self._over = True
        self._timer.cancel()
        if self._timer.is_alive() and self._timer is not threading.current_thread():
            self._timer.join()


class _WatchedSMTP(smtplib.SMTP):
    deadline: _Deadline

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = super()._get_socket(host, port, timeout)
        self.deadline.watch(sock)
        return sock


class _WatchedSMTPSSL(smtplib.SMTP_SSL):
    deadline: _Deadline

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = smtplib.SMTP._get_socket(self, host, port, timeout)  # TCP first: watched during the handshake
        self.deadline.watch(sock)
        return self.context.wrap_socket(sock, server_hostname=self._host)


def send_email(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send one message now (blocking, at most ``settings.deadline`` in all); ``EmailError`` on failure."""
    password = settings.password
    if settings.user and password is None:
        password = credentials.get_password(settings.host, settings.user)
        if password is None:
            raise EmailError(f"no password for {settings.user!r} on {settings.host}: enter it in the "
                             f"Notifications dialog (kept in the keyring) or set {credentials.ENV_VAR}")
    if not message["From"]:
        message["From"] = settings.from_address
    context = settings.ssl_context or ssl.create_default_context()
    if settings.security == "ssl":
        smtp: smtplib.SMTP = _WatchedSMTPSSL(timeout=settings.timeout, context=context)
    else:
        smtp = _WatchedSMTP(timeout=settings.timeout)
    smtp._host = settings.host  # smtplib sets it only when the host is given to the constructor (TLS needs it)
    deadline = smtp.deadline = _Deadline(settings.deadline)
    deadline.start()
    try:
        smtp.connect(settings.host, settings.port)
        if settings.security == "starttls":
            smtp.starttls(context=context)
        if settings.user:
            smtp.login(settings.user, password)
        smtp.send_message(message)
        smtp.quit()
    except (smtplib.SMTPException, OSError, ValueError, AttributeError) as exc:
        if deadline.expired:
            raise EmailError(f"the server at {settings.host}:{settings.port} did not finish within "
                             f"{settings.deadline:g} s (too slow; the send was given up)") from exc
        if isinstance(exc, (ValueError, AttributeError)):  # smtplib on a socket shut down under it
            raise
        raise EmailError(_describe(exc, settings)) from exc
    finally:
        deadline.stop()
        smtp.close()
