"""``runlab datastore ...`` driven through Typer's test runner against a real workspace.

(Named test_datastore_cli.py, not test_cli.py: tests/cli/test_cli.py has that module name.)
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from runlab import Workspace
from runlab.cli import app
from runlab.data import DEFAULT_DATASTORE_NAME, Datastore

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": None})


@pytest.fixture
def ws_dir(workspace: Workspace) -> Path:
    assert workspace.config_path is not None
    return workspace.config_path.parent.parent


def invoke(ws_dir: Path, *args: str | Path, env: dict[str, str] | None = None) -> Result:
    return runner.invoke(app, ["-w", str(ws_dir), *(str(arg) for arg in args)], env=env)


def assert_one_error_line(result: Result, exit_code: int, *fragments: str) -> None:
    assert result.exit_code == exit_code, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.output
    assert lines[0].startswith("Error: ") and "Traceback" not in result.output
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


def test_datastore_commands_are_listed() -> None:
    assert "datastore" in runner.invoke(app, ["--help"]).stdout
    help_text = runner.invoke(app, ["datastore", "--help"]).stdout
    for command in ("list", "register", "upload", "download", "set-default"):
        assert command in help_text
    register_help = runner.invoke(app, ["datastore", "register", "--help"]).stdout
    assert "RUNLAB_DATASTORE_" in register_help


def test_upload_list_download(
    ws_dir: Path, tree: tuple[Path, dict[str, str]], tmp_path: Path, tree_hashes: Any
) -> None:
    source, hashes = tree
    uploaded = invoke(ws_dir, "datastore", "upload", source, "--target", "mnist")
    assert uploaded.exit_code == 0, uploaded.output
    assert f"Uploaded {len(hashes)} files" in uploaded.stdout
    assert DEFAULT_DATASTORE_NAME in uploaded.stdout and ".runlab-manifest/" in uploaded.stdout
    assert f"{len(hashes)}/{len(hashes)} files" in uploaded.stderr  # the progress bar

    again = invoke(ws_dir, "datastore", "upload", source, "--target", "mnist")
    assert_one_error_line(again, 4, "would overwrite", "--overwrite")
    replaced = invoke(ws_dir, "datastore", "upload", source, "-t", "mnist", "--overwrite")
    assert replaced.exit_code == 0, replaced.output

    single = invoke(ws_dir, "datastore", "upload", source / "part0" / "group0" / "0000.bin")
    assert single.exit_code == 0 and "Uploaded 1 files" in single.stdout

    listed = invoke(ws_dir, "datastore", "list")
    assert listed.exit_code == 0, listed.output
    assert DEFAULT_DATASTORE_NAME in listed.stdout and "workspace://datastores" in listed.stdout
    assert "*" in listed.stdout

    out = tmp_path / "out"
    downloaded = invoke(ws_dir, "datastore", "download", out, "--prefix", "mnist")
    assert downloaded.exit_code == 0, downloaded.output
    assert f"Downloaded {len(hashes)} files" in downloaded.stdout
    assert tree_hashes(out / "mnist") == hashes
    refused = invoke(ws_dir, "datastore", "download", out, "-p", "mnist")
    assert_one_error_line(refused, 4, "would overwrite")
    assert invoke(ws_dir, "datastore", "download", out, "-p", "mnist", "--overwrite").exit_code == 0


def test_register_takes_credentials_from_the_environment(
    ws_dir: Path, workspace: Workspace, tmp_path: Path
) -> None:
    secret = "cli-secret-value"
    registered = invoke(
        ws_dir,
        "datastore",
        "register",
        "raw",
        tmp_path / "raw",
        "--option",
        'client_kwargs={"region_name": "eu-west-1"}',
        "-o",
        "auto_mkdir=true",
        "--default",
        env={"RUNLAB_DATASTORE_RAW_SECRET": secret, "RUNLAB_DATASTORE_RAW_KEY": "kid"},
    )
    assert registered.exit_code == 0, registered.output
    assert "RUNLAB_DATASTORE_RAW_KEY, RUNLAB_DATASTORE_RAW_SECRET" in registered.stdout
    assert secret not in registered.output
    datastore = Datastore.get(workspace, "raw")
    assert datastore.options == {
        "client_kwargs": {"region_name": "eu-west-1"},
        "auto_mkdir": True,
        "key": "***",
        "secret": "***",
    }
    assert workspace.get_default_datastore().name == "raw"
    secrets_file = ws_dir / ".runlab" / "secrets.json"
    assert json.loads(secrets_file.read_text())["datastores"]["raw"]["secret"] == secret
    listed = invoke(ws_dir, "datastore", "list")
    assert secret not in listed.output and "***" in listed.stdout

    on_the_line = invoke(ws_dir, "datastore", "register", "bad", tmp_path, "-o", "password=x")
    assert_one_error_line(on_the_line, 2, "RUNLAB_DATASTORE_BAD_PASSWORD")
    duplicate = invoke(ws_dir, "datastore", "register", "raw", tmp_path)
    assert_one_error_line(duplicate, 4, "raw")
    made_default = invoke(ws_dir, "datastore", "set-default", DEFAULT_DATASTORE_NAME)
    assert made_default.exit_code == 0
    assert workspace.get_default_datastore().name == DEFAULT_DATASTORE_NAME


def test_errors_are_one_line(
    ws_dir: Path, tree: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    source, _hashes = tree
    unknown = invoke(ws_dir, "datastore", "upload", source, "--datastore", "ghost")
    assert_one_error_line(unknown, 3, "ghost")
    unsafe = invoke(ws_dir, "datastore", "upload", source, "--target", "../up")
    assert_one_error_line(unsafe, 2, "'..'")
    absent = invoke(ws_dir, "datastore", "download", tmp_path / "o", "--prefix", "absent")
    assert_one_error_line(absent, 3, "absent")
    assert_one_error_line(invoke(ws_dir, "datastore", "set-default", "ghost"), 3, "ghost")
