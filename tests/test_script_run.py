"""``labqueue run SCRIPT.py``: a jobs script without a window, its progress lines, summary and exit status."""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from labqueue.manager import ExpStatus
from labqueue.script_run.runner import (
    EXIT_FAILED,
    EXIT_INTERRUPTED,
    EXIT_NOT_RUN,
    EXIT_OK,
    run_script,
)

ANSI = re.compile(r"\x1b\[")

# Jobs used by the scripts below: a quick one, one that fails, one that aborts itself.
JOBS = """
@queued_exec
def measure(field):
    return field * 2

@queued_exec
def broken(field):
    raise ValueError(f"field {field} out of range")

@queued_exec
def stops_itself():
    manager.abort_job()
    return "partial"
"""


def _script(tmp_path: Path, body: str, name: str = "jobs.py") -> Path:
    path = tmp_path / name
    path.write_text(JOBS + textwrap.dedent(body), encoding="utf-8")
    return path


def _run(path: Path, **kwargs) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = run_script(path, stream=out, err=err, **kwargs)
    return code, out.getvalue(), err.getvalue()


def _env(tmp_path: Path) -> dict[str, str]:
    """No display, a throw-away home: what `labqueue run` gets over plain ssh."""
    env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    env.update(HOME=str(home), XDG_STATE_HOME=str(tmp_path / "state"), XDG_CONFIG_HOME=str(tmp_path / "config"),
               PYTHONUNBUFFERED="1")
    return env


def _labqueue(*args: str) -> list[str]:
    return [sys.executable, "-m", "labqueue", *args]


