"""JobTableView as a user drives it: keys, the context menu, messages, following the running job."""

from __future__ import annotations

import pytest
from job_table_support import Gate, noop, wait_until_mirrored
from qtpy.QtCore import QPoint, Qt, QTimer
from qtpy.QtGui import QContextMenuEvent, QImage
from qtpy.QtWidgets import QAbstractSlider, QAction, QApplication, QMenu

from labqueue.gui.job_table_model import NOT_REMOVABLE_TEXT, Column
from labqueue.gui.job_table_view import JobTableView
from labqueue.manager import Experiment, ExpStatus


@pytest.fixture
def gates(make_manager):
    made: list[Gate] = []

    def factory() -> Gate:
        made.append(Gate())
        return made[-1]

    yield factory
    for g in made:
        g.open()


def _put(manager, n):
    jobs = [Experiment(noop, (i,)) for i in range(n)]
    for exp in jobs:
        manager.job_queue.put(exp)
    return jobs


def _show(qtbot, manager, height=400):
    view = JobTableView(manager)
    qtbot.addWidget(view)
    view.resize(800, height)
    view.show()
    qtbot.waitExposed(view)
    wait_until_mirrored(qtbot, view.model(), manager.job_queue)
    return view


def _click_row(qtbot, view, row, modifier=Qt.NoModifier, button=Qt.LeftButton):
    qtbot.mouseClick(view.viewport(), button, modifier, view.visualRect(view.model().index(row, 1)).center())


@pytest.fixture
def running_and_queued(make_manager, gates):
    """Rows: 0 finished, 1 running (blocked), 2..7 queued."""
    manager = make_manager()
    gate = gates()
    manager.job_queue.put(Experiment(noop, ("done",)))
    manager.job_queue.put(Experiment(gate.job))
    assert gate.started.wait(10)
    return manager, _put(manager, 6)


def test_delete_key_removes_a_contiguous_selection_in_one_call(qtbot, running_and_queued):
    manager, jobs = running_and_queued
    q = manager.job_queue
    view = _show(qtbot, manager)
    removals = []
    q.removed_range_signal.connect(lambda first, last: removals.append((first, last)), Qt.DirectConnection)
    _click_row(qtbot, view, 3)
    _click_row(qtbot, view, 5, Qt.ShiftModifier)
    with qtbot.waitSignal(view.message_signal) as message:
        qtbot.keyClick(view, Qt.Key_Delete)
    assert removals == [(3, 5)]
    assert [exp.status for exp in jobs[1:4]] == [ExpStatus.CANCELLED] * 3
    assert message.args == ["Removed 3 jobs from the queue."]
    wait_until_mirrored(qtbot, view.model(), q)

    _click_row(qtbot, view, 2)
    qtbot.keyClick(view, Qt.Key_Backspace)
    assert jobs[0].status is ExpStatus.CANCELLED


def test_running_and_finished_rows_are_kept_and_the_user_is_told_why(qtbot, running_and_queued):
    manager, jobs = running_and_queued
    q = manager.job_queue
    view = _show(qtbot, manager)
    finished, running = q.queue[:2]
    _click_row(qtbot, view, 0)
    _click_row(qtbot, view, 2, Qt.ShiftModifier)  # finished, running and one queued job
    with qtbot.waitSignal(view.message_signal) as message:
        qtbot.keyClick(view, Qt.Key_Delete)
    assert NOT_REMOVABLE_TEXT in message.args[0] and "kept 2 jobs" in message.args[0]
    assert finished.status is ExpStatus.FINISHED and running.status is ExpStatus.RUNNING
    assert jobs[0].status is ExpStatus.CANCELLED and q.queue[:2] == [finished, running]


def _run_context_menu(qtbot, view, row, action_text):
    """Right-click ``row`` like a user and trigger ``action_text`` in the menu that pops up."""
    seen = []

    def pick(menu):
        seen.append([a.text() for a in menu.actions() if a.text()])
        action = next(a for a in menu.actions() if a.text() == action_text)
        action.trigger()
        menu.close()

    def about_to_show(menu, experiments):
        QTimer.singleShot(0, lambda: pick(menu))  # runs inside QMenu.exec

    view.context_menu_about_to_show_signal.connect(about_to_show)
    try:
        pos = view.visualRect(view.model().index(row, 1)).center()
        qtbot.mouseClick(view.viewport(), Qt.RightButton, Qt.NoModifier, pos)  # selects the row
        if not seen:
            # What the window system sends after a right click. Qt 6's QTest delivers it itself
            # (the click above already showed the menu); Qt 5's does not.
            QApplication.sendEvent(view.viewport(), QContextMenuEvent(QContextMenuEvent.Mouse, pos,
                                                                      view.viewport().mapToGlobal(pos)))
        qtbot.waitUntil(lambda: bool(seen))
    finally:
        view.context_menu_about_to_show_signal.disconnect(about_to_show)
    return seen[0]


