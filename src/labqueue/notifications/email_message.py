"""What a notification e-mail says: a subject readable on a phone, a body with the call,
duration, traceback and the last log lines (:func:`notification_message`).
"""

from __future__ import annotations

import logging
import socket
import time
import traceback
from collections.abc import Iterable, Sequence
from email.message import EmailMessage

from labqueue.display_format import duration_text
from labqueue.experiment import Experiment, ExpStatus
from labqueue.notifications.record_routing import EVENT_ATTRIBUTE

__all__ = ["notification_message", "digest_message", "test_message", "format_duration", "OneLineFormatter",
           "job_event", "describe_exception", "record_text"]

_SUBJECT_MAX = 110
_CALL_MAX = 2000


class OneLineFormatter(logging.Formatter):
    """``time level logger: message`` without the traceback (for the "last log lines" excerpt)."""

    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)s %(name)s: %(message)s", "%H:%M:%S")

    def format(self, record: logging.LogRecord) -> str:
        record.message = record_text(record)
        record.asctime = self.formatTime(record, self.datefmt)
        return self.formatMessage(record).partition("\n")[0]


def record_text(record: logging.LogRecord) -> str:
    """``record.getMessage()`` that never raises (a bad format string or a broken ``__str__``)."""
    try:
        return record.getMessage()
    except Exception as exc:  # noqa: BLE001 - any argument's __str__ may fail
        return f"{record.msg!r} (message could not be formatted: {type(exc).__name__})"


def describe_exception(exc: BaseException | None) -> str:
    """``TypeName: message`` of an exception; never raises, even when its ``__str__`` does."""
    if exc is None:
        return "unknown error"
    name = type(exc).__name__
    try:
        text = str(exc)
    except Exception:  # noqa: BLE001 - a user's exception class may break __str__
        return f"{name} (its message could not be printed)"
    return f"{name}: {text}" if text else name


def format_duration(seconds: float | None) -> str:
    """The job's duration as every view writes it (:func:`labqueue.display_format.duration_text`)."""
    return "not started" if seconds is None else duration_text(seconds)


def _clip(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _when(stamp: float | None) -> str:
    return "—" if stamp is None else time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(stamp))


def job_event(record: logging.LogRecord) -> tuple[Experiment | None, ExpStatus | None, BaseException | None]:
    """The job a record is about, the state it reports, and the job's exception if it failed.

    A record about a job that carries an exception reports its failure, even when it is logged
    just before the job is marked FAILED.
    """
    exp = getattr(record, "experiment", None)
    if not isinstance(exp, Experiment):
        return None, None, None
    exc = record.exc_info[1] if record.exc_info and record.exc_info[0] is not None else None
    status = getattr(record, EVENT_ATTRIBUTE, None) or exp.status
    if exc is None and status is ExpStatus.FAILED:
        exc = exp.exception(timeout=0)
    return exp, (ExpStatus.FAILED if exc is not None else status), exc


def _subject(record: logging.LogRecord, exp: Experiment | None, status: ExpStatus | None,
             exc: BaseException | None, host: str) -> str:
    if exp is None:
        text = f"{record.levelname}: {record_text(record)}"
    elif getattr(record, "labqueue_watchdog", False):
        text = f"STILL RUNNING after {format_duration(exp.duration)}: {exp.call_text}"
    elif status is ExpStatus.FAILED and exc is not None:
        text = f"FAILED: {exp.call_text} — {describe_exception(exc)}"
    elif status is not None and status.is_done:
        text = f"{status.name}: {exp.call_text}"
    else:
        text = f"{record.levelname}: {record_text(record)}"
    return _clip(f"[labqueue {host}] {text}", _SUBJECT_MAX)


def notification_message(record: logging.LogRecord, recipients: Sequence[str], recent_lines: Iterable[str] = (),
                         queue_paused: bool = False) -> EmailMessage:
    """The e-mail for one log record; uses the job in ``record.experiment`` when there is one."""
    host = socket.gethostname() or "localhost"
    exp, status, exc = job_event(record)
    lines = [record_text(record), ""]
    if exp is not None:
        lines += [f"Job:       {_clip(exp.full_call_text(), _CALL_MAX)}",
                  f"Status:    {status.name}",
                  f"Queued:    {_when(exp.queued_at)}",
                  f"Started:   {_when(exp.started_at)}",
                  f"Duration:  {format_duration(exp.duration)}"]
    lines += [f"Logged:    {_when(record.created)} ({record.levelname}, logger {record.name})",
              f"Computer:  {host}"]
    if queue_paused:
        lines += ["", "The queue is PAUSED: resume it to run the next job."]
    tb = exp.traceback if exp is not None else None
    if tb is None and record.exc_info and record.exc_info[0] is not None:
        tb = "".join(traceback.format_exception(*record.exc_info))
    if tb is None and record.exc_text:
        tb = record.exc_text
    if tb:
        lines += ["", "Traceback:", tb.rstrip()]
    recent = list(recent_lines)
    if recent:
        lines += ["", f"Last {len(recent)} log lines:", *recent]
    msg = EmailMessage()
    msg["Subject"] = _subject(record, exp, status, exc, host)
    msg["To"] = ", ".join(recipients)
    msg.set_content("\n".join(lines) + "\n")
    return msg


def digest_message(records: Sequence[logging.LogRecord], more: int, recipients: Sequence[str],
                   first_failure: str | None = None) -> EmailMessage:
    """One e-mail for the notifications held back by the rate limit: a line each, oldest first.

    ``more`` counts those beyond ``records`` (kept as a number only); ``first_failure`` is the
    traceback of the first failure among them, if any.
    """
    host = socket.gethostname() or "localhost"
    total = len(records) + more
    kinds: dict[str, int] = {}
    lines = []
    for record in records:
        exp, status, exc = job_event(record)
        if status is ExpStatus.FAILED:
            kind = "FAILED"
            text = f"FAILED: {exp.call_text} — {describe_exception(exc)}"
        elif exp is not None and status is not None and status.is_done:
            kind = status.name
            text = f"{kind}: {exp.call_text}"
        else:
            kind = record.levelname
            text = f"{kind}: {OneLineFormatter().format(record).split(': ', 1)[-1]}"
        kinds[kind] = kinds.get(kind, 0) + 1
        lines.append(f"{_when(record.created)}  {text}")
    summary = ", ".join(f"{n} {kind}" for kind, n in kinds.items())
    body = [f"{total} notifications came faster than labqueue sends e-mails; here they are in one mail.", "",
            *lines]
    if more:
        body.append(f"… and {more} more (see the log file or the Messages pane).")
    if first_failure:
        body += ["", "Traceback of the first failure:", first_failure.rstrip()]
    msg = EmailMessage()
    msg["Subject"] = _clip(f"[labqueue {host}] {total} more notifications ({summary})", _SUBJECT_MAX)
    msg["To"] = ", ".join(recipients)
    msg.set_content("\n".join(body) + "\n")
    return msg


def test_message(recipients: Sequence[str]) -> EmailMessage:
    """The message the "Send test e-mail" button sends."""
    host = socket.gethostname() or "localhost"
    msg = EmailMessage()
    msg["Subject"] = f"[labqueue {host}] Test e-mail"
    msg["To"] = ", ".join(recipients)
    msg.set_content(f"This is a test from labqueue on {host} at {_when(time.time())}.\n"
                    "If you can read this, e-mail notifications work.\n")
    return msg


test_message.__test__ = False  # not a pytest test, despite its name
