"""The ``runlab`` command line, driven through Typer's test runner against real workspaces."""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import runlab
from runlab import Experiment, Run, Workspace
from runlab.cli import app

# No workspace from the environment, and Rich's width for pipes, whatever the shell running
# the tests has set.
runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": None})

MODEL_BYTES = bytes(range(256)) * 40
LOG_TEXT = b"epoch 1\nepoch 2\n"


def invoke(*args: str | Path) -> Result:
    return runner.invoke(app, [str(arg) for arg in args])


def assert_one_error_line(result: Result, *fragments: str) -> str:
    """The command failed with exactly one ``Error: ...`` line on stderr and no traceback."""
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: "), lines[0]
    assert "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


@pytest.fixture
def workspace_name() -> str:
    """A name that ``workspace show`` must print and that no path in its output holds."""
    return "clitest"


@pytest.fixture
def ws_dir(workspace: Workspace) -> Path:
    assert workspace.config_path is not None
    return workspace.config_path.parent.parent


@pytest.fixture
def trained(workspace: Workspace) -> Run:
    """A completed run with metrics of every kind, tags, properties and files."""
    run = Experiment(workspace, "train").start_logging(
        display_name="baseline", tags={"team": "vision"}, properties={"seed": "7"}
    )
    for loss in (0.9, 0.5, 0.25):
        run.log("loss", loss)
    run.log("odd", 2.0)
    run.log("odd", math.nan)
    run.log("odd", -math.inf)
    run.log("note", "converged")
    run.log_row("epochs", epoch=1, loss=0.9)
    run.upload_file("outputs/model.bin", _stream(MODEL_BYTES))
    run.upload_file("outputs/sub/notes.txt", _stream(b"hello"))
    run.upload_file("logs/driver.log", _stream(LOG_TEXT))
    run.complete()
    return run


@pytest.fixture
def failed(workspace: Workspace) -> Run:
    run = Experiment(workspace, "evaluate").start_logging()
    run.fail("the data folder is empty")
    return run


def _stream(data: bytes) -> io.BytesIO:
    return io.BytesIO(data)


# -- the ways in ---------------------------------------------------------------------------


def test_help_lists_the_commands() -> None:
    result = invoke("--help")
    assert result.exit_code == 0
    for command in ("init", "tutorial", "workspace", "experiment", "run"):
        assert command in result.stdout
    run_help = invoke("run", "--help")
    for command in ("list", "show", "metrics", "files", "download"):
        assert command in run_help.stdout


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.strip() == f"runlab {runlab.__version__}"


@pytest.mark.parametrize("how", ["console script", "python -m"])
def test_installed_command_line_runs(how: str, tmp_path: Path) -> None:
    if how == "console script":
        script = Path(sys.executable).with_name("runlab")
        if not script.exists():
            pytest.skip(f"no console script beside {sys.executable}: the package is not installed")
        command = [str(script), "--help"]
    else:
        command = [sys.executable, "-m", "runlab.cli", "--help"]
    done = subprocess.run(command, capture_output=True, text=True, timeout=60, cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert "Usage:" in done.stdout and "init" in done.stdout and "run" in done.stdout


def test_console_script_reports_errors_in_one_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "runlab.cli", "run", "list"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
        env={"PATH": "/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    assert done.returncode == 3
    assert done.stderr.startswith("Error: no runlab workspace config found")
    assert len(done.stderr.strip().splitlines()) == 1
    assert "Traceback" not in done.stderr


# -- init and workspace --------------------------------------------------------------------


def test_init_names_the_workspace_after_its_folder(tmp_path: Path) -> None:
    folder = tmp_path / "My Project (2024)"
    result = invoke("init", folder)
    assert result.exit_code == 0, result.output
    assert f"Created workspace My-Project-2024 in {folder}" in result.stdout
    config = folder / ".runlab" / "config.json"
    assert str(config) in result.stdout
    assert "metadata" in result.stdout and "sqlite:///" in result.stdout
    assert str(folder / ".runlab" / "artifacts") in result.stdout
    workspace = Workspace.from_config(folder)
    assert workspace.name == "My-Project-2024"
    workspace.close()


def test_init_twice_needs_exist_ok(tmp_path: Path) -> None:
    assert invoke("init", tmp_path, "--name", "first").exit_code == 0
    again = invoke("init", tmp_path)
    assert again.exit_code == 4
    assert_one_error_line(again, str(tmp_path), "--exist-ok")
    reused = invoke("init", tmp_path, "--exist-ok")
    assert reused.exit_code == 0, reused.output
    assert "Using the existing workspace first" in reused.stdout


def test_init_refuses_a_bad_name(tmp_path: Path) -> None:
    result = invoke("init", tmp_path, "--name", "no spaces please")
    assert result.exit_code == 2
    assert_one_error_line(result, "bad workspace name")
    assert not (tmp_path / ".runlab").exists()


def test_workspace_show(ws_dir: Path, trained: Run) -> None:
    result = invoke("workspace", "show", "-w", ws_dir)
    assert result.exit_code == 0, result.output
    assert "clitest" in result.stdout
    assert str(ws_dir / ".runlab" / "metadata.db") in result.stdout
    assert str(ws_dir / ".runlab" / "artifacts") in result.stdout
    assert str(ws_dir / ".runlab" / "config.json") in result.stdout
    assert "Experiments" in result.stdout and " 1" in result.stdout


def test_no_workspace_lists_where_it_looked(tmp_path: Path) -> None:
    empty = tmp_path / "empty"
    empty.mkdir()
    result = invoke("-w", empty, "run", "list")
    assert result.exit_code == 3
    line = assert_one_error_line(result, "no runlab workspace config found")
    assert str(empty / ".runlab" / "config.json") in line
    assert str(tmp_path / ".runlab" / "config.json") in line
    assert "runlab init" in line


def test_workspace_from_environment_and_from_cwd(
    ws_dir: Path, trained: Run, monkeypatch: pytest.MonkeyPatch
) -> None:
    from_env = runner.invoke(app, ["run", "list"], env={"RUNLAB_WORKSPACE_DIR": str(ws_dir)})
    assert from_env.exit_code == 0, from_env.output
    assert trained.id in from_env.stdout
    below = ws_dir / "src" / "deep"
    below.mkdir(parents=True)
    monkeypatch.chdir(below)
    from_cwd = invoke("run", "list")
    assert from_cwd.exit_code == 0, from_cwd.output
    assert trained.id in from_cwd.stdout


def test_workspace_option_must_exist(tmp_path: Path) -> None:
    result = invoke("-w", tmp_path / "typo", "run", "list")
    assert result.exit_code == 2
    assert "does not exist" in result.output


# -- experiments and runs ------------------------------------------------------------------


def test_experiment_list(ws_dir: Path, trained: Run, failed: Run, workspace: Workspace) -> None:
    with Experiment(workspace, "train").start_logging():
        pass
    result = invoke("experiment", "list", "-w", ws_dir)
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1] for line in result.stdout.splitlines()[3:] if line}
    assert rows == {"train": "2", "evaluate": "1"}


