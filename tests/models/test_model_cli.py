"""``runlab model ...`` driven through Typer's test runner against a real workspace.

(Named test_model_cli.py, not test_cli.py: tests/cli/test_cli.py has that module name.)
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

from runlab import Model, Run, Workspace
from runlab.cli import app

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": None})


@pytest.fixture
def ws_dir(workspace: Workspace) -> Path:
    assert workspace.config_path is not None
    return workspace.config_path.parent.parent


def invoke(ws_dir: Path, *args: str | Path) -> Result:
    return runner.invoke(app, ["-w", str(ws_dir), *(str(arg) for arg in args)])


def assert_one_error_line(result: Result, exit_code: int, *fragments: str) -> None:
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_model_commands_are_listed(ws_dir: Path) -> None:
    assert "model" in runner.invoke(app, ["--help"]).stdout
    help_text = runner.invoke(app, ["model", "--help"]).stdout
    for command in ("register", "list", "show", "download", "delete"):
        assert command in help_text


def test_register_list_show_download_delete(
    ws_dir: Path, workspace: Workspace, trained: Run, outputs: dict[str, bytes], tmp_path: Path
) -> None:
    local = tmp_path / "local.pkl"
    local.write_bytes(b"local model")
    registered = invoke(ws_dir, "model", "register", "mnist", local, "--tag", "stage=dev")
    assert registered.exit_code == 0, registered.output
    assert "mnist:1" in registered.stdout and "version 1" in registered.stdout

    from_run = invoke(
        ws_dir,
        "model",
        "register",
        "mnist",
        "outputs/sklearn_mnist_model.pkl",
        "--run",
        trained.id,
        "--description",
        "from the tutorial",
        "--property",
        "accuracy=0.92",
    )
    assert from_run.exit_code == 0, from_run.output
    assert "mnist:2" in from_run.stdout and trained.id in from_run.stdout
    model = Model(workspace, "mnist")
    assert (model.version, model.run_id, model.description) == (2, trained.id, "from the tutorial")
    assert model.properties == {"accuracy": "0.92"}
    assert Model(workspace, "mnist", version=1).tags == {"stage": "dev"}

    listed = invoke(ws_dir, "model", "list")
    assert listed.exit_code == 0
    assert listed.stdout.index("mnist:2") < listed.stdout.index("mnist:1")
    latest = invoke(ws_dir, "model", "list", "--latest", "--name", "mnist")
    assert "mnist:2" in latest.stdout and "mnist:1" not in latest.stdout

    shown = invoke(ws_dir, "model", "show", "mnist")
    assert shown.exit_code == 0
    for fragment in ("mnist:2", trained.id, "tutorial", model.content_hash, "accuracy"):
        assert fragment in shown.stdout
    assert "sklearn_mnist_model.pkl" in shown.stdout

    target = tmp_path / "downloaded"
    downloaded = invoke(ws_dir, "model", "download", "mnist:2", target)
    assert downloaded.exit_code == 0, downloaded.output
    written = target / "sklearn_mnist_model.pkl"
    assert written.read_bytes() == outputs["outputs/sklearn_mnist_model.pkl"]
    assert str(written) in downloaded.stdout
    again = invoke(ws_dir, "model", "download", "mnist:2", target, "--exist-ok")
    assert again.exit_code == 0, again.output

    deleted = invoke(ws_dir, "model", "delete", "mnist:1")
    assert deleted.exit_code == 0 and "mnist:1" in deleted.stdout
    assert [m.id for m in Model.list(workspace)] == ["mnist:2"]


def test_errors_are_one_line_with_an_exit_code(
    ws_dir: Path, workspace: Workspace, trained: Run, tmp_path: Path
) -> None:
    assert_one_error_line(invoke(ws_dir, "model", "show", "ghost"), 3, "ghost")
    assert_one_error_line(invoke(ws_dir, "model", "show", "bad name"), 2, "model name")
    assert_one_error_line(
        invoke(ws_dir, "model", "register", "m", "../x", "--run", trained.id),
        2,
        "unsafe artifact path",
    )
    assert_one_error_line(
        invoke(ws_dir, "model", "register", "m", "outputs/nope", "--run", trained.id),
        3,
        "outputs/sklearn_mnist_model.pkl",
    )
    assert_one_error_line(
        invoke(ws_dir, "model", "register", "m", tmp_path / "missing.pkl"), 3, "no such file"
    )
    assert_one_error_line(
        invoke(ws_dir, "model", "register", "m", tmp_path, "--tag", "novalue"), 2, "KEY=VALUE"
    )
    trained.register_model("m", "outputs/sklearn_mnist_model.pkl")
    assert_one_error_line(invoke(ws_dir, "model", "delete", "m"), 2, "m:VERSION")
    target = tmp_path / "target"
    target.mkdir()
    (target / "sklearn_mnist_model.pkl").write_bytes(b"mine")
    assert_one_error_line(invoke(ws_dir, "model", "download", "m", target), 4, "--exist-ok")
    assert (target / "sklearn_mnist_model.pkl").read_bytes() == b"mine"
    assert Model.list(workspace)[0].id == "m:1"


def test_an_empty_workspace_says_so(ws_dir: Path) -> None:
    listed = invoke(ws_dir, "model", "list")
    assert listed.exit_code == 0 and "No models yet" in listed.stdout
