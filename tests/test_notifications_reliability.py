"""Notifications under attack (issue 12): slow mail servers, broken exceptions, racing threads,
the user's own logger levels, bad folders and addresses, and a flood of failures.

Job events (started / finished / failed / aborted) come from the queue's change stream on a
thread of the notifications (issue 10), not from the worker.
"""

from __future__ import annotations

import logging
import socket
import sys
import threading

import pytest

from labqueue.manager import Manager
from labqueue.notifications import SmtpSettings, email_handler, log_files
from smtp_support import plain_smtp_server


@pytest.fixture(autouse=True)
def _no_notification_thread_left():
    yield
    left = [t.name for t in threading.enumerate() if t.name.startswith(("labqueue-mail", "labqueue-events"))]
    assert not left, f"threads still running: {left}"


@pytest.fixture
def plain_server():
    with plain_smtp_server() as server:
        yield server


@pytest.fixture
def labqueue_logger():
    """The "labqueue" logger, its level and handlers restored after the test."""
    lq = logging.getLogger("labqueue")
    level, handlers = lq.level, list(lq.handlers)
    yield lq
    lq.setLevel(level)
    lq.handlers[:] = handlers


class _ListHandler(logging.Handler):
    def __init__(self):
        super().__init__(logging.NOTSET)
        self.records: list[logging.LogRecord] = []

    def emit(self, record):
        self.records.append(record)


def _fail(x):
    raise RuntimeError(f"sensor {x} exploded")


def _log_text(directory) -> str:
    return (directory / log_files.LOG_FILE_NAME).read_text(encoding="utf-8")


# ----------------------------------------------------------------- 12.3 a mail server that dribbles
class _DribblingServer:
    """Accepts one connection and sends its greeting one byte at a time, never finishing a line."""

    def __init__(self, pace: float = 0.2):
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.port = self._listener.getsockname()[1]
        self.connected = threading.Event()
        self._stop = threading.Event()
        self._pace = pace
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self):
        try:
            conn, _ = self._listener.accept()
        except OSError:
            return
        self.connected.set()
        with conn:
            try:
                conn.sendall(b"220 ")
                while not self._stop.wait(self._pace):  # the pace of the drip, not a synchronisation
                    conn.sendall(b"x")
            except OSError:  # the client gave up and closed the connection
                pass

    def stop(self):
        self._stop.set()
        self._listener.close()
        self._thread.join(10)


@pytest.mark.parametrize("ending", ["shutdown", "with"])
def test_a_server_sending_one_byte_at_a_time_cannot_hold_up_shutdown(make_manager, caplog, ending):
    deadline = 1.0
    server = _DribblingServer()
    caplog.set_level(logging.WARNING, logger="labqueue")
    try:
        smtp = SmtpSettings("127.0.0.1", server.port, security="plain", timeout=5, deadline=deadline)
        if ending == "shutdown":
            manager = make_manager(notify_address="op@lab.example.org", pause_on_failure=False)
            manager.notifications.smtp = smtp
            manager.queued_exec(_fail)(1).exception(timeout=10)
            assert server.connected.wait(10), "the mail was never sent"
            assert manager.shutdown(wait=True, timeout=deadline + 10)
        else:
            ended = threading.Event()

            def script():
                with Manager(notify_address="op@lab.example.org", pause_on_failure=False) as manager:
                    manager.notifications.smtp = smtp
                    manager.queued_exec(_fail)(1).exception(timeout=10)
                    assert server.connected.wait(10)
                ended.set()

            thread = threading.Thread(target=script, daemon=True)
            thread.start()
            assert ended.wait(deadline + 10), "`with Manager()` did not return"
            thread.join()
    finally:
        server.stop()
    failures = [r.getMessage() for r in caplog.records if "could not be sent" in r.getMessage()]
    assert len(failures) == 1 and f"within {deadline:g} s" in failures[0]


def test_the_deadline_must_be_a_positive_number():
    for bad in (0, -1, "60", None):
        with pytest.raises((TypeError, ValueError), match="SMTP deadline must be a positive number"):
            SmtpSettings("smtp.example.org", deadline=bad)


# ----------------------------------------------------------------- 12.4 an exception whose __str__ raises
class _Unprintable(Exception):
    def __str__(self):
        raise RuntimeError("no text for this exception")


def _fail_unprintably():
    raise _Unprintable()


def test_a_failure_whose_exception_cannot_be_printed_is_mailed_and_logged(make_manager, plain_server, tmp_path):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org", log_file_dir=tmp_path, pause_on_failure=False)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")
    assert isinstance(manager.queued_exec(_fail_unprintably)().exception(timeout=10), _Unprintable)
    assert manager.shutdown(wait=True, timeout=30)
    assert len(inbox.messages) == 1
    subject = inbox.messages[0]["Subject"]
    assert "FAILED: _fail_unprintably()" in subject and "_Unprintable" in subject
    assert "Traceback (most recent call last)" in inbox.messages[0].get_content()
    text = _log_text(tmp_path)
    assert "Failed: _fail_unprintably()" in text and "_Unprintable" in text


