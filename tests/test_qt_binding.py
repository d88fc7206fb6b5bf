"""The Qt binding in use (PyQt5, or PySide6 under ``make test-pyside6``) is one labqueue can run on."""

from __future__ import annotations

import sys

import qtpy
from qtpy.QtCore import QObject, Signal


class _Emitter(QObject):
    number_signal = Signal(int)


def test_emitting_signals_keeps_the_reference_count_of_true():
    # PySide6 6.12.0's emit() returned True without a reference: each emit took one from True,
    # and Python < 3.12 aborts ("bool_dealloc") once it reaches zero, e.g. at exit.
    emitter = _Emitter()
    before = sys.getrefcount(True)
    for i in range(200):
        emitter.number_signal.emit(i)
    assert sys.getrefcount(True) > before - 100, f"{qtpy.API_NAME} {qtpy.QT_VERSION} drops references to True"
