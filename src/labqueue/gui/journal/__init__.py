"""The journal in the window: a History dock of earlier sessions, the "did not finish last time" bar,
and the File / Queue / Settings commands for saved queues, export and the journal file.

:func:`install_journal_ui` plugs them into a :class:`~labqueue.gui.main_window.MainWindow`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qtpy.QtCore import Qt
from qtpy.QtWidgets import QVBoxLayout, QWidget

from labqueue.gui.journal.history_view import HistoryView
from labqueue.gui.journal.journal_menu import JournalMenu
from labqueue.gui.journal.unfinished_bar import UnfinishedBar

if TYPE_CHECKING:
    from labqueue.gui.main_window import MainWindow

__all__ = ["JournalUi", "install_journal_ui"]


@dataclass
class JournalUi:
    """The pieces (``window.journal_ui``), for tests and other parts of the window."""

    history_view: HistoryView
    unfinished_bar: UnfinishedBar
    menu: JournalMenu


def install_journal_ui(window: MainWindow) -> JournalUi:
    """Add the History dock, the unfinished-jobs bar above the table and the menu commands."""
    manager = window.manager
    bar = UnfinishedBar(manager, window)
    central = QWidget(window)
    central.setObjectName("table_area")
    layout = QVBoxLayout(central)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.setSpacing(2)
    layout.addWidget(bar)
    table = window.takeCentralWidget()  # taken, not deleted: it moves into the area below the bar
    layout.addWidget(table, 1)
    window.setCentralWidget(central)

    view = HistoryView(manager, window)
    dock = window.add_dock(view, "History", Qt.BottomDockWidgetArea, "dock_history")
    console_dock = window.findChild(type(dock), "dock_console")
    if console_dock is not None:
        window.tabifyDockWidget(console_dock, dock)
        console_dock.raise_()

    menu = JournalMenu(manager, window)
    menu.add_to(window.menu("File"), window.menu("Queue"), window.menu("Settings"))
    for source in (bar, view, menu):
        source.message_signal.connect(window.status_bar.show_message)
    bar.handled_signal.connect(view.refresh)
    return JournalUi(view, bar, menu)
