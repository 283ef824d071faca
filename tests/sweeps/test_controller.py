"""The controller is a detached job: it outlives the submitter, and is restarted if it dies."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from sweep_scripts import SLEEPY_TRAIN

from helpers import eventually
from runlab import Experiment, Run, Workspace
from runlab.compute.processes import kill, process_cmdline, processes
from runlab.entities import RunStatus
from runlab.entities.run_layout import TRIAL_KEY
from runlab.sweeps import HyperDriveRun
from runlab.sweeps.controller import sweep_folder

pytestmark = pytest.mark.slow

SUBMITTER = """
import sys
from runlab import Experiment, Workspace
from runlab.jobs import ScriptRunConfig
from runlab.sweeps import (
    HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, uniform)

workspace = Workspace.from_config(sys.argv[1])
config = HyperDriveConfig(
    run_config=ScriptRunConfig(sys.argv[2], "train.py", arguments=["--seconds", sys.argv[3]]),
    hyperparameter_sampling=RandomParameterSampling({"--x": uniform(0, 1)}, seed=3),
    primary_metric_name="score",
    primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
    max_total_runs=int(sys.argv[4]),
    max_concurrent_runs=2,
)
run = Experiment(workspace, "sweeps").submit(config)
print(run.id, flush=True)
"""


def _submit_and_exit(
    workspace: Workspace, folder: Path, seconds: float, trials: int
) -> HyperDriveRun:
    """Submit from a separate process that exits at once; returns the sweep."""
    assert workspace.config_path is not None
    done = subprocess.run(
        [
            sys.executable,
            "-c",
            SUBMITTER,
            str(workspace.config_path),
            str(folder),
            str(seconds),
            str(trials),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    run_id = done.stdout.strip().splitlines()[-1]
    return HyperDriveRun(Experiment(workspace, "sweeps"), run_id)


def _ended(run: Run) -> bool:
    return RunStatus(run.get_status()).is_terminal


def _controller_pid(run_id: str) -> int | None:
    for pid in processes():
        command = process_cmdline(pid) or []
        joined = " ".join(command)
        if "runlab.sweeps.controller" in joined and "--run" in command and run_id in joined:
            return pid
    return None


def test_the_sweep_completes_after_its_submitter_exited(
    experiment: Experiment, workspace: Workspace, source: Callable[[str], Path]
) -> None:
    run = _submit_and_exit(workspace, source(SLEEPY_TRAIN), seconds=0.2, trials=4)
    # No wait_for_completion here: it would restart a dead controller itself.
    eventually(lambda: _ended(run), timeout=180, message="the sweep to end")
    assert run.get_status() == "Completed"
    children = list(run.get_children())
    assert len(children) == 4
    assert all(child.get_status() == "Completed" for child in children)


def test_a_killed_controller_is_restarted_and_reruns_no_finished_trial(
    experiment: Experiment, workspace: Workspace, source: Callable[[str], Path]
) -> None:
    run = _submit_and_exit(workspace, source(SLEEPY_TRAIN), seconds=1.0, trials=6)

    def two_finished() -> list[Run]:
        return [child for child in run.get_children() if child.get_status() == "Completed"]

    finished = eventually(
        two_finished, until=lambda done: len(done) >= 2, timeout=180, message="two trials"
    )
    before = {child.id: child._refresh().end_time for child in finished}
    pid = _controller_pid(run.id)
    assert pid is not None, "no controller process found"
    kill([pid])
    eventually(
        lambda: _controller_pid(run.id),
        until=lambda found: found not in (None, pid),
        timeout=120,
        message="a new controller",
    )
    eventually(lambda: _ended(run), timeout=240, message="the sweep to end")
    assert run.get_status() == "Completed"
    children = list(run.get_children())
    numbers = sorted(json.loads(child.get_properties()[TRIAL_KEY])["number"] for child in children)
    assert numbers == [1, 2, 3, 4, 5, 6]  # six trials in all: none started twice
    for child in children:
        if child.id in before:
            # A trial finished before the kill was not run again.
            assert child._refresh().end_time == before[child.id]
            assert child.get_status() == "Completed"
    log = (sweep_folder() / f"{run.id}.controller.log").read_text()
    assert "restarting it" in log
