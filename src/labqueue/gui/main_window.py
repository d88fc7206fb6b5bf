"""The labqueue main window: the job table, queue controls, status bar, menus and docks.

Other parts of the GUI plug in through a small API (see :class:`MainWindow`): ``table_view``,
``menu(name)``, ``add_dock(...)``, ``add_shutdown_hook(fn)``, and the two methods
``_build_docks()`` and ``_build_settings_menu()`` that run at the end of ``__init__``.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from qtpy.QtCore import QByteArray, Qt, QTimer, Signal
from qtpy.QtGui import QCloseEvent, QKeySequence
from qtpy.QtWidgets import (
    QAction,
    QApplication,
    QDockWidget,
    QMainWindow,
    QMenu,
    QMessageBox,
    QSizePolicy,
    QToolBar,
    QWidget,
)

from labqueue.display_format import count_text
from labqueue.gui.app_settings import app_settings
from labqueue.gui.console import PythonConsole
from labqueue.gui.help_menu import fill_help_menu
from labqueue.gui.job_table_view import JobTableView
from labqueue.gui.journal import install_journal_ui
from labqueue.gui.log_pane import LogPane
from labqueue.gui.notification_store import apply_saved_config
from labqueue.gui.notifications_dialog import NotificationsDialog
from labqueue.gui.operator import install_operator_features
from labqueue.gui.queue_controls import QueueControls
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.gui.queue_status_bar import QueueStatusBar
from labqueue.gui.remote_access_help import add_remote_access_action
from labqueue.gui.resources import icon
from labqueue.gui.result_view import ResultView
from labqueue.gui.trash_zone import TrashZone
from labqueue.manager import Experiment, Manager

__all__ = ["MainWindow", "MENU_NAMES"]

logger = logging.getLogger("labqueue")

MENU_NAMES = ("File", "Queue", "View", "Settings", "Help")


class MainWindow(QMainWindow):
    """The app's window around one :class:`~labqueue.manager.Manager`.

    Hooks for other parts of the GUI:

    - ``window.table_view``: the job table (a ``JobTableView``).
    - ``window.menu(name)``: the "File", "Queue", "View", "Settings" or "Help" QMenu.
    - ``window.add_dock(widget, title, area, object_name)``: a dock with a toggle in the View menu.
    - ``window.add_shutdown_hook(fn)``: ``fn()`` runs once on close, after the running job has ended.
    - ``_build_docks()`` / ``_build_settings_menu()``: filled in by the console and notification
      code; called at the end of ``__init__``, before the saved window state is restored.

    Closing asks first if jobs are running or queued, then aborts the running job and stops the
    manager without freezing the window while the job winds down; then it runs the shutdown hooks.
    """

    #: Seconds to wait for an aborted job before telling the user that it hangs.
    shutdown_timeout_s: float = 10.0

    #: The job the window waits for on close has ended (emitted on the worker thread).
    _job_ended_signal = Signal()

    def __init__(self, manager: Manager, parent: QWidget | None = None):
        super().__init__(parent)
        self.manager = manager
        self.setObjectName("labqueue_main_window")
        self.setWindowTitle("labqueue")
        self.setWindowIcon(icon("labqueue"))
        self.resize(1280, 800)
        self._shutdown_hooks: list[Callable[[], object]] = []
        self._hooks_ran = False
        self._confirmed_quit = False
        self._closing = False
        self._shut_down = False
        self._in_close_event = False
        #: The job that did not stop when the user chose "Quit anyway" (None normally).
        self.hung_job: Experiment | None = None
        self._waiting_for: Experiment | None = None
        self._job_ended_signal.connect(self._finish_close, Qt.QueuedConnection)
        self._deadline = QTimer(self)
        self._deadline.setSingleShot(True)
        self._deadline.timeout.connect(self._job_does_not_stop)

        #: The window's one subscription to the queue's change stream; every view below reads it.
        self.mirror = QueueMirror(manager.job_queue, self)
        self.table_view = JobTableView(manager, self, mirror=self.mirror)
        self.table_view.setObjectName("job_table_view")
        self.setCentralWidget(self.table_view)
        self.controls = QueueControls(manager, self.mirror, self)
        self.status_bar = QueueStatusBar(self.mirror, self)
        self.setStatusBar(self.status_bar)
        self.mirror.failure_paused_signal.connect(self._show_failure)
        # manager.shutdown() typed in the console or called by a script: the window says so. A
        # shutdown with nothing queued changes no job, so a slow timer looks too.
        self._manager_shut_down = False
        self.mirror.changed_signal.connect(self._check_manager_shut_down)
        self._shutdown_watch = QTimer(self)
        self._shutdown_watch.setInterval(500)
        self._shutdown_watch.timeout.connect(self._check_manager_shut_down)
        self._shutdown_watch.start()
        self.controls.message_signal.connect(self.status_bar.show_message)
        self.table_view.message_signal.connect(self.status_bar.show_message)
        self._menus: dict[str, QMenu] = {}
        self._build_menus()
        self.toolbar = self._build_toolbar()
        self.menu("View").addAction(self.toolbar.toggleViewAction())
        self.menu("View").addSeparator()

        self._build_docks()
        self._build_settings_menu()
        #: Time left, loop, pause inside, timed start, editing, keys, filter, tray, theme (gui/operator/).
        self.operator = install_operator_features(self)
        #: History dock, "did not finish last time" bar, saved queues and export (gui/journal/).
        self.journal_ui = install_journal_ui(self)
        self._restore_settings()

    # ----------------------------------------------------------------- hooks for other engineers
    def menu(self, name: str) -> QMenu:
        """The menu called ``name``: "File", "Queue", "View", "Settings" or "Help"."""
        try:
            return self._menus[name]
        except KeyError:
            raise KeyError(f"no menu {name!r}; the window has {', '.join(MENU_NAMES)}") from None

    def add_dock(self, widget: QWidget, title: str, area: Qt.DockWidgetArea = Qt.BottomDockWidgetArea,
                 object_name: str | None = None) -> QDockWidget:
        """Put ``widget`` in a dock with a show/hide toggle in the View menu.

        ``object_name`` (default derived from ``title``) must be unique and stable: the saved window
        layout finds docks by it.
        """
        dock = QDockWidget(title, self)
        dock.setObjectName(object_name or "dock_" + "_".join(title.lower().split()))
        dock.setWidget(widget)
        self.addDockWidget(area, dock)
        self.menu("View").addAction(dock.toggleViewAction())
        return dock

    def add_shutdown_hook(self, fn: Callable[[], object]) -> None:
        """Call ``fn()`` once when the window closes, after the running job has ended (or was given up on)."""
        self._shutdown_hooks.append(fn)

    def _build_docks(self) -> None:
        """Add the docks (console, result view, log pane) with :meth:`add_dock`."""
        self.log_pane = LogPane(self.manager, self)
        self.console = PythonConsole(self.manager, self)
        add_remote_access_action(self.menu("Help"), self.console, self)
        self.result_view = ResultView(self.manager, console=self.console, parent=self, mirror=self.mirror)
        console_dock = self.add_dock(self.console, "Console", Qt.BottomDockWidgetArea, "dock_console")
        log_dock = self.add_dock(self.log_pane, "Messages", Qt.BottomDockWidgetArea, "dock_messages")
        self.tabifyDockWidget(console_dock, log_dock)
        console_dock.raise_()
        self.add_dock(self.result_view, "Result", Qt.RightDockWidgetArea, "dock_result")
        self.resizeDocks([console_dock], [230], Qt.Vertical)  # the table stays the biggest part
        self.result_view.message_signal.connect(self.status_bar.show_message)
        self.table_view.current_experiment_changed_signal.connect(self.result_view.show_experiment)
        self.table_view.add_context_action(self.result_view.context_action)
        self.add_shutdown_hook(self.console.shutdown)
        self.add_shutdown_hook(self.log_pane.shutdown)

    def _build_settings_menu(self) -> None:
        """Fill ``self.menu("Settings")`` and apply saved settings at start-up."""
        self.notifications_dialog: NotificationsDialog | None = None

        def open_notifications() -> None:
            dialog = NotificationsDialog(self.manager, self)
            dialog.setAttribute(Qt.WA_DeleteOnClose)
            dialog.finished.connect(lambda _: setattr(self, "notifications_dialog", None))
            self.notifications_dialog = dialog
            dialog.open()

        action = QAction("&Notifications…", self)
        action.setObjectName("notifications_action")
        action.setStatusTip("E-mail notifications, log files and the job watchdog")
        action.triggered.connect(open_notifications)
        self.menu("Settings").addAction(action)
        apply_saved_config(self.manager)  # only once the user saved some: else the code's settings stand

    # ----------------------------------------------------------------- building
    def _build_menus(self) -> None:
        bar = self.menuBar()
        for name in MENU_NAMES:
            menu = bar.addMenu(f"&{name}")
            menu.setObjectName(f"{name.lower()}_menu")
            self._menus[name] = menu

        quit_action = QAction("&Quit", self)
        quit_action.setShortcut(QKeySequence("Ctrl+Q"))
        quit_action.setMenuRole(QAction.QuitRole)
        quit_action.triggered.connect(self.close)
        self.menu("File").addAction(quit_action)

        for action in self.controls.actions:
            self.menu("Queue").addAction(action)

        fill_help_menu(self.menu("Help"), self)

    def _build_toolbar(self) -> QToolBar:
        toolbar = QToolBar("Queue controls", self)
        toolbar.setObjectName("queue_toolbar")
        toolbar.setToolButtonStyle(Qt.ToolButtonTextBesideIcon)
        toolbar.addActions(self.controls.actions)
        spacer = QWidget(toolbar)
        spacer.setSizePolicy(QSizePolicy.Expanding, QSizePolicy.Preferred)
        toolbar.addWidget(spacer)
        self.trash_zone = TrashZone(toolbar)
        toolbar.addWidget(self.trash_zone)
        self.addToolBar(Qt.TopToolBarArea, toolbar)
        return toolbar

    # ----------------------------------------------------------------- settings
    def _restore_settings(self) -> None:
        settings = app_settings()
        geometry = settings.value("window/geometry")
        if isinstance(geometry, QByteArray):
            self.restoreGeometry(geometry)
        state = settings.value("window/state")
        if isinstance(state, QByteArray):
            self.restoreState(state)
        header = settings.value("table/header_state")
        if isinstance(header, QByteArray):
            self.table_view.horizontalHeader().restoreState(header)

    def save_settings(self) -> None:
        """Save window geometry, toolbar/dock layout and the table's column widths."""
        settings = app_settings()
        settings.setValue("window/geometry", self.saveGeometry())
        settings.setValue("window/state", self.saveState())
        settings.setValue("table/header_state", self.table_view.horizontalHeader().saveState())
        settings.sync()

    # ----------------------------------------------------------------- following the manager
    def _show_failure(self, exp: Experiment) -> None:
        """A job failed and paused the queue: select its row, so the result pane shows the traceback."""
        self.table_view.select_experiment(exp)
        self.status_bar.show_message(f"Paused: {exp.call_text} failed. Its traceback is in the Result pane; "
                                     "press Resume to run the next job.")

    def _check_manager_shut_down(self) -> None:
        if self._manager_shut_down or self._closing or not self.manager.is_shut_down:
            return
        self._manager_shut_down = True
        self._shutdown_watch.stop()
        self.controls.freeze()
        self.status_bar.set_shut_down()
        self.status_bar.show_message("The manager was shut down: no job runs in this window any more.")

    # ----------------------------------------------------------------- closing
    def quit_without_asking(self) -> None:
        """Close as if the user had confirmed every question (e.g. on SIGTERM): abort, shut down, close.

        An open question is dismissed; a job that ignores Abort is left behind after the usual wait.
        """
        self._confirmed_quit = True
        while (dialog := QApplication.activeModalWidget()) is not None and dialog is not self:
            dialog.close()  # its exec_() returns; the code that asked then sees _confirmed_quit
        if not self._in_close_event:
            self.close()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 - Qt's name
        """Ask if jobs would be lost, then shut down in the background and close when done."""
        if self._shut_down:
            event.accept()
            return
        event.ignore()
        if self._closing:
            return  # already waiting for the running job to stop
        self._in_close_event = True
        try:
            confirmed = self._confirmed_quit or self._confirm_close() or self._confirmed_quit
        finally:
            self._in_close_event = False
        if not confirmed or self._closing:
            return
        self._in_close_event = True
        try:
            self._begin_close()
        finally:
            self._in_close_event = False
        if self._shut_down:  # nothing was running: closed at once
            event.accept()

    def _confirm_close(self) -> bool:
        q = self.manager.job_queue
        running, n_queued = q.running_job(), q.qsize("queued")
        if running is None and n_queued == 0:
            return True
        queued = count_text(n_queued, "queued job")
        if running is not None:
            text, quit_text = f"A job is running: {running.call_text}\n\nAbort it and quit?", "Abort and quit"
        else:
            have, them = ("has", "it") if n_queued == 1 else ("have", "them")
            text, quit_text = f"{queued} {have} not run yet.\n\nQuit and cancel {them}?", "Quit"
        box = QMessageBox(QMessageBox.Warning, "Quit labqueue", text, QMessageBox.Cancel, self)
        if running is not None and n_queued:
            box.setInformativeText(f"The {queued} will be cancelled too.")
        quit_button = box.addButton(quit_text, QMessageBox.AcceptRole)
        box.setDefaultButton(QMessageBox.Cancel)
        box.exec_()
        return box.clickedButton() is quit_button

    def run_shutdown_hooks(self) -> None:
        """Run the shutdown hooks (once; later calls do nothing). A failing hook is logged, not raised."""
        if self._hooks_ran:
            return
        self._hooks_ran = True
        for fn in self._shutdown_hooks:
            try:
                fn()
            except Exception:
                logger.exception("shutdown hook %r failed", fn)

    def _begin_close(self) -> None:
        self._closing = True
        self.save_settings()
        self.controls.freeze()
        # Cancels the queued jobs and aborts the running one; after this no new job can start. The
        # shutdown hooks (the console among them) run only once the job has ended: a job defined in
        # the console still needs the console's namespace while it winds down.
        self.manager.shutdown(wait=False, abort=True)
        job = self.manager.job_queue.running_job()
        if job is None:
            self._finish_close()
            return
        self._waiting_for = job
        self.status_bar.set_stopping(f"Stopping: waiting for {job.call_text}")
        job.add_done_callback(lambda _exp: self._job_ended_signal.emit())
        self._deadline.start(int(self.shutdown_timeout_s * 1000))

    def _finish_close(self) -> None:
        if self._shut_down:
            return
        # The job has ended (or none ran), so the worker thread ends at once.
        # A mail still being sent (say, to a dead server) is waited for after the window is gone.
        if not self.manager.join(timeout=self.shutdown_timeout_s, wait_for_mail=False):
            self._job_does_not_stop()
            return
        self._deadline.stop()
        self._end()

    def _end(self) -> None:
        """The worker is done (or given up on): tear down the hooks and the mirror, then close."""
        self._shut_down = True
        self._shutdown_watch.stop()
        self.run_shutdown_hooks()
        self.mirror.close()
        self._close_later()

    def _close_later(self) -> None:
        # close() called from inside closeEvent would be ignored by Qt: closeEvent accepts instead.
        if not self._in_close_event:
            self.close()

    def _job_does_not_stop(self) -> None:
        job = self._waiting_for or self.manager.job_queue.running_job()
        call = job.call_text if job is not None else "The worker"
        if self._confirmed_quit:  # told to quit without questions
            self._give_up_on(job, call)
            return
        box = QMessageBox(QMessageBox.Warning, "A job does not stop",
                          f"{call} has not stopped {self.shutdown_timeout_s:g} s after Abort.\n"
                          "It may not check manager.abort.", QMessageBox.NoButton, self)
        box.setInformativeText("Keep waiting, or quit anyway: the job is killed with labqueue and "
                               "whatever it has not saved is lost.")
        box.addButton("Keep waiting", QMessageBox.RejectRole)
        quit_button = box.addButton("Quit anyway", QMessageBox.DestructiveRole)
        box.exec_()
        if self._shut_down:
            return  # the job ended while the question was open
        if box.clickedButton() is quit_button or self._confirmed_quit:
            self._give_up_on(job, call)
        elif job is None or job.done():
            self._finish_close()
        else:
            self._deadline.start(int(self.shutdown_timeout_s * 1000))

    def _give_up_on(self, job: Experiment | None, call: str) -> None:
        logger.error("Quit while %s was still running: it did not respond to Abort.", call)
        self.hung_job = job
        self._deadline.stop()
        self._end()
