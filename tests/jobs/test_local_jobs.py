"""Submitted jobs on the local target, end to end with real processes."""

from __future__ import annotations

import json
import os
import pickle
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from helpers import eventually
from runlab import Experiment, JobFailedError, Run, Workspace
from runlab.compute import LocalCompute
from runlab.compute.local import request_stop, stop_request_file
from runlab.compute.processes import children, kill, process_alive, wait_gone
from runlab.jobs import Estimator, ScriptRunConfig

TRAIN = """
import argparse, os, pickle
from runlab import Run

parser = argparse.ArgumentParser()
parser.add_argument("--regularization", type=float)
parser.add_argument("--name")
args = parser.parse_args()
run = Run.get_context()
for step in range(5):
    run.log("loss", 1.0 / (step + 1))
run.log("regularization", args.regularization)
print("training with", args.regularization, flush=True)
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.pkl", "wb") as handle:
    pickle.dump({"weights": [1, 2, 3]}, handle)
"""


pytestmark = pytest.mark.usefixtures("job_root")  # in tests/conftest.py


@pytest.fixture
def experiment(workspace: Workspace) -> Experiment:
    return Experiment(workspace, "jobs")


def _source(tmp_path: Path, code: str, name: str = "train.py") -> Path:
    source = tmp_path / "src"
    source.mkdir(exist_ok=True)
    (source / name).write_text(textwrap.dedent(code))
    return source


