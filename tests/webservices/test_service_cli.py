"""``runlab service ...`` through Typer's test runner, against a real workspace and service."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
from typer.testing import CliRunner, Result
from webservice_helpers import write_score

from runlab import Model, Workspace
from runlab.cli import app

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "COLUMNS": "200"})


def invoke(workspace: Workspace, *args: str | Path) -> Result:
    assert workspace.config_path is not None
    ws_dir = workspace.config_path.parent.parent
    return runner.invoke(app, ["-w", str(ws_dir), *(str(arg) for arg in args)])


def test_deploy_list_show_logs_delete(
    workspace: Workspace, tmp_path: Path, digits_model: Model, digits: dict[str, Any]
) -> None:
    assert "deploy" in runner.invoke(app, ["service", "--help"]).stdout
    assert "No web services yet" in invoke(workspace, "service", "list").stdout
    write_score(tmp_path / "src")
    deployed = invoke(
        workspace, "service", "deploy", "digits-cli", "--model", "digits:1",
        "--source-dir", tmp_path / "src",
    )  # fmt: skip
    assert deployed.exit_code == 0, deployed.output
    assert "is Healthy: POST requests to http://127.0.0.1:" in deployed.stdout
    uri = deployed.stdout.split("POST requests to ")[1].split()[0]
    rows = digits["x_test"][:2]
    answer = httpx.post(uri, content=json.dumps({"data": rows.tolist()}))
    assert answer.json() == digits["model"].predict(rows).tolist()

    listed = invoke(workspace, "service", "list")
    assert "digits-cli" in listed.stdout and "Healthy" in listed.stdout
    assert "digits:1" in listed.stdout
    shown = invoke(workspace, "service", "show", "digits-cli")
    assert uri in shown.stdout and "digits:1" in shown.stdout
    assert "init done" in invoke(workspace, "service", "logs", "digits-cli").stdout

    again = invoke(
        workspace, "service", "deploy", "digits-cli", "-m", "digits", "-s", tmp_path / "src"
    )
    assert again.exit_code == 4 and "overwrite" in again.stderr

    deleted = invoke(workspace, "service", "delete", "digits-cli")
    assert deleted.exit_code == 0 and "Deleted web service digits-cli" in deleted.stdout
    assert invoke(workspace, "service", "show", "digits-cli").exit_code == 3


def test_a_failing_init_is_a_clear_error(
    workspace: Workspace, tmp_path: Path, digits_model: Model
) -> None:
    write_score(tmp_path / "src", "def init():\n    1 / 0\n\ndef run(raw):\n    return raw\n")
    failed = invoke(
        workspace, "service", "deploy", "broken", "-m", "digits", "-s", tmp_path / "src"
    )
    assert failed.exit_code == 9, failed.output
    assert "ZeroDivisionError" in failed.stderr


def test_the_services_page_shows_state_uri_models_and_logs(
    workspace: Workspace, tmp_path: Path, digits_model: Model
) -> None:
    from fastapi.testclient import TestClient

    from runlab.server.app import create_app
    from runlab.serving import InferenceConfig, LocalWebservice

    write_score(tmp_path / "src")
    with TestClient(create_app(workspace)) as browser:
        assert "No web services" in browser.get("/ui/services").text
        service = Model.deploy(
            workspace,
            "digits-ui",
            [digits_model],
            InferenceConfig("score.py", source_directory=tmp_path / "src"),
            LocalWebservice.deploy_configuration(),
        )
        service.wait_for_deployment(timeout_sec=120)
        page = browser.get("/ui/services")
        assert page.status_code == 200
        assert 'data-service="digits-ui"' in page.text and "Healthy" in page.text
        assert str(service.scoring_uri) in page.text and "digits:1" in page.text
        assert "init done" in page.text  # the log's tail
        assert 'href="/ui/services"' in browser.get("/ui/models").text
        listed = browser.get("/api/services").json()
        assert [item["name"] for item in listed] == ["digits-ui"]
