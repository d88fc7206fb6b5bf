"""Texts of job results for the window, made off the GUI thread: :class:`ResultTexts`.

A result's ``__repr__`` is user code: it may take seconds (a big object) or never return. Built on
the GUI thread, it would freeze the window. Here a helper thread builds every text that needs user
code; the table and the result pane show a placeholder until ``ready_signal`` says it is there.
Plain values (numbers, short strings, small lists of them) are formatted at once: no user code runs.

If one repr runs longer than :data:`HANG_S`, its job shows that the repr does not finish, and a
fresh helper thread takes the remaining work; the stuck one is left to finish (or not) on its own.
"""

from __future__ import annotations

import collections
import reprlib
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any, NamedTuple

from qtpy.QtCore import QObject, Qt, QTimer, Signal

from labqueue.display_format import exception_line, safe_repr, value_summary, value_text
from labqueue.experiment import Experiment, ExpStatus

__all__ = ["ResultTexts", "CellTexts", "PaneTexts", "PENDING", "HANG_S", "hang_note"]

#: Shown while a text is being made.
PENDING = "…"
#: A repr that takes longer than this is reported as hanging; the next texts do not wait for it.
HANG_S = 3.0
#: The helper thread ends after this long without work (a new one starts when needed).
IDLE_EXIT_S = 2.0

_TOOLTIP_LIMIT = 3000  # a tooltip of megabytes (a big array's repr) would freeze the GUI
_PLAIN_SCALARS = (int, float, bool, complex, type(None))
_PLAIN_CONTAINERS = (list, tuple, set, frozenset, dict)

_short = reprlib.Repr()
_short.maxstring = 60
_short.maxother = 60
_short.maxlist = _short.maxtuple = _short.maxdict = _short.maxset = 6
_short.maxlevel = 2

_long = reprlib.Repr()
_long.maxstring = _long.maxother = _TOOLTIP_LIMIT
_long.maxlist = _long.maxtuple = _long.maxdict = _long.maxset = _long.maxdeque = _long.maxarray = 200
_long.maxlevel = 4


class CellTexts(NamedTuple):
    """The table's Result / Error cell and its tooltip."""

    cell: str
    tooltip: str


class PaneTexts(NamedTuple):
    """The result pane's one-line summary (type, size) and its text (the value or the traceback)."""

    summary: str
    text: str


def _cap(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:limit - 1] + "…"


def _is_plain(value: Any, depth: int = 0) -> bool:
    """True if formatting ``value`` runs no user code and is quick (builtins only, small)."""
    kind = type(value)
    if kind in _PLAIN_SCALARS:
        return kind is not int or -10**50 < value < 10**50
    if kind is str or kind is bytes:
        return len(value) <= 10_000
    if kind in _PLAIN_CONTAINERS and depth == 0 and len(value) <= 50:
        items = list(value.keys()) + list(value.values()) if kind is dict else value
        return all(_is_plain(item, 1) for item in items)
    return False


def _exception_is_plain(exc: BaseException | None) -> bool:
    """True if ``str(exc)`` runs no user code: a built-in ``__str__`` and plain arguments."""
    if exc is None:
        return True
    owner = getattr(type(exc).__str__, "__objclass__", None)  # set on C slot wrappers only
    return owner is not None and owner.__module__ == "builtins" and all(_is_plain(a, 1) for a in exc.args)


def _shown_value(exp: Experiment) -> tuple[bool, Any]:
    """(True, value) if ``exp`` has a value to show: a result, or an aborted job's partial data."""
    status = exp.status
    if status is ExpStatus.FINISHED or status is ExpStatus.ABORTED:
        value = exp.return_value
        return value is not None, value
    return False, None


