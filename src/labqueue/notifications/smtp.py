"""How to reach the mail server (:class:`SmtpSettings`) and one blocking send (:func:`send_email`).

Plain stdlib ``smtplib``: STARTTLS, implicit SSL or plain, a socket timeout so a dead server can
never block forever, and every failure turned into an :class:`EmailError` with a message an
operator can act on.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass, field
from email.message import EmailMessage

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
    without ``password`` it is looked up when sending (``LABQUEUE_SMTP_PASSWORD`` or the keyring).
    """

    host: str
    port: int | None = None
    security: str = "starttls"
    user: str = ""
    sender: str = ""
    timeout: float = 10.0
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
        sender = self.sender.strip()
        if sender:
            check_addresses([sender])
        if not self.timeout > 0:
            raise ValueError(f"SMTP timeout must be positive, got {self.timeout!r}")
        for name, value in (("host", host), ("security", security), ("port", port), ("sender", sender),
                            ("user", self.user.strip())):
            object.__setattr__(self, name, value)

    @property
    def from_address(self) -> str:
        """The sender address: ``sender``, else the user name if it is an address, else labqueue@host."""
        if self.sender:
            return self.sender
        if "@" in self.user:
            return self.user
        return f"labqueue@{socket.gethostname() or 'localhost'}"


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


def send_email(settings: SmtpSettings, message: EmailMessage) -> None:
    """Send one message now (blocking, at most ``timeout`` per network step); ``EmailError`` on failure."""
    password = settings.password
    if settings.user and password is None:
        password = credentials.get_password(settings.host, settings.user)
        if password is None:
            raise EmailError(f"no password for {settings.user!r} on {settings.host}: enter it in the "
                             f"Notifications dialog (kept in the keyring) or set {credentials.ENV_VAR}")
    if not message["From"]:
        message["From"] = settings.from_address
    context = settings.ssl_context or ssl.create_default_context()
    try:
        if settings.security == "ssl":
            smtp = smtplib.SMTP_SSL(settings.host, settings.port, timeout=settings.timeout, context=context)
        else:
            smtp = smtplib.SMTP(settings.host, settings.port, timeout=settings.timeout)
        with smtp:
            if settings.security == "starttls":
                smtp.starttls(context=context)
            if settings.user:
                smtp.login(settings.user, password)
            smtp.send_message(message)
    except (smtplib.SMTPException, OSError) as exc:
        raise EmailError(_describe(exc, settings)) from exc
