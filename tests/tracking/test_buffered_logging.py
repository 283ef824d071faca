"""Buffered logging across processes: nothing logged is lost on any exit path."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap

import pytest

from helpers import eventually
from runlab import Experiment, Run, Workspace

PRELUDE = """
import sys
from runlab import Workspace, Experiment
ws = Workspace.from_config(sys.argv[1])
run = Experiment(ws, sys.argv[2]).start_logging()
print(run.id, flush=True)
"""


def _python(code: str, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", textwrap.dedent(PRELUDE) + textwrap.dedent(code), *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _count(workspace: Workspace, run_id: str, name: str = "m") -> int:
    histories = workspace.store.get_metric_histories(run_id, name)
    return len(histories[name].steps) if histories else 0


@pytest.mark.slow
def test_eight_processes_log_into_one_sqlite_workspace(workspace: Workspace) -> None:
    root = str(workspace.config_path)
    code = """
    for step in range(5000):
        run.log("m", step * 0.5)
    run.complete()
    """
    processes = [_python(code, root, "parallel") for _ in range(8)]
    outputs = [process.communicate(timeout=300) for process in processes]
    for process, (_out, err) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, err
        assert "locked" not in err.lower(), err
    run_ids = [out.split()[0] for out, _ in outputs]
    assert [_count(workspace, run_id) for run_id in run_ids] == [5000] * 8
    experiment = Experiment(workspace, "parallel")
    assert {run.get_status() for run in experiment.get_runs()} == {"Completed"}
    history = workspace.store.get_metric_histories(run_ids[0], "m")["m"]
    assert history.steps == list(range(5000))
    assert history.values == [step * 0.5 for step in range(5000)]


def test_exit_without_complete_stores_everything_and_completes(workspace: Workspace) -> None:
    code = """
    for step in range(10000):
        run.log("m", float(step))
    """
    process = _python(code, str(workspace.config_path), "exits")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 0, err
    run_id = out.split()[0]
    assert _count(workspace, run_id) == 10000
    assert Run.get(workspace, run_id).get_status() == "Completed"


def test_sigterm_stores_everything_and_cancels(workspace: Workspace) -> None:
    code = """
    import time
    for step in range(10000):
        run.log("m", float(step))
    print("logged", flush=True)
    time.sleep(120)
    """
    process = _python(code, str(workspace.config_path), "terminated")
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    assert process.stdout.readline().strip() == "logged"
    process.send_signal(signal.SIGTERM)
    _out, err = process.communicate(timeout=60)
    assert process.returncode == -signal.SIGTERM, err
    assert _count(workspace, run_id) == 10000
    run = Run.get(workspace, run_id)
    assert run.get_status() == "Canceled"
    assert "SIGTERM" in run.get_details()["error"]["error"]["message"]


def test_uncaught_exception_stores_everything_and_fails(workspace: Workspace) -> None:
    code = """
    for step in range(1000):
        run.log("m", float(step))
    raise ValueError("bad data")
    """
    process = _python(code, str(workspace.config_path), "crashes")
    out, err = process.communicate(timeout=120)
    assert process.returncode == 1 and "bad data" in err
    run_id = out.split()[0]
    assert _count(workspace, run_id) == 1000
    run = Run.get(workspace, run_id)
    assert run.get_status() == "Failed"
    error = run.get_details()["error"]["error"]
    assert "ValueError: bad data" in error["message"]
    assert "Traceback" in error["traceback"]


def test_points_are_stored_without_an_explicit_flush(
    experiment: Experiment, workspace: Workspace
) -> None:
    run = experiment.start_logging()
    for step in range(1000):
        run.log("m", float(step))
    eventually(
        lambda: _count(workspace, run.id),
        until=lambda stored: stored == 1000,
        message="the 1000 points to be stored",
    )
    run.complete()


def test_a_program_that_handles_sigterm_keeps_its_handler(workspace: Workspace) -> None:
    code = """
    import signal, time
    run.log("m", 1.0)
    print("ready", flush=True)
    time.sleep(120)
    """
    prelude_with_handler = (
        "import signal, sys\n"
        "signal.signal(signal.SIGTERM, lambda *a: (print('mine', flush=True), sys.exit(0)))\n"
    )
    process = subprocess.Popen(
        [
            sys.executable,
            "-c",
            prelude_with_handler + textwrap.dedent(PRELUDE) + textwrap.dedent(code),
            str(workspace.config_path),
            "handled",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    run_id = process.stdout.readline().strip()
    assert process.stdout.readline().strip() == "ready"
    process.send_signal(signal.SIGTERM)
    out, err = process.communicate(timeout=60)
    assert process.returncode == 0 and "mine" in out, err
    # The program's own handler exited normally, so the run completed with its point.
    assert Run.get(workspace, run_id).get_status() == "Completed"
    assert _count(workspace, run_id) == 1
