"""The job table follows the queue: the engine state machine plus the window's QueueMirror and model.

The machine of tests/queue_machine_support.py, with a ``JobTableModel`` driven by a ``QueueMirror``
as the window builds them, and Qt's model tester attached. After every step the event loop runs
until the mirror has applied every change (``mirror.drained``), then the rows must be exactly
``job_queue.queue`` with the right statuses, the mirror's counts the reference's, and the model
tester silent. Extra rules act through the table as a user does (Delete, drag and drop), also on
rows that lag the queue because its latest changes have not been applied yet.
"""

from __future__ import annotations

from hypothesis import strategies as st
from hypothesis.stateful import invariant, rule, run_state_machine_as_test
from job_table_support import mismatch
from qtpy.QtCore import QModelIndex, Qt

from labqueue.gui.job_table_model import JobTableModel
from labqueue.gui.queue_mirror import QueueMirror
from labqueue.manager import ExpStatus
from queue_machine_support import QueueMachine, machine_settings
from queue_reference import ControlledJob

_ROW = st.integers(-1, 10)


class TableMachine(QueueMachine):
    """QueueMachine + the window's mirror and table model, checked after every step."""

    #: (qtbot, qtmodeltester, qtlog) of the running test.
    fixtures: tuple = ()

    def started(self) -> None:
        self.qtbot, qtmodeltester, self.qtlog = self.fixtures
        self.mirror = QueueMirror(self.q)
        self.model = JobTableModel(self.mirror)
        qtmodeltester.check(self.model)  # Qt's tester: re-checks the model on every change, reports by qWarning
        self.log_start = len(self.qtlog.records)

    def teardown(self) -> None:
        if self.manager is not None:
            self.mirror.close()
        super().teardown()

    # ----------------------------------------------------------------- acting through the table
    def _rows_as_jobs(self) -> list[ControlledJob]:
        return [self._job_of(exp) for exp in self.model.experiments()]

    def _expect_remove_rows(self, rows: list[ControlledJob], row: int, count: int) -> bool:
        if count <= 0 or row < 0 or row + count > len(rows):
            return False
        chosen = rows[row:row + count]
        if any(self.ref.status[job] is not ExpStatus.QUEUED for job in chosen):
            return False  # running or done rows are refused (cancelled ones: removed, not yet applied)
        return self.ref.remove_jobs(chosen) > 0

    def _drop(self, rows: list[ControlledJob], dragged_rows: list[int], target: int) -> None:
        """Drag ``dragged_rows`` and drop them before row ``target`` (-1: below the last row)."""
        indexes = [self.model.index(r, 0) for r in dragged_rows if 0 <= r < len(rows)]
        mime = self.model.mimeData(indexes)
        status = self.ref.status
        picked = sorted({i.row() for i in indexes})
        carried = [rows[r] for r in picked if status[rows[r]] is ExpStatus.QUEUED]
        if not carried:
            assert mime is None, "a drag without queued rows must carry nothing"
            return
        tail = set()  # the rows' queued tail, as the model reads it (cancelled rows: not removed yet)
        for job in reversed(rows):
            if status[job] is ExpStatus.QUEUED:
                tail.add(job)
            elif status[job] is not ExpStatus.CANCELLED:
                break
        before = rows[target] if 0 <= target < len(rows) else None
        expected = self.ref.move_jobs([j for j in carried if j in tail], before)
        got = self.model.dropMimeData(mime, Qt.MoveAction, target, 0, QModelIndex())
        assert got is expected, f"dropMimeData returned {got}, expected {expected}"

    @rule(row=_ROW, count=st.integers(0, 3))
    def table_delete_rows(self, row: int, count: int) -> None:
        """Select rows and press Delete (what the view does: model.removeRows)."""
        rows = self._rows_as_jobs()
        expected = self._expect_remove_rows(rows, row, count)
        assert self.model.removeRows(row, count) is expected
        self.settle()

    @rule(dragged=st.lists(_ROW, min_size=1, max_size=3), drop_at=_ROW)
    def table_drag_and_drop(self, dragged: list[int], drop_at: int) -> None:
        self._drop(self._rows_as_jobs(), dragged, drop_at)
        self.settle()

    @rule(data=st.data(), engine=st.sampled_from(["put", "clear", "remove_jobs", "move_to_top"]),
          table=st.sampled_from(["delete", "drop"]), row=_ROW, count=st.integers(1, 3), drop_at=_ROW)
    def table_acts_on_stale_rows(self, data, engine: str, table: str, row: int, count: int, drop_at: int) -> None:
        """The queue changes (a script in the console), then the user acts on rows that do not show it yet."""
        rows = self._rows_as_jobs()
        if engine == "put":
            job = self._new_job("return")
            self.q.put(job.exp)
            self.ref.put(job)
        elif engine == "clear":
            assert self.q.clear() == self.ref.clear()
        else:
            jobs = self._some_jobs(data)
            exps = [j.exp for j in jobs]
            if engine == "remove_jobs":
                assert self.q.remove_jobs(exps) == self.ref.remove_jobs(jobs)
            else:
                assert self.q.move_jobs_to_top(exps) is self.ref.move_to_top(jobs)
        if table == "delete":
            expected = self._expect_remove_rows(rows, row, count)
            assert self.model.removeRows(row, count) is expected
        else:
            self._drop(rows, list(range(row, row + count)), drop_at)
        self.settle()

    # ----------------------------------------------------------------- what the window shows
    @invariant()
    def table_matches_queue(self) -> None:
        if self.manager is None:
            return
        with self.qtbot.capture_exceptions() as exceptions:
            self.qtbot.waitUntil(lambda: self.mirror.drained, timeout=10000)
        assert not exceptions, f"exceptions in Qt slots: {exceptions}"
        problem = mismatch(self.model, self.q)
        assert problem is None, problem
        ref, mirror = self.ref, self.mirror
        assert mirror.queued == len(ref.queued)
        assert mirror.running_job is (ref.running.exp if ref.running else None)
        assert mirror.paused is ref.paused
        for status in (ExpStatus.FINISHED, ExpStatus.FAILED, ExpStatus.ABORTED):
            assert mirror.count(status) == sum(ref.status[j] is status for j in ref.history), status
        failures = [r.message for r in self.qtlog.records[self.log_start:] if "FAIL!" in r.message]
        assert not failures, failures


def test_the_table_follows_the_queue_through_every_operation(qtbot, qtmodeltester, qtlog):
    TableMachine.fixtures = (qtbot, qtmodeltester, qtlog)
    try:
        run_state_machine_as_test(TableMachine, settings=machine_settings(max_examples=60))
    finally:
        TableMachine.fixtures = ()
