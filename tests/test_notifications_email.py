"""E-mail notifications against a real SMTP server (aiosmtpd) on 127.0.0.1.

Every test ends with ``manager.shutdown()``, which delivers what is pending and joins the sender
thread, so the number of mails counted afterwards is final.
"""

from __future__ import annotations

import logging
import socket
import threading

import keyring.backend
import keyring.core
import keyring.errors
import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from labqueue.manager import ExpStatus
from labqueue.notifications import EMAIL_OFF
from labqueue.notifications import credentials as smtp_credentials
from labqueue.notifications.smtp import EmailError, SmtpSettings
from labqueue.notifications.watchdog import time_limit
from smtp_support import Inbox, MemoryKeyring, free_port, plain_smtp_server, tls_contexts

USER, PASSWORD = "operator", "s3cret-pw"


def _authenticate(server, session, envelope, mechanism, auth_data):
    ok = isinstance(auth_data, LoginPassword) and auth_data.login == USER.encode() \
        and auth_data.password == PASSWORD.encode()
    return AuthResult(success=ok, handled=False)  # handled=False: aiosmtpd answers 535 itself


@pytest.fixture(autouse=True)
def _no_notification_thread_left():
    """The mail sender and watchdog threads end with their Manager."""
    yield
    left = [t.name for t in threading.enumerate() if t.name in ("labqueue-mail", "labqueue-watchdog")]
    assert not left, f"threads still running: {left}"


@pytest.fixture
def memory_keyring(monkeypatch) -> MemoryKeyring:
    backend = MemoryKeyring()
    monkeypatch.setattr(keyring.core, "_keyring_backend", backend)
    monkeypatch.delenv(smtp_credentials.ENV_VAR, raising=False)
    return backend


@pytest.fixture
def plain_server():
    """An SMTP server without TLS or login; yields (inbox, port)."""
    with plain_smtp_server() as server:
        yield server


@pytest.fixture
def tls_server():
    """An SMTP server that requires STARTTLS and a login, with a certificate made here.

    Yields (inbox, port, client SSL context that trusts the test CA).
    """
    server_ctx, client_ctx = tls_contexts()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), tls_context=server_ctx,
                            require_starttls=True, authenticator=_authenticate, auth_required=True)
    controller.start()
    yield inbox, controller.port, client_ctx
    controller.stop()


def _fail(x):
    raise RuntimeError(f"sensor {x} exploded")


def test_failed_job_over_starttls_sends_exactly_one_mail_with_traceback(make_manager, tls_server, memory_keyring):
    inbox, port, client_ctx = tls_server
    smtp_credentials.store_password("127.0.0.1", USER, PASSWORD)
    manager = make_manager(notify_address=["op@lab.example.org"])
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="starttls", user=USER,
                                              sender="queue@lab.example.org", ssl_context=client_ctx)
    exp = manager.queued_exec(_fail)(7)
    assert isinstance(exp.exception(timeout=10), RuntimeError)
    assert inbox.wait_for(1)
    assert manager.shutdown(wait=True, timeout=30)

    assert len(inbox.messages) == 1  # "Failed" and "queue paused after the failure" are one event
    msg = inbox.messages[0]
    assert inbox.envelopes[0].rcpt_tos == ["op@lab.example.org"]
    assert msg["From"] == "queue@lab.example.org"
    assert "FAILED" in msg["Subject"] and "_fail(7)" in msg["Subject"] and "sensor 7 exploded" in msg["Subject"]
    body = msg.get_content()
    assert "Traceback (most recent call last)" in body
    assert "RuntimeError: sensor 7 exploded" in body
    assert "Duration:" in body and "_fail(7)" in body
    assert "PAUSED" in body
    assert "Started: _fail(7)" in body  # the last log lines are quoted


def test_records_below_the_level_send_nothing(make_manager, plain_server):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org", email_handler_level="ERROR",
                           pause_on_failure=False)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")

    def warns():
        logging.getLogger("mylab.cryostat").warning("temperature drifting")
        return 1

    assert manager.queued_exec(warns)().result(timeout=10) == 1
    manager.queued_exec(_fail)(1).exception(timeout=10)
    assert manager.shutdown(wait=True, timeout=30)
    assert len(inbox.messages) == 1  # the ERROR (the channel works), not the WARNING
    assert "FAILED" in inbox.messages[0]["Subject"]
    assert "temperature drifting" not in inbox.messages[0]["Subject"]


def test_a_job_s_own_warning_is_mailed_at_warning_level(make_manager, plain_server):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org")
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")
    manager.queued_exec(lambda: logging.getLogger("mylab.cryostat").warning("helium low"))().result(timeout=10)
    assert manager.shutdown(wait=True, timeout=30)
    assert len(inbox.messages) == 1
    assert "helium low" in inbox.messages[0]["Subject"]