def test_experiment_list_when_empty(ws_dir: Path) -> None:
    result = invoke("experiment", "list", "-w", ws_dir)
    assert result.exit_code == 0
    assert "No experiments yet" in result.stdout


def test_run_list_shows_each_run(ws_dir: Path, trained: Run, failed: Run) -> None:
    result = invoke("run", "list", "-w", ws_dir)
    assert result.exit_code == 0, result.output
    header, *rows = [line for line in result.stdout.splitlines() if line.strip()]
    for column in ("Run id", "Experiment", "#", "Status", "Started", "Duration", "Display name"):
        assert column in header
    by_id = {row.split()[0]: row for row in rows}
    assert trained.id in by_id and failed.id in by_id
    assert "train" in by_id[trained.id] and "Completed" in by_id[trained.id]
    assert "baseline" in by_id[trained.id]
    assert "Failed" in by_id[failed.id]


def test_run_list_filters(ws_dir: Path, trained: Run, failed: Run) -> None:
    by_experiment = invoke("run", "list", "--experiment", "evaluate", "-w", ws_dir)
    assert failed.id in by_experiment.stdout and trained.id not in by_experiment.stdout
    by_status = invoke("run", "list", "--status", "completed", "-w", ws_dir)
    assert trained.id in by_status.stdout and failed.id not in by_status.stdout
    nothing = invoke("run", "list", "--status", "Running", "-w", ws_dir)
    assert nothing.exit_code == 0 and "No runs match." in nothing.stdout
    newest = invoke("run", "list", "--limit", "1", "-w", ws_dir)
    assert failed.id in newest.stdout and trained.id not in newest.stdout
    assert "--limit" in newest.stdout


def test_run_list_keeps_ids_whole_in_80_columns(ws_dir: Path, trained: Run, failed: Run) -> None:
    result = runner.invoke(app, ["-w", str(ws_dir), "run", "list"], env={"COLUMNS": "80"})
    assert result.exit_code == 0
    assert all(len(line) <= 80 for line in result.stdout.splitlines())
    assert trained.id in result.stdout and failed.id in result.stdout


def test_run_list_bad_status_is_a_usage_error(ws_dir: Path) -> None:
    result = invoke("run", "list", "--status", "Exploded", "-w", ws_dir)
    assert result.exit_code == 2
    assert "Exploded" in result.output


def test_run_list_unknown_experiment(ws_dir: Path) -> None:
    result = invoke("run", "list", "-e", "nope", "-w", ws_dir)
    assert result.exit_code == 3
    assert_one_error_line(result, "'nope'")


def test_run_show(ws_dir: Path, trained: Run) -> None:
    result = invoke("run", "show", trained.id, "-w", ws_dir)
    assert result.exit_code == 0, result.output
    out = result.stdout
    for expected in (trained.id, "baseline", "Completed", "local", "team", "vision", "seed"):
        assert expected in out
    lines = {line.split()[0]: line.split()[1:] for line in out.splitlines() if line.strip()}
    assert lines["loss"] == ["0.25"]
    assert lines["odd"] == ["-inf"]
    assert lines["note"] == ["converged"]
    assert "logs/driver.log" in out


