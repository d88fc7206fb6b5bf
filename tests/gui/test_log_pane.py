"""The message log pane: worker-thread records in order, level filter, highlighting, attach/detach."""

from __future__ import annotations

import logging
import threading
import time

import pytest
from qtpy.QtCore import Qt

from labqueue.gui.log_pane import LogPane
from labqueue.gui.log_signal_handler import LogEntry, LogSignalHandler, _ForwardingHandler


def _forwarders() -> list[logging.Handler]:
    loggers = [logging.getLogger(), logging.getLogger("labqueue")]
    return [h for lg in loggers for h in lg.handlers if isinstance(h, _ForwardingHandler)]


@pytest.fixture
def pane(qtbot, manager):
    pane = LogPane(manager)
    qtbot.addWidget(pane)
    yield pane
    pane.shutdown()


def messages(pane: LogPane) -> list[str]:
    return [e.message for e in pane.visible_entries()]


def test_job_records_from_the_worker_thread_arrive_in_order(qtbot, pane, manager, caplog):
    caplog.set_level(logging.INFO, logger="mylab")  # a job's own logger, at INFO

    def sweep(n):
        for i in range(n):
            logging.getLogger("mylab").info("step %d", i)
        return n

    exp = manager.queued_exec(sweep)(3)
    exp.result(timeout=10)
    qtbot.waitUntil(lambda: any(m.startswith("Finished: sweep(3)") for m in messages(pane)))
    got = [m for m in messages(pane) if "sweep" in m or m.startswith("step")]
    assert got[0] == "Started: sweep(3)"
    assert got[1:4] == ["step 0", "step 1", "step 2"]
    assert got[4].startswith("Finished: sweep(3)")
    worker_entries = [e for e in pane.visible_entries() if e.message.startswith("step")]
    assert {e.thread_name for e in worker_entries} != {threading.current_thread().name}


def test_failure_abort_pause_resume_are_shown_and_errors_stand_out(qtbot, pane, manager):
    manager.queued_exec(int)("not a number")
    qtbot.waitUntil(lambda: any(m.startswith("Queue paused after the failure") for m in messages(pane)))
    manager.resume_worker()
    qtbot.waitUntil(lambda: "Queue resumed." in messages(pane))
    entries = pane.visible_entries()
    failed = next(e for e in entries if e.message.startswith("Failed: int("))
    assert failed.levelno == logging.ERROR and "ValueError" in failed.details
    rows = {e.message: row for row, e in enumerate(entries)}
    model = pane.view.model()
    error_bg = model.index(rows[failed.message], 0).data(Qt.BackgroundRole)
    warning_row = next(r for m, r in rows.items() if m.startswith("Queue paused after"))
    warning_bg = model.index(warning_row, 0).data(Qt.BackgroundRole)
    info_bg = model.index(rows["Queue resumed."], 0).data(Qt.BackgroundRole)
    assert error_bg is not None and warning_bg is not None and info_bg is None
    assert error_bg != warning_bg
    assert "ValueError" in model.index(rows[failed.message], 2).data(Qt.ToolTipRole)


def test_level_filter_chosen_by_the_user_hides_info(qtbot, pane, manager, caplog):
    caplog.set_level(logging.INFO, logger="labqueue")  # the user's level: the pane never changes it
    log = logging.getLogger("labqueue.test")
    log.info("just so you know")
    log.warning("look at this")
    qtbot.waitUntil(lambda: "look at this" in messages(pane))
    assert "just so you know" in messages(pane)
    pane.level_combo.setFocus()
    qtbot.keyClick(pane.level_combo, Qt.Key_Down)  # Info -> Warning
    assert pane.level_combo.currentText() == "Warning"
    assert "just so you know" not in messages(pane) and "look at this" in messages(pane)
    qtbot.keyClick(pane.level_combo, Qt.Key_Up)
    assert "just so you know" in messages(pane)