# ----------------------------------------------------------------- the command line
def test_cli_runs_a_script_headless_with_the_console_names_and_prints_one_plain_line_per_job(tmp_path):
    script = _script(tmp_path, """
        import sys
        names = ("manager", "queued_exec", "job_queue", "Experiment", "ExpStatus", "time")
        print("names:", [n for n in names if n not in globals()], __name__)
        jobs = [measure(b) for b in (1, 2, 3)]
        job_queue.put(Experiment(measure.__wrapped__, args=(4,)))
        print("widgets:", "qtpy.QtWidgets" in sys.modules, "PyQt5.QtWidgets" in sys.modules)
    """)
    proc = subprocess.run(_labqueue("run", str(script)), capture_output=True, text=True, timeout=60,
                          env=_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == EXIT_OK, proc.stderr
    out = proc.stdout
    assert "names: [] __main__" in out
    assert "widgets: False False" in out
    job_lines = [line for line in out.splitlines() if line.startswith("#")]
    assert [line.split()[:2] for line in job_lines] == [[f"#{i}", "finished"] for i in (1, 2, 3, 4)]
    assert [line.split()[-1] for line in job_lines] == ["measure(1)", "measure(2)", "measure(3)", "measure(4)"]
    assert "4 jobs in" in out and "4 finished, 0 failed, 0 aborted, 0 cancelled" in out
    assert not ANSI.search(out), "piped output must be plain lines"


def test_cli_missing_script_says_so_and_exits_2(tmp_path):
    proc = subprocess.run(_labqueue("run", str(tmp_path / "nowhere.py")), capture_output=True, text=True,
                          timeout=60, env=_env(tmp_path), cwd=tmp_path)
    assert proc.returncode == EXIT_NOT_RUN
    assert "no such script" in proc.stderr and "nowhere.py" in proc.stderr
    assert proc.stdout == ""


def test_ctrl_c_aborts_the_running_job_cancels_the_queued_ones_and_exits_130(tmp_path):
    script = _script(tmp_path, """
        import threading
        release = threading.Event()

        @queued_exec
        def acquire():
            print("acquiring", flush=True)
            while not manager.abort.is_set():
                release.wait(0.01)   # a job polling its instrument
            return "partial data"

        jobs = [acquire(), measure(1), measure(2)]
        print("queued", flush=True)
    """)
    proc = subprocess.Popen(_labqueue("run", str(script)), stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=_env(tmp_path), cwd=tmp_path)
    try:
        seen = set()
        while not {"acquiring", "queued"} <= seen:  # the job has started and the other two are queued
            line = proc.stdout.readline()
            assert line, "the script ended before its jobs were queued"
            seen.add(line.strip())
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == EXIT_INTERRUPTED, err
    assert re.search(r"^#1 +ABORTED .* acquire\(\)$", out, re.M), out
    assert "1 aborted, 2 cancelled" in out
    assert "interrupted (Ctrl+C)" in out
    assert "Traceback" not in err


# ----------------------------------------------------------------- exit statuses and summary
def test_a_failure_does_not_stop_the_run_but_exits_1_and_is_listed_with_call_and_error(tmp_path):
    code, out, err = _run(_script(tmp_path, "measure(1); broken(7); measure(3)"))
    assert code == EXIT_FAILED
    lines = [line for line in out.splitlines() if line.startswith("#")]
    assert [line.split()[1] for line in lines] == ["finished", "FAILED", "finished"]
    assert lines[1].endswith("broken(7) — ValueError: field 7 out of range")
    summary = out[out.index("labqueue run jobs.py:"):]
    assert "3 jobs in" in summary and "2 finished, 1 failed, 0 aborted, 0 cancelled" in summary
    failed = summary[summary.index("Failed:"):]
    assert "#2 broken(7) — ValueError: field 7 out of range" in failed
    assert 'raise ValueError(f"field {field} out of range")' in failed  # the traceback


def test_stop_on_failure_cancels_the_queued_jobs(tmp_path):
    code, out, _ = _run(_script(tmp_path, "measure(1); broken(7); measure(3); measure(4)"), stop_on_failure=True)
    assert code == EXIT_FAILED
    assert "1 finished, 1 failed, 0 aborted, 2 cancelled" in out
    assert "broken(7) failed (--stop-on-failure)" in out
    assert "measure(3)" not in out and "measure(4)" not in out  # never ran: no line of their own


def test_an_aborted_job_exits_1(tmp_path):
    code, out, _ = _run(_script(tmp_path, "stops_itself(); measure(2)"))
    assert code == EXIT_FAILED
    assert "1 finished, 0 failed, 1 aborted, 0 cancelled" in out
    assert "Aborted:\n  #1 stops_itself()" in out


def test_all_finished_exits_0(tmp_path, capsys):
    code, out, err = _run(_script(tmp_path, "results = [measure(b).result() for b in (1, 2)]\nprint(results)"))
    assert code == EXIT_OK, err
    assert capsys.readouterr().out == "[2, 4]\n"  # the script's own print
    assert "2 finished, 0 failed, 0 aborted, 0 cancelled" in out


def test_a_script_that_queues_nothing_exits_0(tmp_path):
    code, out, _ = _run(_script(tmp_path, "x = 1"))
    assert code == EXIT_OK
    assert "0 jobs in" in out


# ----------------------------------------------------------------- scripts that go wrong
def test_syntax_error_runs_nothing_and_exits_2_naming_the_line(tmp_path):
    path = tmp_path / "bad.py"
    path.write_text("measure(1)\nfor x in range(3)\n    print(x)\n", encoding="utf-8")
    code, out, err = _run(path)
    assert code == EXIT_NOT_RUN
    assert "bad.py is not valid Python; nothing was run" in err
    assert "line 2" in err and "SyntaxError" in err
    assert out == ""


def test_exception_at_top_level_cancels_queued_jobs_and_exits_1_with_the_traceback(tmp_path):
    code, out, err = _run(_script(tmp_path, """
        manager.pause_worker()
        measure(1); measure(2)
        {}["missing"]
    """))
    assert code == EXIT_FAILED
    assert "jobs.py" in err and '{}["missing"]' in err and "KeyError: 'missing'" in err
    assert "the script raised KeyError: 'missing'; 2 queued job(s) cancelled" in err
    assert "0 finished, 0 failed, 0 aborted, 2 cancelled" in out


def test_sys_exit_0_is_a_normal_end(tmp_path):
    code, out, _ = _run(_script(tmp_path, "import sys\nmeasure(1)\nsys.exit(0)"))
    assert code == EXIT_OK
    assert "1 finished" in out


def test_a_queue_left_paused_is_not_waited_for_forever(tmp_path):
    code, out, _ = _run(_script(tmp_path, "measure(1).result()\nmanager.pause_worker()\nmeasure(2)"))
    assert code == EXIT_FAILED
    assert "left paused with 1 job(s) queued" in out
    assert "1 finished, 0 failed, 0 aborted, 1 cancelled" in out


def test_history_records_every_job_in_the_journal(tmp_path, make_manager):
    journal = tmp_path / "runs.sqlite"
    code, _, err = _run(_script(tmp_path, "measure(1); broken(2)"), history_file=journal)
    assert code == EXIT_FAILED, err
    records = make_manager(history_file=journal).history.records()
    assert [(r.call, r.status) for r in records] == [("measure(1)", ExpStatus.FINISHED),
                                                     ("broken(2)", ExpStatus.FAILED)]
    assert "ValueError: field 2 out of range" in records[1].error


def test_an_unusable_journal_is_named_and_the_jobs_run_without_it(tmp_path):
    not_a_file = tmp_path / "a-directory"
    not_a_file.mkdir()
    code, out, err = _run(_script(tmp_path, "measure(1)"), history_file=not_a_file)
    assert code == EXIT_OK
    assert "warning:" in err and "a-directory" in err and "run without a journal" in err
    assert "1 finished" in out


def test_log_dir_turns_log_files_on(tmp_path):
    logs = tmp_path / "logs"
    code, _, _ = _run(_script(tmp_path, "measure(1); broken(2)"), log_dir=logs)
    assert code == EXIT_FAILED
    text = "".join(p.read_text(encoding="utf-8") for p in logs.glob("labqueue.log*"))
    assert "measure(1)" in text and "broken(2)" in text and "ValueError: field 2 out of range" in text


# ----------------------------------------------------------------- the live display
class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_on_a_terminal_the_display_is_live_and_ends_with_the_summary(tmp_path):
    out = _Terminal()
    code = run_script(_script(tmp_path, """
        @queued_exec
        def sweep(n):
            for i in range(n):
                manager.report_progress((i + 1) / n, f"step {i + 1}")
            return n
        sweep(3); broken(1)
    """), stream=out, err=io.StringIO())
    text = out.getvalue()
    assert code == EXIT_FAILED
    assert ANSI.search(text), "a terminal gets a live display"
    plain = ANSI.sub("", text)
    assert "sweep(3)" in plain and "broken(1) — ValueError: field 1 out of range" in plain
    assert "1 finished, 1 failed, 0 aborted, 0 cancelled" in plain


def test_run_leaves_no_thread_and_restores_main_argv_and_logging(tmp_path):
    import logging
    import threading

    main, argv, handlers = sys.modules["__main__"], sys.argv[:], logging.getLogger().handlers[:]
    code, _, _ = _run(_script(tmp_path, "import sys\nassert sys.argv[0].endswith('jobs.py')\nmeasure(1)"))
    assert code == EXIT_OK
    assert sys.modules["__main__"] is main and sys.argv == argv
    assert logging.getLogger().handlers == handlers
    assert not [t.name for t in threading.enumerate() if t.name.startswith("labqueue-run")]


@pytest.mark.parametrize("argv", [["--version"], ["run", "--help"]])
def test_the_window_command_keeps_its_options(argv, capsys):
    from labqueue.gui.app import main

    assert main(argv) == 0
    out = capsys.readouterr().out
    assert ("labqueue" in out) and ("--stop-on-failure" in out or "0.1" in out)


def test_a_script_that_schedules_its_start_runs_its_jobs_at_that_time(tmp_path):
    code, out, err = _run(_script(tmp_path, "manager.resume_worker(at=0.3); measure(1); measure(2)"))
    assert code == EXIT_OK, out + err
    assert "2 finished" in out and "cancelled" not in out.split("labqueue run jobs.py:")[0]