def test_level_off_and_no_addresses_start_no_sender(make_manager, plain_server):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org", email_handler_level=EMAIL_OFF)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")
    assert not manager.notifications.email_active
    manager.email_handler_level = logging.WARNING
    assert manager.notifications.email_active
    manager.notify_address = []
    assert not manager.notifications.email_active
    manager.queued_exec(_fail)(1).exception(timeout=10)
    assert manager.shutdown(wait=True, timeout=30)
    assert inbox.messages == []


def test_two_managers_do_not_double_send(make_manager, plain_server):
    inbox, port = plain_server
    smtp = SmtpSettings("127.0.0.1", port, security="plain")
    first = make_manager(notify_address="a@lab.example.org")
    second = make_manager(notify_address="b@lab.example.org")
    first.notifications.smtp = second.notifications.smtp = smtp
    first.queued_exec(_fail)("A").exception(timeout=10)
    assert first.shutdown(wait=True, timeout=30) and second.shutdown(wait=True, timeout=30)
    assert len(inbox.messages) == 1
    assert inbox.envelopes[0].rcpt_tos == ["a@lab.example.org"]


def test_ssl_from_the_start(make_manager):
    server_ctx, client_ctx = tls_contexts()
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port(), ssl_context=server_ctx)
    controller.start()
    try:
        manager = make_manager(notify_address="op@lab.example.org")
        manager.notifications.smtp = SmtpSettings("127.0.0.1", controller.port, security="ssl",
                                                  ssl_context=client_ctx)
        manager.notifications.send_test_email()
        assert len(inbox.messages) == 1 and "Test e-mail" in inbox.messages[0]["Subject"]
    finally:
        controller.stop()


def test_wrong_password_is_a_clear_error(tls_server, memory_keyring, make_manager):
    inbox, port, client_ctx = tls_server
    manager = make_manager(notify_address="op@lab.example.org")
    smtp = SmtpSettings("127.0.0.1", port, user=USER, password="wrong", ssl_context=client_ctx)
    with pytest.raises(EmailError, match="rejected user 'operator' or the password: 535"):
        manager.notifications.send_test_email(smtp=smtp)
    smtp_credentials.store_password("127.0.0.1", USER, PASSWORD)
    manager.notifications.send_test_email(smtp=SmtpSettings("127.0.0.1", port, user=USER, ssl_context=client_ctx))
    assert len(inbox.messages) == 1


def test_missing_password_names_both_places(tls_server, memory_keyring, make_manager):
    _, port, client_ctx = tls_server
    manager = make_manager(notify_address="op@lab.example.org")
    with pytest.raises(EmailError, match="LABQUEUE_SMTP_PASSWORD"):
        manager.notifications.send_test_email(smtp=SmtpSettings("127.0.0.1", port, user=USER,
                                                                ssl_context=client_ctx))


def test_environment_variable_password(tls_server, memory_keyring, make_manager, monkeypatch):
    inbox, port, client_ctx = tls_server
    monkeypatch.setenv(smtp_credentials.ENV_VAR, PASSWORD)
    manager = make_manager(notify_address="op@lab.example.org")
    manager.notifications.send_test_email(smtp=SmtpSettings("127.0.0.1", port, user=USER, ssl_context=client_ctx))
    assert len(inbox.messages) == 1


@pytest.mark.parametrize("kwargs, match", [
    ({"host": ""}, "host name"),
    ({"host": "smtp example.org"}, "host name"),
    ({"host": "smtp.example.org", "port": 70000}, "port"),
    ({"host": "smtp.example.org", "security": "tls-please"}, "unknown SMTP security"),
    ({"host": "smtp.example.org", "sender": "not an address"}, "not a valid e-mail address"),
])
def test_bad_smtp_settings_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        SmtpSettings(**kwargs)


def test_bad_address_and_level_leave_settings_unchanged(manager):
    manager.notify_address = ["op@lab.example.org"]
    with pytest.raises(ValueError, match="not a valid e-mail address"):
        manager.notify_address = ["op@lab.example.org", "typo@@lab"]
    with pytest.raises(ValueError, match="unknown logging level"):
        manager.email_handler_level = "LOUD"
    assert manager.notify_address == ["op@lab.example.org"]
    assert manager.email_handler_level == logging.WARNING