def test_run_show_failed_run_shows_the_error(ws_dir: Path, failed: Run) -> None:
    result = invoke("-w", ws_dir, "run", "show", failed.id)
    assert result.exit_code == 0, result.output
    assert "Failed" in result.stdout
    assert "Error" in result.stdout and "the data folder is empty" in result.stdout


def test_run_metrics_table(ws_dir: Path, trained: Run) -> None:
    result = invoke("run", "metrics", trained.id, "-w", ws_dir)
    assert result.exit_code == 0, result.output
    rows = {line.split()[0]: line.split()[1:] for line in result.stdout.splitlines()[3:] if line}
    # name: kind, last, points, min, max
    assert rows["loss"] == ["scalar", "0.25", "3", "0.25", "0.9"]
    assert rows["odd"] == ["scalar", "-inf", "3", "-inf", "2"]
    assert rows["note"] == ["scalar", "converged", "1"]
    assert rows["epochs"][0] == "row" and rows["epochs"][-1] == "1"


def test_run_metrics_json(ws_dir: Path, trained: Run) -> None:
    result = invoke("run", "metrics", trained.id, "--json", "-w", ws_dir)
    assert result.exit_code == 0, result.output
    assert "NaN" in result.stdout and "-Infinity" in result.stdout
    metrics = json.loads(result.stdout)
    assert metrics["loss"] == [0.9, 0.5, 0.25]
    assert metrics["odd"][0] == 2.0 and math.isnan(metrics["odd"][1])
    assert metrics["odd"][2] == -math.inf
    assert metrics["epochs"] == {"epoch": [1], "loss": [0.9]}
    only = invoke("run", "metrics", trained.id, "--name", "loss", "--json", "-w", ws_dir)
    assert json.loads(only.stdout) == {"loss": [0.9, 0.5, 0.25]}


def test_run_metrics_unknown_name(ws_dir: Path, trained: Run) -> None:
    result = invoke("run", "metrics", trained.id, "--name", "recall", "-w", ws_dir)
    assert result.exit_code == 3
    assert_one_error_line(result, "'recall'", trained.id)


def test_run_files(ws_dir: Path, trained: Run, failed: Run) -> None:
    result = invoke("run", "files", trained.id, "-w", ws_dir)
    assert result.exit_code == 0, result.output
    sizes = {line.split()[0]: " ".join(line.split()[1:]) for line in result.stdout.splitlines()}
    assert sizes["outputs/model.bin"] == "10.0 KiB"
    assert sizes["outputs/sub/notes.txt"] == "5 B"
    assert sizes["logs/driver.log"] == f"{len(LOG_TEXT)} B"
    assert "3 files" in result.stdout
    none = invoke("run", "files", failed.id, "-w", ws_dir)
    assert none.exit_code == 0 and "has no files" in none.stdout


def test_run_download_writes_identical_files(ws_dir: Path, trained: Run, tmp_path: Path) -> None:
    target = tmp_path / "downloaded"
    result = invoke("run", "download", trained.id, target, "-w", ws_dir)
    assert result.exit_code == 0, result.output
    assert f"Downloaded 3 files of run {trained.id} to {target}" in result.stdout
    assert (target / "outputs" / "model.bin").read_bytes() == MODEL_BYTES
    assert (target / "outputs" / "sub" / "notes.txt").read_bytes() == b"hello"
    assert (target / "logs" / "driver.log").read_bytes() == LOG_TEXT


def test_run_download_with_prefix(ws_dir: Path, trained: Run, tmp_path: Path) -> None:
    target = tmp_path / "outputs-only"
    result = invoke("run", "download", trained.id, target, "--prefix", "outputs", "-w", ws_dir)
    assert result.exit_code == 0, result.output
    assert "Downloaded 2 files" in result.stdout
    written = sorted(str(path.relative_to(target)) for path in target.rglob("*") if path.is_file())
    assert written == ["outputs/model.bin", "outputs/sub/notes.txt"]


def test_run_download_refuses_an_unsafe_prefix(ws_dir: Path, trained: Run, tmp_path: Path) -> None:
    result = invoke("run", "download", trained.id, tmp_path / "x", "-p", "../../etc", "-w", ws_dir)
    assert result.exit_code == 2
    assert_one_error_line(result)
    assert not (tmp_path / "x").exists()


@pytest.mark.parametrize("command", ["show", "metrics", "files", "download"])
def test_unknown_run_id(command: str, ws_dir: Path, tmp_path: Path) -> None:
    run_id = "train_1700000000_deadbeef"
    destination = [tmp_path / "out"] if command == "download" else []
    result = invoke("run", command, run_id, *destination, "-w", ws_dir)
    assert result.exit_code == 3
    assert_one_error_line(result, run_id)
    assert not (tmp_path / "out").exists()


def test_ctrl_c_exits_130_with_one_line(ws_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def interrupted(*args: object, **kwargs: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr("runlab.cli.run.Run.get", interrupted)
    result = invoke("run", "show", "whatever", "-w", ws_dir)
    assert result.exit_code == 130
    assert_one_error_line(result, "interrupted")