def cell_texts(exp: Experiment) -> CellTexts:
    """The cell and tooltip of ``exp`` (runs the user's ``__repr__``: call it off the GUI thread)."""
    status = exp.status
    if status is ExpStatus.FAILED:
        exc = exp.exception(timeout=0)
        line = exception_line(exc)
        tb = exp.traceback or line
        return CellTexts(_cap(line, 200), tb if len(tb) <= _TOOLTIP_LIMIT else "…" + tb[-_TOOLTIP_LIMIT:])
    has_value, value = _shown_value(exp)
    if not has_value:
        return CellTexts("", "")
    short = safe_repr(value, _short.repr)
    full = _cap(safe_repr(value, _long.repr), _TOOLTIP_LIMIT)
    if status is ExpStatus.ABORTED:
        return CellTexts("partial: " + short, "Partial result (aborted):\n" + full)
    return CellTexts(short, full)


def pane_texts(exp: Experiment) -> PaneTexts:
    """The result pane's summary and text of ``exp`` (user code: call it off the GUI thread)."""
    status = exp.status
    if status is ExpStatus.FAILED:
        exc = exp.exception(timeout=0)
        return PaneTexts(exception_line(exc), exp.traceback or "(no traceback recorded)")
    has_value, value = _shown_value(exp)
    if not has_value:
        return PaneTexts("", "")
    return PaneTexts(value_summary(value), value_text(value))


def _quick(exp: Experiment) -> bool:
    """True if the texts of ``exp`` can be made on the GUI thread (no user code runs)."""
    if exp.status is ExpStatus.FAILED:
        return _exception_is_plain(exp.exception(timeout=0))
    has_value, value = _shown_value(exp)
    return not has_value or _is_plain(value)