# ----------------------------------------------------------------- 12.8 two threads set smtp at once
def test_two_threads_setting_smtp_at_once_leave_one_consistent_state(make_manager, plain_server):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org", pause_on_failure=False)
    choices = [SmtpSettings("127.0.0.1", port, security="plain"), None,
               SmtpSettings("127.0.0.1", port, security="plain", timeout=7)]
    errors: list[BaseException] = []
    start = threading.Barrier(2)

    def hammer(offset):
        start.wait()
        try:
            for i in range(300):
                manager.notifications.smtp = choices[(i + offset) % 3]
        except Exception as exc:  # noqa: BLE001 - collected and asserted below
            errors.append(exc)

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-5)  # switch threads often: races show up at once
    try:
        threads = [threading.Thread(target=hammer, args=(n,)) for n in (0, 1)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert errors == []
    manager.notifications.smtp = choices[0]
    assert manager.notifications.email_active
    manager.queued_exec(_fail)(1).exception(timeout=10)
    assert manager.shutdown(wait=True, timeout=30)
    assert len(inbox.messages) == 1


# ----------------------------------------------------------------- 12.10 the user's logger levels
@pytest.mark.parametrize("user_level", [logging.NOTSET, logging.WARNING])
def test_log_files_and_email_leave_the_user_s_logger_levels_alone(make_manager, plain_server, tmp_path,
                                                                   labqueue_logger, user_level):
    inbox, port = plain_server
    labqueue_logger.setLevel(user_level)
    terminal = _ListHandler()  # the user's own handler, as a terminal would show it
    labqueue_logger.addHandler(terminal)
    root_level = logging.getLogger().level
    manager = make_manager(notify_address="op@lab.example.org", email_handler_level="ERROR",
                           log_file_dir=tmp_path, pause_on_failure=False)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")
    assert manager.queued_exec(pow)(2, 3).result(timeout=10) == 8
    manager.queued_exec(_fail)(1).exception(timeout=10)
    assert manager.shutdown(wait=True, timeout=30)
    assert labqueue_logger.level == user_level and logging.getLogger().level == root_level
    assert [r.getMessage() for r in terminal.records if r.levelno < logging.WARNING] == []
    assert [r.getMessage().split(":")[0] for r in terminal.records] == ["Failed"]  # the user's WARNING level
    text = _log_text(tmp_path)
    assert "Started: pow(2, 3)" in text and "Finished: pow(2, 3)" in text  # the file has every job event
    assert len(inbox.messages) == 1


# ----------------------------------------------------------------- issue 10: events from the stream
def test_job_events_are_logged_from_the_change_stream_not_on_the_worker(manager, caplog):
    caplog.set_level(logging.INFO, logger="labqueue")
    worker_thread = manager.queued_exec(threading.get_ident)().result(timeout=10)
    manager.queued_exec(_fail)(2).exception(timeout=10)
    manager.notifications.flush()
    events = [r for r in caplog.records if r.getMessage().split(":")[0] in ("Started", "Finished", "Failed")]
    assert [r.getMessage().split(":")[0] for r in events] == ["Started", "Finished", "Started", "Failed"]
    assert all(r.thread != worker_thread for r in events)
    failed = events[-1]
    assert failed.levelno == logging.ERROR and failed.exc_info and failed.exc_info[0] is RuntimeError
    assert failed.experiment.call_text == "_fail(2)"


def test_a_job_s_own_lines_come_between_its_started_and_finished_lines(make_manager, tmp_path):
    manager = make_manager(log_file_dir=tmp_path)

    def chatty():
        for i in range(3):
            logging.getLogger("labqueue.chatty").warning("step %d", i)

    manager.queued_exec(chatty)().result(timeout=10)
    assert manager.shutdown(wait=True, timeout=10)
    lines = [line.split(": ", 1)[1] for line in _log_text(tmp_path).splitlines() if ": " in line]
    mine = [line for line in lines if "chatty" in line or line.startswith("step")]
    assert mine[0] == "Started: chatty()" and mine[1:4] == ["step 0", "step 1", "step 2"]
    assert mine[4].startswith("Finished: chatty()")


# ----------------------------------------------------------------- 12.11 / 12.14 clear errors
@pytest.mark.parametrize("path, match", [
    ("", "log_file_dir is empty"),
    ("   ", "log_file_dir is empty"),
    ("~nosuchuser-labqueue/logs", "no user 'nosuchuser-labqueue'"),
    (42, "log_file_dir must be a folder path"),
])
def test_an_unusable_log_folder_name_is_a_clear_error(manager, tmp_path, monkeypatch, path, match):
    monkeypatch.chdir(tmp_path)
    with pytest.raises((TypeError, ValueError), match=match):
        Manager(log_file_dir=path)
    with pytest.raises((TypeError, ValueError), match=match):
        manager.log_file_dir = path
    assert not manager.log_to_file and list(tmp_path.iterdir()) == []


def test_a_log_folder_that_is_a_file_is_named_as_such(manager, tmp_path):
    blocker = tmp_path / "logs"
    blocker.write_text("I am a file")
    for path in (blocker, blocker / "inner"):
        with pytest.raises(NotADirectoryError, match=f"{blocker} is a file, not a folder"):
            manager.log_file_dir = path
    assert not manager.log_to_file


def test_turning_log_files_on_after_shutdown_is_an_error(manager, tmp_path):
    assert manager.shutdown(wait=True, timeout=10)
    with pytest.raises(RuntimeError, match="shut down"):
        manager.log_file_dir = tmp_path
    with pytest.raises(RuntimeError, match="shut down"):
        manager.log_to_file = True
    manager.log_to_file = False  # turning off is always fine
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("address, match", [
    (b"me@lab.org", r"got bytes b'me@lab.org' \(write 'me@lab.org'\)"),
    ([b"me@lab.org"], r"got bytes b'me@lab.org' \(write 'me@lab.org'\)"),
    (42, "got int 42"),
])
def test_addresses_that_are_not_text_are_named(address, match):
    with pytest.raises(TypeError, match="e-mail addresses must be text, " + match):
        Manager(notify_address=address)


def test_smtp_user_none_means_no_login_and_other_bad_types_are_named():
    assert SmtpSettings("smtp.example.org", user=None).user == ""
    with pytest.raises(TypeError, match="SMTP user name must be text"):
        SmtpSettings("smtp.example.org", user=5)
    with pytest.raises(TypeError, match="SMTP timeout must be a positive number"):
        SmtpSettings("smtp.example.org", timeout="10")


# ----------------------------------------------------------------- a flood of failures
def test_a_flood_of_failures_gives_a_few_mails_then_one_digest(make_manager, plain_server):
    inbox, port = plain_server
    manager = make_manager(notify_address="op@lab.example.org", pause_on_failure=False)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")
    jobs = [manager.queued_exec(_fail)(i) for i in range(200)]
    assert all(isinstance(exp.exception(timeout=30), RuntimeError) for exp in jobs)
    assert manager.shutdown(wait=True, timeout=60)
    subjects = [m["Subject"] for m in inbox.messages]
    at_once = email_handler.MAILS_AT_ONCE
    assert len(subjects) == at_once + 1
    assert all("FAILED: _fail(" in s for s in subjects[:at_once])
    assert f"{200 - at_once} more notifications" in subjects[-1]
    body = inbox.messages[-1].get_content()
    assert "_fail(199)" in body and f"_fail({at_once})" in body


def test_the_digest_goes_out_when_the_quiet_interval_is_over(make_manager, plain_server, monkeypatch):
    inbox, port = plain_server
    monkeypatch.setattr(email_handler, "DIGEST_INTERVAL", 5.0)  # long enough for the first mails to go out
    manager = make_manager(notify_address="op@lab.example.org", pause_on_failure=False)
    manager.notifications.smtp = SmtpSettings("127.0.0.1", port, security="plain")
    for exp in [manager.queued_exec(_fail)(i) for i in range(email_handler.MAILS_AT_ONCE + 3)]:
        exp.exception(timeout=10)
    assert inbox.wait_for(email_handler.MAILS_AT_ONCE + 1, timeout=60), "no digest before shutdown"
    assert "3 more notifications" in inbox.messages[-1]["Subject"]
    assert manager.shutdown(wait=True, timeout=30)


class _Fatal(BaseException):
    pass


class _ReprRaisesFatal:
    def __repr__(self):
        raise _Fatal("no repr")


def test_an_argument_whose_repr_raises_a_base_exception_does_not_end_the_event_log(manager):
    seen = threading.Event()

    class _Watch(logging.Handler):
        def emit(self, record):
            if record.getMessage().startswith("Finished: pow(2, 2)"):
                seen.set()

    watch = _Watch()
    manager.notifications.add_handler(watch)  # a sink: job events are made for it
    try:
        assert manager.queued_exec(lambda _x: 1)(_ReprRaisesFatal()).result(timeout=10) == 1
        assert manager.queued_exec(pow)(2, 2).result(timeout=10) == 4
        assert seen.wait(10), "the event thread stopped logging"
    finally:
        manager.notifications.remove_handler(watch)