def test_each_entry_has_its_timestamp(qtbot, pane):
    logging.getLogger("labqueue.test").warning("stamped")
    qtbot.waitUntil(lambda: "stamped" in messages(pane))
    row = messages(pane).index("stamped")
    entry = pane.visible_entries()[row]
    assert pane.view.model().index(row, 0).data() == time.strftime("%H:%M:%S", time.localtime(entry.created))


def test_clear_button_empties_the_pane(qtbot, pane):
    logging.getLogger("labqueue.test").warning("old news")
    qtbot.waitUntil(lambda: "old news" in messages(pane))
    qtbot.mouseClick(pane.clear_button, Qt.LeftButton)
    assert messages(pane) == []


def test_pane_keeps_only_the_last_entries(qtbot, manager):
    pane = LogPane(manager, max_entries=50)
    qtbot.addWidget(pane)
    log = logging.getLogger("labqueue.test")
    for i in range(120):
        log.warning("n%d", i)
    qtbot.waitUntil(lambda: "n119" in messages(pane))
    shown = messages(pane)
    assert len(shown) <= 50 and shown[-1] == "n119"
    assert shown == [f"n{i}" for i in range(120 - len(shown), 120)]
    pane.shutdown()


def test_handler_is_attached_only_while_the_pane_exists(qtbot, manager):
    assert _forwarders() == []  # importing the modules attached nothing
    level_before = logging.getLogger("labqueue").level
    pane = LogPane(manager)
    qtbot.addWidget(pane)
    assert len(_forwarders()) == 1  # on the root logger, routed by a filter
    pane.close()
    assert _forwarders() == []
    assert logging.getLogger("labqueue").level == level_before
    logging.getLogger("labqueue.test").warning("after close")  # must not reach a closed pane
    qtbot.wait(0)


def test_a_record_whose_message_cannot_be_formatted_still_shows():
    record = logging.LogRecord("mylab", logging.WARNING, __file__, 1, "%d items", ("many",), None)
    entry = LogEntry.from_record(record)
    assert "could not be formatted" in entry.message and "%d items" in entry.message


def test_signal_handler_snapshot_does_not_change_with_its_arguments(qtbot):
    handler = LogSignalHandler()
    got = []
    handler.entries_ready_signal.connect(lambda: got.extend(handler.take_entries()), Qt.QueuedConnection)
    handler.attach()
    try:
        data = [1]
        logging.getLogger("labqueue.test").warning("data %s", data)
        data.append(2)
        qtbot.waitUntil(lambda: bool(got))
    finally:
        handler.detach()
    assert got[0].message == "data [1]"


def test_a_burst_of_records_reaches_the_pane_as_one_insertion_in_order(qtbot, pane):
    """A job logging thousands of lines must not post one GUI event (and one row insert) per line."""
    inserts = []
    pane.model.rowsInserted.connect(lambda _parent, first, last: inserts.append(last - first + 1))
    log = logging.getLogger("labqueue.test")
    burst = threading.Thread(target=lambda: [log.warning("line %d", i) for i in range(300)])
    burst.start()
    burst.join()  # the GUI thread was blocked: every record is buffered before the pane sees one
    qtbot.waitUntil(lambda: len(messages(pane)) >= 300)
    assert [m for m in messages(pane) if m.startswith("line ")] == [f"line {i}" for i in range(300)]
    assert inserts == [300]


def test_the_pane_shows_job_events_without_changing_logger_levels(qtbot, manager):
    """Job events reach the pane from the change stream; the user's "labqueue" level stays theirs."""
    labqueue_logger = logging.getLogger("labqueue")
    level_before = labqueue_logger.level
    pane = LogPane(manager)
    qtbot.addWidget(pane)
    try:
        assert labqueue_logger.level == level_before
        assert manager.queued_exec(pow)(2, 5).result(timeout=10) == 32
        qtbot.waitUntil(lambda: any(m.startswith("Finished: pow(2, 5)") for m in messages(pane)))
        assert "Started: pow(2, 5)" in messages(pane)
        assert labqueue_logger.level == level_before
    finally:
        pane.shutdown()
