"""The journal in the window, driven as a user does: the unfinished-jobs bar, the History dock,
File → Save queue / Open queue / Export history, Queue → Clear finished rows, and the journal file."""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

import pytest
from qtpy.QtCore import QSettings, Qt
from qtpy.QtWidgets import QFileDialog, QMessageBox
from window_support import redirect_settings

from labqueue.gui.journal import journal_location
from labqueue.gui.journal.history_model import PAGE_SIZE, HistoryTableModel
from labqueue.gui.main_window import MainWindow
from labqueue.manager import ExpStatus

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from journal_support import crashed_journal, write_labjobs  # noqa: E402


@pytest.fixture(autouse=True)
def _no_docks(monkeypatch):
    """No console or log dock (slow to start, tested elsewhere); the History dock is added anyway."""
    monkeypatch.setattr(MainWindow, "_build_docks", lambda self: None)


@pytest.fixture
def open_window(qtbot, tmp_path):
    redirect_settings(tmp_path)
    windows = []

    def make(manager) -> MainWindow:
        w = MainWindow(manager)  # not qtbot.addWidget: its close() would ask about queued jobs
        w.show()
        qtbot.waitExposed(w)
        windows.append(w)
        return w

    yield make
    for w in windows:
        w.quit_without_asking()
        qtbot.waitUntil(lambda w=w: not w.isVisible(), timeout=15000)


def click(qtbot, widget) -> None:
    assert widget.isVisible() and widget.isEnabled(), widget.objectName()
    qtbot.mouseClick(widget, Qt.LeftButton)


def test_the_bar_offers_to_requeue_what_did_not_finish_and_names_what_cannot_run(qtbot, tmp_path, make_manager,
                                                                                   open_window):
    journal = crashed_journal(tmp_path / "journal.sqlite", tmp_path)
    manager = make_manager(history_file=journal)
    manager.pause_worker()
    window = open_window(manager)
    bar = window.journal_ui.unfinished_bar
    assert bar.isVisible()
    assert "4 jobs did not finish last time" in bar.label.text()
    assert "1 job cannot be run again" in bar.label.text() and "__main__" not in bar.label.text()
    assert "lambda" in bar.label.text()
    click(qtbot, bar.requeue_button)
    model = window.table_view.model()
    qtbot.waitUntil(lambda: model.rowCount() == 3)
    assert [e.call_text for e in manager.job_queue.queue] == ["double(100)", "double(101)", "double(102)"]
    assert "1 job did not finish last time" in bar.label.text() and not bar.requeue_button.isEnabled()
    click(qtbot, bar.dismiss_button)
    assert not bar.isVisible()
    assert manager.history.unfinished() == []


def test_the_history_dock_shows_the_journal_a_page_at_a_time(qtbot, tmp_path, make_manager, open_window,
                                                                    qtmodeltester):
    journal = crashed_journal(tmp_path / "journal.sqlite", tmp_path, finished=PAGE_SIZE + 200, unfinished=0,
                              console_job=False)
    manager = make_manager(history_file=journal)
    window = open_window(manager)
    view = window.journal_ui.history_view
    model = view.model
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    assert model.rowCount() == PAGE_SIZE  # only the first page: start-up does not read the whole journal
    assert model.record(0).call == f"double({PAGE_SIZE + 199})"  # newest first
    view.table.scrollToBottom()
    qtbot.waitUntil(lambda: model.rowCount() == PAGE_SIZE + 200)
    assert model.record(model.rowCount() - 1).call == "double(0)"
    qtmodeltester.check(model)
    manager.queued_exec(abs)(-1).result(timeout=10)
    click(qtbot, view.refresh_button)  # this session's jobs too, once written (e.g. trimmed from the table)
    qtbot.waitUntil(lambda: model.rowCount() > 0)
    assert model.record(0).call == "abs(-1)" and model.record(0).session_id == manager.history.session_id


def test_run_again_from_the_history_queues_a_copy_only_where_possible(qtbot, tmp_path, make_manager, open_window):
    journal = crashed_journal(tmp_path / "journal.sqlite", tmp_path, finished=2, unfinished=0)
    manager = make_manager(history_file=journal)
    manager.pause_worker()
    window = open_window(manager)
    view = window.journal_ui.history_view
    qtbot.waitUntil(lambda: view.model.rowCount() == 3)
    assert view.model.record(0).call == "<lambda>()"  # the newest: cancelled, typed in the console

    def select_row(row: int) -> None:
        rect = view.table.visualRect(view.model.index(row, 1))
        qtbot.mouseClick(view.table.viewport(), Qt.LeftButton, pos=rect.center())

    view.parentWidget().show()  # the History dock
    select_row(0)
    assert not view.run_again_button.isEnabled()
    select_row(1)
    click(qtbot, view.run_again_button)
    assert [e.call_text for e in manager.job_queue.queue] == ["double(1)"]


