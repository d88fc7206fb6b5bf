"""What lab operators ask for next, in the window: time left, loop, pause inside a job, timed start,
editing queued jobs, keyboard moves, a table filter, desktop notifications and themes.

:func:`install_operator_features` plugs them into a :class:`~labqueue.gui.main_window.MainWindow`
through its public parts (toolbar, menus, status bar, table view); each piece has its own module.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from qtpy.QtCore import Qt

from labqueue.gui.operator.default_layout import DefaultLayout
from labqueue.gui.operator.desktop_notifier import DesktopNotifier
from labqueue.gui.operator.eta_status import EtaStatusLabel
from labqueue.gui.operator.expected_start_tooltip import ExpectedStartTooltips
from labqueue.gui.operator.loop_action import LoopAction
from labqueue.gui.operator.pause_menu import PauseMenu
from labqueue.gui.operator.start_at_dialog import StartAtActions
from labqueue.gui.operator.table_filter import TableFilter
from labqueue.gui.operator.table_keys import TableKeys
from labqueue.gui.operator.themes import ThemeMenu

if TYPE_CHECKING:
    from labqueue.gui.main_window import MainWindow

__all__ = ["OperatorFeatures", "install_operator_features"]


@dataclass
class OperatorFeatures:
    """The pieces, for tests and for other parts of the window (``window.operator``)."""

    eta_label: EtaStatusLabel
    tooltips: ExpectedStartTooltips
    pause_menu: PauseMenu
    loop: LoopAction
    start_at: StartAtActions
    keys: TableKeys
    table_filter: TableFilter
    notifier: DesktopNotifier
    themes: ThemeMenu
    layout: DefaultLayout


def install_operator_features(window: MainWindow) -> OperatorFeatures:
    """Add the operator features to ``window`` (call once its toolbar, menus and status bar exist)."""
    manager, toolbar, view = window.manager, window.toolbar, window.table_view
    status_bar = window.status_bar

    mirror = window.mirror
    eta_label = EtaStatusLabel(manager, mirror, status_bar)
    status_bar.insertPermanentWidget(1, eta_label)  # index 0 is the running-job label; first permanent one
    tooltips = ExpectedStartTooltips(view, manager, mirror)

    pause_menu = PauseMenu(manager, window.controls, window)
    pause_menu.attach(toolbar.widgetForAction(window.controls.pause_action))
    loop = LoopAction(manager, window)
    start_at = StartAtActions(manager, window)
    actions = toolbar.actions()
    last_control = actions.index(window.controls.actions[-1])
    after_controls = actions[last_control + 1] if last_control + 1 < len(actions) else None
    toolbar.insertAction(after_controls, loop.action)
    toolbar.insertAction(after_controls, start_at.start_at_action)
    queue_menu = window.menu("Queue")
    queue_menu.insertAction(queue_menu.actions()[1] if len(queue_menu.actions()) > 1 else None,
                            pause_menu.inside_action)
    queue_menu.addSeparator()
    for action in (loop.action, start_at.start_at_action, start_at.cancel_action):
        queue_menu.addAction(action)

    keys = TableKeys(view)
    table_filter = TableFilter(view, toolbar)
    trash = next((a for a in toolbar.actions() if toolbar.widgetForAction(a) is window.trash_zone), None)
    toolbar.insertWidget(trash, table_filter)

    notifier = DesktopNotifier(manager, mirror, window)
    window.menu("Settings").addAction(notifier.action)
    window.add_shutdown_hook(notifier.close)
    themes = ThemeMenu(window.menu("View"), window)

    for source in (pause_menu, start_at, keys):
        source.message_signal.connect(status_bar.show_message)
    model = view.model()
    manager.checkpoint_signal.connect(model.set_paused_inside_job, Qt.QueuedConnection)
    model.set_paused_inside_job(manager.checkpoint_job)
    layout = DefaultLayout(window, view)
    return OperatorFeatures(eta_label, tooltips, pause_menu, loop, start_at, keys, table_filter, notifier, themes,
                            layout)