def test_a_job_outlives_its_submitter(tmp_path: Path, workspace: Workspace) -> None:
    source = _source(tmp_path, TRAIN)
    submitter = f"""
import sys
from runlab import Workspace, Experiment
from runlab.jobs import ScriptRunConfig
ws = Workspace.from_config({str(workspace.config_path)!r})
config = ScriptRunConfig({str(source)!r}, "train.py",
                         arguments=["--regularization", 0.8, "--name", "first"])
run = Experiment(ws, "jobs").submit(config)
print(run.id, run.get_status())
"""
    done = subprocess.run(
        [sys.executable, "-c", submitter], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 0, done.stderr
    run_id, status = done.stdout.split()
    assert status == "Queued"
    run = Run.get(workspace, run_id)
    details = run.wait_for_completion(raise_on_error=True)
    assert details["status"] == "Completed"
    metrics = run.get_metrics()
    assert metrics["loss"] == [1.0, 0.5, 1 / 3, 0.25, 0.2]
    assert metrics["regularization"] == 0.8
    assert set(run.get_file_names()) >= {"logs/driver.log", "outputs/model.pkl"}
    log = workspace.artifacts.get_bytes(f"runs/{run_id}/logs/driver.log").decode()
    assert "training with 0.8" in log
    model = pickle.loads(workspace.artifacts.get_bytes(f"runs/{run_id}/outputs/model.pkl"))
    assert model == {"weights": [1, 2, 3]}
    assert run.get_parameters() == {"regularization": "0.8", "name": "first"}
    assert json.loads(run.get_properties()["runlab.arguments"]) == [
        "--regularization",
        "0.8",
        "--name",
        "first",
    ]
    assert run.type == "local"


def test_a_failing_script(tmp_path: Path, experiment: Experiment) -> None:
    source = _source(
        tmp_path,
        """
        print("about to fail", flush=True)
        raise ValueError("the data is bad")
        """,
    )
    run = experiment.submit(ScriptRunConfig(source, "train.py"))
    with pytest.raises(JobFailedError, match="exited with code 1") as caught:
        run.wait_for_completion()
    error = caught.value.details["error"]["error"]
    assert error["exit_code"] == 1
    assert "ValueError: the data is bad" in error["stderr_tail"]
    assert "Traceback" in error["stderr_tail"]
    assert run.get_status() == "Failed"
    assert run.wait_for_completion(raise_on_error=False)["status"] == "Failed"


def test_show_output_streams_the_log_and_a_summary(
    tmp_path: Path, experiment: Experiment, capsys: pytest.CaptureFixture[str]
) -> None:
    source = _source(
        tmp_path,
        """
        import time
        for i in range(3):
            print("line", i, flush=True)
            time.sleep(0.3)
        """,
    )
    run = experiment.submit(ScriptRunConfig(source, "train.py"))
    run.wait_for_completion(show_output=True)
    out = capsys.readouterr().out
    assert out.index("line 0") < out.index("line 2") < out.index("Execution Summary")
    assert f"RunId: {run.id}" in out and "Status: Completed" in out


def test_cancel_ends_every_process(tmp_path: Path, experiment: Experiment) -> None:
    pids = tmp_path / "pids.txt"
    source = _source(
        tmp_path,
        f"""
        import os, subprocess, sys, time
        child = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(300)"])
        with open({str(pids)!r}, "w") as handle:
            handle.write(f"{{os.getpid()}} {{child.pid}}")
        time.sleep(300)
        """,
    )
    run = experiment.submit(ScriptRunConfig(source, "train.py"))
    written = eventually(
        lambda: pids.read_text().split() if pids.exists() else [],
        until=lambda seen: len(seen) == 2,
        message="the script to write its pid and its child's",
    )
    script_pids = [int(pid) for pid in written]
    entry_pid = json.loads(run.get_properties()["runlab.job_handle"])["pid"]
    run.cancel()
    assert run.get_status() == "Canceled"
    for pid in [entry_pid, *script_pids]:
        assert not process_alive(pid), f"process {pid} is still running"


def test_a_stop_request_alone_cancels_politely(tmp_path: Path, experiment: Experiment) -> None:
    """The way a cancel reaches a job on Windows (no signal crosses to a detached tree): the
    entry sees the stop request, asks the script to end, and the script's buffered points are
    flushed on the way out."""
    started = tmp_path / "started"
    source = _source(
        tmp_path,
        f"""
        import pathlib, time
        from runlab import Run
        run = Run.get_context()
        run.log("before_stop", 1.0)
        pathlib.Path({str(started)!r}).touch()
        time.sleep(300)
        """,
    )
    run = experiment.submit(ScriptRunConfig(source, "train.py"))
    eventually(started.exists, message="the script to start")
    entry_pid = json.loads(run.get_properties()["runlab.job_handle"])["pid"]
    request_stop(run.id)
    eventually(run.get_status, until=lambda status: status == "Canceled", message="the run to end")
    assert run.get_metrics() == {"before_stop": 1.0}
    assert wait_gone([entry_pid], timeout_s=30) == []
    assert not stop_request_file(run.id).exists()


def test_a_vanished_entry_fails_its_run(tmp_path: Path, experiment: Experiment) -> None:
    started = tmp_path / "started"
    source = _source(
        tmp_path,
        f"""
        import pathlib, time
        pathlib.Path({str(started)!r}).touch()
        time.sleep(60)
        """,
    )
    # The entry beats every timeout / 4 = 1.5 s: a live entry starved for up to 4.5 s by a busy
    # machine is not yet taken for dead.
    timeout_s = 6.0
    run = experiment.submit(ScriptRunConfig(source, "train.py", heartbeat_timeout_s=timeout_s))
    eventually(started.exists, message="the script to start")
    entry_pid = json.loads(run.get_properties()["runlab.job_handle"])["pid"]
    tree = [entry_pid, *children(entry_pid)]  # the script lives on, orphaned: ended below
    os.kill(entry_pid, signal.SIGKILL)
    try:
        assert run.get_status() == "Running"
        eventually(
            run.get_status,
            until=lambda status: status == "Failed",
            timeout=timeout_s + 60,
            message="the silent run to be failed",
        )
        assert "heartbeat" in run.get_details()["error"]["error"]["message"]
    finally:
        kill(tree)


def test_runs_beyond_the_limit_wait_queued(tmp_path: Path, experiment: Experiment) -> None:
    # Each run holds its slot until the test opens the gate, however slow the machine is.
    gate = tmp_path / "gate"
    source = _source(
        tmp_path,
        f"""
        import pathlib, time
        while not pathlib.Path({str(gate)!r}).exists():
            time.sleep(0.05)
        """,
    )
    target = LocalCompute(max_concurrent_runs=1)
    first = experiment.submit(ScriptRunConfig(source, "train.py", compute_target=target))
    eventually(
        first.get_status,
        until=lambda status: status == "Running",
        message="the first run to start",
    )
    second = experiment.submit(ScriptRunConfig(source, "train.py", compute_target=target))
    time.sleep(0.6)  # time in which a wrong start of the second run would show
    assert second.get_status() == "Queued"
    gate.touch()
    assert first.wait_for_completion()["status"] == "Completed"
    assert second.wait_for_completion()["status"] == "Completed"
    assert second.get_details()["startTimeUtc"] >= first.get_details()["endTimeUtc"]


def test_snapshot_of_a_run_restores(tmp_path: Path, experiment: Experiment) -> None:
    source = _source(tmp_path, "print('hi')")
    (source / "helpers.py").write_text("X = 1\n")
    (source / ".runlabignore").write_text("*.csv\n")
    (source / "data.csv").write_text("a,b\n")
    run = experiment.submit(ScriptRunConfig(source, "train.py"))
    run.wait_for_completion()
    restored = run.restore_snapshot(tmp_path / "restored")
    assert sorted(p.name for p in restored.iterdir()) == [".runlabignore", "helpers.py", "train.py"]
    assert len(run.get_snapshot_id() or "") == 64


@pytest.mark.parametrize(
    ("config", "error"),
    [
        (lambda src: ScriptRunConfig(src, "missing.py"), "no script 'missing.py'"),
        (lambda src: ScriptRunConfig(src / "nope", "train.py"), "does not exist"),
        (lambda src: ScriptRunConfig(src, "../train.py"), "'..'"),
        (lambda src: ScriptRunConfig(src, "train.py", compute_target="gpu-cluster"), "gpu"),
    ],
)
def test_bad_configs_fail_at_submit(
    tmp_path: Path, experiment: Experiment, config: object, error: str
) -> None:
    from runlab import RunlabError

    source = _source(tmp_path, "print(1)")
    with pytest.raises(RunlabError, match=error):
        experiment.submit(config(source))  # type: ignore[operator]
    assert list(experiment.get_runs()) == []


@pytest.mark.parametrize("arguments", ["--a 1", [object()], [["nested"]], [None], [True]])
def test_arguments_must_be_strings_or_numbers(tmp_path: Path, arguments: object) -> None:
    from runlab import ValidationError

    with pytest.raises(ValidationError, match="argument"):
        ScriptRunConfig(tmp_path, "train.py", arguments=arguments)  # type: ignore[arg-type]


def test_a_gpu_where_there_is_none(tmp_path: Path, experiment: Experiment) -> None:
    from runlab import ValidationError

    if LocalCompute().has_gpu():
        pytest.skip("this machine has an NVIDIA GPU")
    source = _source(tmp_path, "print(1)")
    with pytest.raises(ValidationError, match="no NVIDIA GPU"):
        experiment.submit(Estimator(source, "train.py", use_gpu=True, user_managed=True))


def test_estimator_passes_script_params(tmp_path: Path, experiment: Experiment) -> None:
    source = _source(
        tmp_path,
        """
        import sys
        from runlab import Run
        Run.get_context().log("argv", " ".join(sys.argv[1:]))
        """,
    )
    estimator = Estimator(
        source,
        "train.py",
        script_params={"--regularization": 0.5, "--verbose": None},
        user_managed=True,
    )
    run = experiment.submit(estimator)
    run.wait_for_completion()
    assert run.get_metrics()["argv"] == "--regularization 0.5 --verbose"
    log = experiment.workspace.artifacts.get_bytes(f"runs/{run.id}/logs/environment.log")
    assert b"interpreter" in log


def test_data_references_become_local_paths(tmp_path: Path, experiment: Experiment) -> None:
    workspace = experiment.workspace
    data = tmp_path / "data"
    (data / "mnist").mkdir(parents=True)
    (data / "mnist" / "a.txt").write_text("alpha")
    (data / "mnist" / "b.txt").write_text("beta")
    datastore = workspace.get_default_datastore()
    datastore.upload(str(data), target_path="sets", show_progress=False)
    source = _source(
        tmp_path,
        """
        import pathlib, sys
        from runlab import Run
        run = Run.get_context()
        for flag, folder in zip(sys.argv[1::2], sys.argv[2::2]):
            names = sorted(p.name for p in pathlib.Path(folder).rglob("*.txt"))
            run.log(flag.strip("-"), ",".join(names))
            run.log(flag.strip("-") + "_path", folder)
        """,
    )
    config = ScriptRunConfig(
        source,
        "train.py",
        arguments=[
            "--mounted",
            datastore.path("sets/mnist").as_mount(),
            "--copied",
            datastore.path("sets/mnist").as_download(),
        ],
    )
    run = experiment.submit(config)
    run.wait_for_completion()
    metrics = run.get_metrics()
    assert metrics["mounted"] == "a.txt,b.txt" and metrics["copied"] == "a.txt,b.txt"
    # A mount of a local datastore reads in place; a download is a copy in the job's folder.
    assert metrics["mounted_path"].startswith(str(workspace.config_path.parent))  # type: ignore[union-attr]
    assert not metrics["copied_path"].startswith(str(workspace.config_path.parent))  # type: ignore[union-attr]
    inputs = run.get_details()["inputDatasets"]
    assert [(i["mode"], i["files"]) for i in inputs] == [("mount", 2), ("download", 2)]
    assert all(len(i["manifest_sha256"]) == 64 for i in inputs)
    assert any(name.startswith("inputs/") for name in run.get_file_names())
    assert run.get_parameters()["mounted"] == metrics["mounted_path"]


def test_an_unknown_datastore_fails_at_submit(tmp_path: Path, experiment: Experiment) -> None:
    from runlab import NotFoundError
    from runlab.data import DataReference

    source = _source(tmp_path, "print(1)")
    reference = DataReference.from_dict(
        {"datastore": "nope", "path": "x", "mode": "mount", "path_on_compute": None}
    )
    with pytest.raises(NotFoundError, match="nope"):
        experiment.submit(ScriptRunConfig(source, "train.py", arguments=["--d", reference]))