def test_save_and_open_queue_from_the_file_menu(qtbot, tmp_path, make_manager, open_window, monkeypatch):
    write_labjobs(tmp_path)
    import labjobs

    manager = make_manager()
    manager.pause_worker()
    window = open_window(manager)
    for v in (1, 2, 3):
        manager.queued_exec(labjobs.scale)([v], factor=2.0)
    path = tmp_path / "sweep"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(path), "Saved queues (*.json)"))
    monkeypatch.setattr(QFileDialog, "getOpenFileName", lambda *a, **k: (str(path) + ".json", ""))
    actions = {a.objectName(): a for a in window.menu("File").actions()}
    actions["save_queue_action"].trigger()
    saved = json.loads((tmp_path / "sweep.json").read_text())
    assert [job["call"] for job in saved["jobs"]] == ["scale([1], factor=2.0)", "scale([2], factor=2.0)",
                                                      "scale([3], factor=2.0)"]
    assert "Saved 3 queued jobs" in window.status_bar.currentMessage()
    manager.clear_all_jobs()
    actions["open_queue_action"].trigger()
    assert [e.call_text for e in manager.job_queue.queue] == [job["call"] for job in saved["jobs"]]
    model = window.table_view.model()
    qtbot.waitUntil(lambda: model.rowCount() == 3)


def test_export_history_and_clear_finished_rows(qtbot, tmp_path, make_manager, open_window, monkeypatch):
    manager = make_manager(history_file=tmp_path / "journal.sqlite")
    window = open_window(manager)
    jobs = [manager.queued_exec(abs)(-i) for i in range(4)]
    jobs[-1].result(timeout=10)
    model = window.table_view.model()
    qtbot.waitUntil(lambda: model.rowCount() == 4)
    out = tmp_path / "night"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(out), "CSV (*.csv)"))
    actions = {a.objectName(): a for a in window.menu("File").actions()}
    actions["export_history_action"].trigger()
    with open(tmp_path / "night.csv", newline="") as f:
        assert [row["call"] for row in csv.DictReader(f)] == [f"abs({-i})" for i in range(4)]
    clear = next(a for a in window.menu("Queue").actions() if a.objectName() == "clear_finished_action")
    clear.trigger()
    qtbot.waitUntil(lambda: model.rowCount() == 0)
    assert manager.job_queue.qsize("history") == 0
    assert len(manager.history.records(status=ExpStatus.FINISHED)) == 4
    assert "Removed 4 finished rows" in window.status_bar.currentMessage()


def test_a_corrupt_journal_is_explained_in_the_window_and_jobs_still_run(qtbot, tmp_path, make_manager,
                                                                         open_window):
    journal = tmp_path / "journal.sqlite"
    journal.write_bytes(b"not a database at all" * 100)
    manager = make_manager(history_file=journal)
    window = open_window(manager)
    bar = window.journal_ui.unfinished_bar
    assert bar.isVisible() and "History is not recorded" in bar.label.text() and "corrupt" in bar.label.text()
    assert "corrupt" in window.journal_ui.history_view.notice.text()
    assert manager.queued_exec(abs)(-2).result(timeout=10) == 2
    click(qtbot, bar.close_button)
    assert not bar.isVisible()
    assert HistoryTableModel(manager.history).canFetchMore() is True  # a path is set; fetching finds nothing


def test_the_journal_file_comes_from_the_command_line_then_settings_then_the_data_folder(tmp_path, monkeypatch):
    redirect_settings(tmp_path)
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    journal_location.set_saved_journal_path(None)
    assert journal_location.window_journal_path() == tmp_path / "data" / "labqueue" / "journal.sqlite"
    journal_location.set_saved_journal_path(tmp_path / "chosen.sqlite")
    assert QSettings(QSettings.IniFormat, QSettings.UserScope, "labqueue", "labqueue").value("history/file")
    assert journal_location.window_journal_path() == tmp_path / "chosen.sqlite"
    assert journal_location.window_journal_path(str(tmp_path / "cli.sqlite")) == tmp_path / "cli.sqlite"


def test_settings_history_file_is_used_from_the_next_start(qtbot, tmp_path, make_manager, open_window, monkeypatch):
    window = open_window(make_manager())
    chosen = tmp_path / "lab" / "night.sqlite"
    monkeypatch.setattr(QFileDialog, "getSaveFileName", lambda *a, **k: (str(chosen), ""))
    action = next(a for a in window.menu("Settings").actions() if a.objectName() == "history_file_action")
    action.trigger()
    qtbot.waitUntil(lambda: window.findChild(QMessageBox, "history_file_info") is not None)
    box = window.findChild(QMessageBox, "history_file_info")
    assert str(chosen) in box.text() and "next start" in box.text()
    qtbot.mouseClick(box.button(QMessageBox.Ok), Qt.LeftButton)
    assert journal_location.window_journal_path() == chosen


def test_the_command_line_names_the_journal_or_turns_it_off():
    from labqueue.gui.app import _parse_args

    assert _parse_args(["--history", "night.sqlite"]).history == "night.sqlite"
    assert _parse_args(["--no-history"]).no_history is True
    assert _parse_args([]).history is None
