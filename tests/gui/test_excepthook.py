"""An exception in a Qt slot or a background thread is logged and shown; the app survives."""

from __future__ import annotations

import logging
import sys
import threading

import pytest
from qtpy.QtCore import Qt
from qtpy.QtWidgets import QPushButton

from labqueue.gui.excepthook import install_excepthook


class BrokenPlotError(RuntimeError):
    pass


def broken_slot() -> None:
    raise BrokenPlotError("cannot plot an empty spectrum")


@pytest.fixture
def hook():
    h = install_excepthook()
    yield h
    if h.box is not None:
        h.box.close()
    h.uninstall()


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_slot_is_logged_shown_and_survived(qtbot, hook, caplog):
    caplog.set_level(logging.ERROR, logger="labqueue")
    button = QPushButton("Plot")
    qtbot.addWidget(button)
    button.clicked.connect(broken_slot)
    button.show()
    qtbot.mouseClick(button, Qt.LeftButton)

    record = next(r for r in caplog.records if r.exc_info and r.exc_info[0] is BrokenPlotError)
    assert "Unhandled exception" in record.getMessage()
    qtbot.waitUntil(lambda: hook.box is not None and hook.box.isVisible())
    assert "cannot plot an empty spectrum" in hook.box.text()
    assert "broken_slot" in hook.box.detailedText()
    assert not hook.box.isModal()

    # A storm of errors opens no second box; the open one counts them.
    first_box = hook.box
    for _ in range(3):
        qtbot.mouseClick(button, Qt.LeftButton)
    qtbot.waitUntil(lambda: "3 other error(s)" in first_box.informativeText())
    assert hook.box is first_box
    assert button.isVisible()  # the app is alive and the button still works


@pytest.mark.qt_no_exception_capture
def test_an_exception_in_a_background_thread_is_shown_on_the_gui_thread(qtbot, hook, caplog):
    caplog.set_level(logging.ERROR, logger="labqueue")
    thread = threading.Thread(target=broken_slot, name="plotter")
    thread.start()
    thread.join()
    assert any("thread 'plotter'" in r.getMessage() for r in caplog.records)
    qtbot.waitUntil(lambda: hook.box is not None and hook.box.isVisible())
    assert "BrokenPlotError" in hook.box.text()


def test_uninstall_restores_the_previous_hooks():
    before_sys, before_thread = sys.excepthook, threading.excepthook
    h = install_excepthook()
    assert sys.excepthook != before_sys and threading.excepthook != before_thread
    h.uninstall()
    assert sys.excepthook == before_sys and threading.excepthook == before_thread