def test_context_menu_moves_to_top_and_bottom_and_removes(qtbot, running_and_queued):
    manager, (a, b, c, d, e, f) = running_and_queued
    q = manager.job_queue
    view = _show(qtbot, manager)
    texts = _run_context_menu(qtbot, view, 5, "Move to top")  # d
    assert texts[:3] == ["Remove", "Move to top", "Move to bottom"]
    assert q.queue[2:] == [d, a, b, c, e, f]
    wait_until_mirrored(qtbot, view.model(), q)
    _run_context_menu(qtbot, view, 2, "Move to bottom")  # d
    assert q.queue[2:] == [a, b, c, e, f, d]
    wait_until_mirrored(qtbot, view.model(), q)
    _run_context_menu(qtbot, view, 3, "Remove")  # b
    assert b.status is ExpStatus.CANCELLED and q.queue[2:] == [a, c, e, f, d]


def test_context_menu_of_running_job_offers_nothing_that_would_remove_it(qtbot, running_and_queued):
    manager, _ = running_and_queued
    view = _show(qtbot, manager)
    view.selectRow(1)
    menu = view.create_context_menu()
    actions = {a.text(): a for a in menu.actions() if a.text()}
    assert not any(actions[t].isEnabled() for t in ("Remove", "Move to top", "Move to bottom"))
    assert actions["Remove"].toolTip() == NOT_REMOVABLE_TEXT


def test_other_parts_of_the_app_can_add_context_actions(qtbot, running_and_queued):
    manager, jobs = running_and_queued
    view = _show(qtbot, manager)
    shown_for = []

    def show_result(menu: QMenu, experiments: list) -> QAction:
        action = QAction("Show result", menu)
        action.triggered.connect(lambda: shown_for.append(experiments))
        return action

    view.add_context_action(show_result)
    view.add_context_action(lambda menu, exps: None)  # a factory may decline
    signalled = []
    view.context_menu_about_to_show_signal.connect(lambda menu, exps: signalled.append(exps))
    _run_context_menu(qtbot, view, 0, "Show result")
    finished = manager.job_queue.queue[0]
    assert shown_for == [[finished]] and signalled == [[finished]]


def test_current_experiment_signal_follows_the_clicked_row(qtbot, running_and_queued):
    manager, jobs = running_and_queued
    view = _show(qtbot, manager)
    with qtbot.waitSignal(view.current_experiment_changed_signal) as current:
        _click_row(qtbot, view, 4)
    assert current.args == [jobs[2]] and view.current_experiment() is jobs[2]
    with qtbot.waitSignal(view.current_experiment_changed_signal) as current:
        qtbot.keyClick(view, Qt.Key_Up)
    assert current.args == [jobs[1]]


def _running_row_visible(view) -> bool:
    rect = view.visualRect(view.model().index(view.model().running_row, 0))
    return view.model().running_row >= 0 and view.viewport().rect().intersects(rect)


def test_view_follows_the_running_job_until_the_user_scrolls_away(qtbot, make_manager, gates):
    manager = make_manager()
    manager.pause_worker()
    first, second, third = gates(), gates(), gates()
    _put(manager, 60)
    for gate in (first, second, third):
        manager.job_queue.put(Experiment(gate.job))
    _put(manager, 30)
    view = _show(qtbot, manager, height=220)
    bar = view.verticalScrollBar()
    manager.resume_worker()
    qtbot.waitUntil(lambda: view.model().running_row == 60 and _running_row_visible(view))
    assert view.follows_running_job

    bar.triggerAction(QAbstractSlider.SliderToMinimum)  # the user scrolls up to look at old jobs
    assert not view.follows_running_job
    first.open()
    qtbot.waitUntil(lambda: view.model().running_row == 61)
    QApplication.processEvents()
    assert bar.value() == 0 and not _running_row_visible(view)  # left where the user put it

    bar.triggerAction(QAbstractSlider.SliderToMaximum)  # back to the bottom: follow again
    assert view.follows_running_job
    second.open()
    qtbot.waitUntil(lambda: view.model().running_row == 62 and _running_row_visible(view))


def test_running_job_shows_a_progress_bar(qtbot, make_manager, gates):
    manager = make_manager()
    halfway, end = gates(), gates()

    def ramp():
        manager.report_progress(0.1, "ramping")
        halfway.job()
        manager.report_progress(0.9, "almost there")
        end.job()

    manager.job_queue.put(Experiment(ramp))
    view = _show(qtbot, manager)
    model = view.model()
    qtbot.waitUntil(lambda: model.rowCount() == 1 and model.experiment(0).progress == 0.1)
    cell = view.visualRect(model.index(0, Column.STATUS))

    def grab_cell() -> QImage:
        view.viewport().repaint()
        return view.viewport().grab(cell).toImage()

    low = grab_cell()
    halfway.open()
    qtbot.waitUntil(lambda: model.data(model.index(0, Column.STATUS)) == "Running 90 %")
    high = grab_cell()
    right = QPoint(int(cell.width() * 0.8), cell.height() // 2)  # empty at 10 %, filled at 90 %
    assert low.pixel(right) != high.pixel(right)