def test_unreachable_server_is_logged_once_and_jobs_go_on(make_manager, caplog):
    port = free_port()  # nothing listens there: connection refused
    manager = make_manager(notify_address="op@lab.example.org", pause_on_failure=False)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain", timeout=5)
    sender = manager.notifications.mail_sender
    with caplog.at_level(logging.WARNING, logger="labqueue.email"):
        first = manager.queued_exec(_fail)(1)
        second = manager.queued_exec(_fail)(2)
        after = manager.queued_exec(pow)(2, 5)
        assert after.result(timeout=10) == 32
        assert first.status is second.status is ExpStatus.FAILED
        assert manager.shutdown(wait=True, timeout=30)
    assert sender.sent_count == 0 and sender.failed_count >= 1
    failures = [r for r in caplog.records if "could not be sent" in r.getMessage()]
    assert len(failures) == 1
    assert "connection refused" in failures[0].getMessage()


class _SilentServer:
    """Accepts connections and never says a word, until released: a hung mail server."""

    def __init__(self):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connected = threading.Event()
        self._connections: list[socket.socket] = []
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self):
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        self._connections.append(conn)
        self.connected.set()

    def release(self):
        self._listener.close()
        for conn in self._connections:
            conn.close()
        self._thread.join(5)


def _manager_with_a_hung_send(make_manager, server: _SilentServer):
    """A Manager whose mail sender is stuck on ``server`` with the mail of a failed job."""
    manager = make_manager(notify_address="op@lab.example.org", pause_on_failure=False)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", server.port, security="plain", timeout=60)
    sender = manager.notifications.mail_sender
    manager.queued_exec(_fail)(1).exception(timeout=10)
    assert server.connected.wait(10), "the sender never tried to connect"
    return manager, sender


def test_hung_server_does_not_hold_up_the_worker(make_manager):
    server = _SilentServer()
    try:
        manager, sender = _manager_with_a_hung_send(make_manager, server)
        # The sender is now stuck waiting for the server's greeting; jobs must still run.
        later = [manager.queued_exec(pow)(2, n) for n in range(20)]
        assert [exp.result(timeout=10) for exp in later] == [2 ** n for n in range(20)]
        assert sender.sent_count == sender.failed_count == 0, "the send finished before the jobs"
    finally:
        server.release()
    assert manager.shutdown(wait=True, timeout=30)
    assert sender.failed_count == 1 and not sender.is_alive


def test_join_without_waiting_for_mail_returns_while_a_send_hangs(make_manager):
    """The window's close path: the worker is joined, a mail stuck on a hung server is not waited for."""
    server = _SilentServer()
    try:
        manager, sender = _manager_with_a_hung_send(make_manager, server)
        manager.shutdown(wait=False)
        # If join() waited for the mail, only this release would end the send: it would then have failed.
        unblock = threading.Timer(10, server.release)
        unblock.start()
        try:
            assert manager.join(timeout=30, wait_for_mail=False)
            assert sender.is_alive and sender.sent_count == sender.failed_count == 0  # still stuck
        finally:
            unblock.cancel()
    finally:
        server.release()
    assert manager.join(timeout=30)  # a later join waits for the mail thread
    assert sender.failed_count == 1 and not sender.is_alive


def test_watchdog_warning_is_mailed_once(make_manager, plain_server):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org")
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")
    release = threading.Event()

    @manager.queued_exec
    @time_limit(0.01)
    def slow():
        release.wait(10)

    exp = slow()
    assert inbox.wait_for(1)
    release.set()
    exp.result(timeout=10)
    assert manager.shutdown(wait=True, timeout=30)
    assert len(inbox.messages) == 1
    assert "STILL RUNNING" in inbox.messages[0]["Subject"] and "slow()" in inbox.messages[0]["Subject"]


def test_addresses_without_a_server_say_so_once_when_a_mail_is_due(make_manager, caplog):
    caplog.set_level(logging.WARNING, logger="labqueue")
    manager = make_manager(notify_address="op@lab.example.org", pause_on_failure=False)
    assert not [r for r in caplog.records if "Not e-mailed" in r.getMessage()]  # no noise while configuring
    manager.queued_exec(_fail)(1).exception(timeout=10)
    manager.queued_exec(_fail)(2).exception(timeout=10)
    assert manager.shutdown(wait=True, timeout=10)
    told = [r.getMessage() for r in caplog.records if "Not e-mailed" in r.getMessage()]
    assert len(told) == 1 and "op@lab.example.org" in told[0] and "_fail(1)" in told[0]
    assert manager.notifications.mail_sender is None


def test_an_abort_gives_one_mail(make_manager, plain_server, qtbot):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org")
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")

    def wait_for_abort():
        assert manager.abort.wait(10)
        return "partial data"

    exp = manager.queued_exec(wait_for_abort)()
    qtbot.waitUntil(exp.running)
    assert manager.abort_job()  # logs "Abort requested" at WARNING on this thread
    qtbot.waitUntil(exp.done)
    assert manager.shutdown(wait=True, timeout=30)
    assert [m["Subject"].split("] ", 1)[1] for m in inbox.messages] == ["ABORTED: wait_for_abort()"]