class ResultTexts(QObject):
    """Cell, tooltip and pane texts of done jobs; user code runs on a helper thread only.

    :meth:`cell` and :meth:`pane` return the texts, or None after asking the helper thread for
    them (``ready_signal`` follows). :meth:`full_repr` hands a complete repr to a callback.
    Call :meth:`shutdown` when done.
    """

    #: Texts asked for earlier are ready (one signal per burst).
    ready_signal = Signal()
    _delivered_signal = Signal()

    def __init__(self, parent: QObject | None = None):
        super().__init__(parent)
        self._cells: weakref.WeakKeyDictionary[Experiment, CellTexts] = weakref.WeakKeyDictionary()
        self._panes: collections.OrderedDict[int, tuple[weakref.ref, PaneTexts]] = collections.OrderedDict()
        self._asked: set[tuple[str, int]] = set()
        self._callbacks: dict[tuple[str, int], Callable[[Any], None]] = {}
        self._cond = threading.Condition()
        self._tasks: collections.deque = collections.deque()
        self._done: list = []
        self._current: tuple[tuple[str, int], Any, float] | None = None
        self._generation = 0
        self._threads: list[threading.Thread] = []  # every thread started and maybe still running
        self._worker: threading.Thread | None = None  # the one that takes new tasks
        self._stopping = False
        self._delivered_signal.connect(self._deliver, Qt.QueuedConnection)
        self._watch = QTimer(self)
        self._watch.setInterval(500)
        self._watch.timeout.connect(self._check_hang)

    # ----------------------------------------------------------------- asking
    def cell(self, exp: Experiment) -> CellTexts | None:
        """The table cell and tooltip of a done job, or None while the helper thread makes them."""
        texts = self._cells.get(exp)
        if texts is not None:
            return texts
        if _quick(exp):
            texts = cell_texts(exp)
            self._cells[exp] = texts
            return texts
        self._ask(("cell", id(exp)), exp, cell_texts)
        return None

    def pane(self, exp: Experiment) -> PaneTexts | None:
        """The result pane's summary and text of a done job, or None while they are made."""
        entry = self._panes.get(id(exp))
        if entry is not None and entry[0]() is exp:
            self._panes.move_to_end(id(exp))
            return entry[1]
        if _quick(exp):
            texts = pane_texts(exp)
            self._remember_pane(exp, texts)
            return texts
        self._ask(("pane", id(exp)), exp, pane_texts)
        return None

    def full_repr(self, value: Any, callback: Callable[[str], None]) -> None:
        """Call ``callback(repr(value))`` on the GUI thread once the helper thread has made it."""
        key = ("full", id(value))
        self._callbacks[key] = callback
        self._ask(key, value, lambda v: safe_repr(v), force=True)

    def _remember_pane(self, exp: Experiment, texts: PaneTexts) -> None:
        self._panes[id(exp)] = (weakref.ref(exp), texts)
        self._panes.move_to_end(id(exp))
        while len(self._panes) > 4:  # a pane text may be 200,000 characters: keep a few
            self._panes.popitem(last=False)

    def _ask(self, key: tuple[str, int], obj: Any, make: Callable[[Any], Any], force: bool = False) -> None:
        if key in self._asked and not force:
            return
        self._asked.add(key)
        with self._cond:
            if self._stopping:
                return
            self._tasks.append((key, obj, make))
            if self._worker is None:
                self._start_thread()
            self._cond.notify()
        if not self._watch.isActive():
            self._watch.start()

    # ----------------------------------------------------------------- the helper thread
    def _start_thread(self) -> None:
        """Start the helper thread of the current generation (under ``_cond``)."""
        generation = self._generation
        thread = threading.Thread(target=self._work, args=(generation,), name="labqueue-result-texts", daemon=True)
        self._threads = [t for t in self._threads if t.is_alive()] + [thread]
        self._worker = thread
        thread.start()

    def _work(self, generation: int) -> None:
        cond = self._cond
        while True:
            with cond:
                while not self._tasks and generation == self._generation and not self._stopping:
                    if not cond.wait(IDLE_EXIT_S) and not self._tasks and generation == self._generation:
                        self._worker = None  # idle: end; the next request starts a new thread
                        return
                if generation != self._generation or self._stopping:
                    return
                key, obj, make = self._tasks.popleft()
                self._current = (key, obj, time.monotonic())
            try:
                result = make(obj)
            except BaseException as exc:  # noqa: BLE001 - user code must never end the helper
                result = _note_texts(key, f"<text failed: {type(exc).__name__}>")
            with cond:
                if generation == self._generation:
                    self._current = None
                self._done.append((key, obj, result))
                first = len(self._done) == 1
            del obj
            if first:
                self._delivered_signal.emit()

    def _check_hang(self) -> None:
        with self._cond:
            current = self._current
            busy = bool(self._tasks) or current is not None
            hung = current is not None and time.monotonic() - current[2] > HANG_S
            if hung:
                self._generation += 1  # the stuck thread stops after its repr (if ever)
                self._current = None
                key, obj, _ = current
                self._done.append((key, obj, _note_texts(key, hang_note())))
                self._start_thread()  # the next texts must not wait behind the stuck one
        if hung:
            self._deliver()
        elif not busy:
            self._watch.stop()

    def _deliver(self) -> None:
        with self._cond:
            done, self._done = self._done, []
        if not done:
            return
        for key, obj, result in done:
            self._asked.discard(key)
            kind = key[0]
            if kind == "full":
                callback = self._callbacks.pop(key, None)
                if callback is not None:
                    callback(result)
            elif kind == "cell":
                self._cells[obj] = result
            else:
                self._remember_pane(obj, result)
        self.ready_signal.emit()

    def shutdown(self) -> None:
        """Stop the helper threads (a thread stuck in a user's repr is left behind, it is a daemon)."""
        self._watch.stop()
        with self._cond:
            self._stopping = True
            self._tasks.clear()
            self._cond.notify_all()
            threads, self._threads = self._threads, []
            self._worker = None
        for thread in threads:
            thread.join(0.5)


def hang_note() -> str:
    """What is shown instead of a repr that did not finish within :data:`HANG_S`."""
    return f"<repr did not finish within {HANG_S:g} s>"


def _note_texts(key: tuple[str, int], note: str) -> Any:
    """A note in place of the texts ``key`` asked for (the repr failed or hangs)."""
    if key[0] == "cell":
        return CellTexts(note, note)
    if key[0] == "pane":
        return PaneTexts(note, note)
    return note
