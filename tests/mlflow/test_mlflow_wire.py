"""The MLflow routes' wire, checked in-process (the real MLflow client drives them in
test_mlflow_client.py): ids as strings, times in milliseconds, NaN as a string, MLflow's error
codes with 4xx for every deterministic error, batch limits, path vetting, Basic auth."""

from __future__ import annotations

import base64
import math
from typing import Any

import pytest

pytest.importorskip("fastapi", reason="the MLflow routes need the server extra")
pytest.importorskip("httpx", reason="the MLflow routes need the server extra")

from fastapi.testclient import TestClient

from runlab import Workspace
from runlab.server import TokenStore, create_app
from runlab.server.auth import tokens_file_of

API = "/api/2.0/mlflow"


@pytest.fixture
def client(workspace: Workspace) -> TestClient:
    return TestClient(create_app(workspace))


def _run(client: TestClient, experiment: str = "wire") -> dict[str, Any]:
    created = client.post(f"{API}/experiments/create", json={"name": experiment})
    experiment_id = created.json()["experiment_id"]
    answer = client.post(
        f"{API}/runs/create",
        json={"experiment_id": experiment_id, "start_time": 1_700_000_000_000, "tags": []},
    )
    assert answer.status_code == 200, answer.text
    run: dict[str, Any] = answer.json()["run"]
    return run


def test_ids_are_strings_and_times_milliseconds(client: TestClient) -> None:
    default = client.get(f"{API}/experiments/get", params={"experiment_id": "0"}).json()
    assert default["experiment"]["name"] == "Default"
    run = _run(client)
    info = run["info"]
    assert isinstance(info["experiment_id"], str) and info["experiment_id"] != "0"
    assert info["status"] == "RUNNING"
    assert info["artifact_uri"] == f"mlflow-artifacts:/runs/{info['run_id']}"
    assert isinstance(info["start_time"], int) and info["start_time"] > 1_600_000_000_000


def test_nan_and_infinities_travel_as_strings(client: TestClient, workspace: Workspace) -> None:
    run_id = _run(client)["info"]["run_id"]
    metrics = [
        {"key": "m", "value": value, "timestamp": 1_700_000_000_000 + step, "step": step}
        for step, value in enumerate(["NaN", "Infinity", "-Infinity", 1.5])
    ]
    assert (
        client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics}).json()
        == {}
    )
    history = client.get(f"{API}/metrics/get-history", params={"run_id": run_id, "metric_key": "m"})
    assert "NaN" not in history.text.replace('"NaN"', "")  # never a bare token
    values = [point["value"] for point in history.json()["metrics"]]
    assert values == ["NaN", "Infinity", "-Infinity", 1.5]
    stored = workspace.store.get_metric_histories(run_id, "m")["m"]
    assert math.isnan(stored.values[0]) and stored.values[1:3] == [math.inf, -math.inf]
    assert stored.timestamps[3] == pytest.approx(1_700_000_000.003)


def test_latest_metrics_carry_the_last_points_timestamps(client: TestClient) -> None:
    run_id = _run(client)["info"]["run_id"]
    metrics = [
        {"key": "loss", "value": 0.5, "timestamp": 1_700_000_001_000, "step": 0},
        {"key": "loss", "value": 0.25, "timestamp": 1_700_000_009_123, "step": 4},
        {"key": "acc", "value": 0.75, "timestamp": 1_700_000_002_456, "step": 1},
    ]
    client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    got = client.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["data"]
    assert got["metrics"] == [
        {"key": "acc", "value": 0.75, "timestamp": 1_700_000_002_456, "step": 1},
        {"key": "loss", "value": 0.25, "timestamp": 1_700_000_009_123, "step": 4},
    ]
    experiment_id = client.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]["info"][
        "experiment_id"
    ]
    found = client.post(f"{API}/runs/search", json={"experiment_ids": [experiment_id]}).json()
    assert found["runs"][0]["data"]["metrics"] == got["metrics"]


def test_history_pages(client: TestClient) -> None:
    run_id = _run(client)["info"]["run_id"]
    metrics = [{"key": "m", "value": i, "timestamp": 1, "step": i} for i in range(7)]
    client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": metrics})
    steps: list[int] = []
    token = None
    while True:
        params = {"run_id": run_id, "metric_key": "m", "max_results": 3}
        page = client.get(
            f"{API}/metrics/get-history", params=params | ({"page_token": token} if token else {})
        ).json()
        steps += [point["step"] for point in page["metrics"]]
        token = page.get("next_page_token")
        if not token:
            break
    assert steps == list(range(7))


def _error(answer: Any) -> tuple[int, str]:
    return answer.status_code, answer.json()["error_code"]


def test_deterministic_errors_are_4xx_with_mlflow_codes(client: TestClient) -> None:
    missing = client.get(f"{API}/experiments/get", params={"experiment_id": "999"})
    assert _error(missing) == (404, "RESOURCE_DOES_NOT_EXIST")
    no_run = client.get(f"{API}/runs/get", params={"run_id": "nope"})
    assert _error(no_run) == (404, "RESOURCE_DOES_NOT_EXIST")
    run_id = _run(client)["info"]["run_id"]
    param = {"run_id": run_id, "key": "lr", "value": "0.1"}
    assert client.post(f"{API}/runs/log-parameter", json=param).status_code == 200
    assert client.post(f"{API}/runs/log-parameter", json=param).status_code == 200  # same value
    changed = client.post(f"{API}/runs/log-parameter", json=param | {"value": "0.2"})
    assert _error(changed) == (400, "INVALID_PARAMETER_VALUE")
    assert "lr" in changed.json()["message"]
    again = client.post(f"{API}/experiments/create", json={"name": "wire"})
    assert _error(again) == (400, "RESOURCE_ALREADY_EXISTS")
    bad_value = {"run_id": run_id, "key": "m", "value": "high", "timestamp": 1}
    assert _error(client.post(f"{API}/runs/log-metric", json=bad_value)) == (
        400,
        "INVALID_PARAMETER_VALUE",
    )
    bad_filter = client.post(f"{API}/runs/search", json={"filter": "params.lr = 0.1"})
    assert _error(bad_filter) == (400, "INVALID_PARAMETER_VALUE")
    assert "position 13" in bad_filter.json()["message"]
    traces = client.post(f"{API}/traces", json={})
    assert _error(traces) == (404, "ENDPOINT_NOT_FOUND")
    assert _error(client.get("/api/3.0/mlflow/traces/abc")) == (404, "ENDPOINT_NOT_FOUND")


def test_batch_limits(client: TestClient) -> None:
    run_id = _run(client)["info"]["run_id"]
    metric = {"key": "m", "value": 1, "timestamp": 1, "step": 0}
    too_many = client.post(
        f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [metric] * 1001}
    )
    assert _error(too_many) == (400, "INVALID_PARAMETER_VALUE")
    params = [{"key": f"p{i}", "value": "v"} for i in range(101)]
    too_many_params = client.post(
        f"{API}/runs/log-batch", json={"run_id": run_id, "params": params}
    )
    assert _error(too_many_params) == (400, "INVALID_PARAMETER_VALUE")
    assert "at most 100 params" in too_many_params.json()["message"]
    tags = [{"key": f"t{i}", "value": "x" * 20_000} for i in range(60)]
    too_big = client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "tags": tags})
    assert _error(too_big) == (400, "INVALID_PARAMETER_VALUE")
    assert "1,048,576 bytes" in too_big.json()["message"]


def test_artifact_paths_are_vetted(client: TestClient, workspace: Workspace) -> None:
    run_id = _run(client)["info"]["run_id"]
    base = "/api/2.0/mlflow-artifacts/artifacts"
    assert client.put(f"{base}/runs/{run_id}/dir/a.txt", content=b"hello").status_code == 200
    assert workspace.artifacts.get_bytes(f"runs/{run_id}/dir/a.txt") == b"hello"
    listing = client.get(base, params={"path": f"runs/{run_id}"}).json()
    assert listing == {"files": [{"path": "dir", "is_dir": True}]}
    assert client.get(f"{base}/runs/{run_id}/dir/a.txt").content == b"hello"
    escape = client.put(f"{base}/runs/{run_id}/%2e%2e/%2e%2e/evil.txt", content=b"x")
    assert escape.status_code == 400
    outside = client.put(f"{base}/snapshots/evil.txt", content=b"x")
    assert _error(outside) == (400, "INVALID_PARAMETER_VALUE")
    unknown_run = client.put(f"{base}/runs/no_such_run/a.txt", content=b"x")
    assert _error(unknown_run) == (404, "RESOURCE_DOES_NOT_EXIST")


def test_tokens_bearer_and_basic(workspace: Workspace) -> None:
    tokens = TokenStore(tokens_file_of(workspace.config_path))
    write_token, _ = tokens.create("write")
    read_token, _ = tokens.create("read")
    client = TestClient(create_app(workspace, tokens))
    create = {"name": "secured"}
    assert _error(client.post(f"{API}/experiments/create", json=create)) == (401, "UNAUTHENTICATED")
    reader = {"Authorization": f"Bearer {read_token}"}
    refused = client.post(f"{API}/experiments/create", json=create, headers=reader)
    assert _error(refused) == (403, "PERMISSION_DENIED")
    basic = base64.b64encode(f"anyone:{write_token}".encode()).decode()
    made = client.post(
        f"{API}/experiments/create", json=create, headers={"Authorization": f"Basic {basic}"}
    )
    assert made.status_code == 200, made.text
    found = client.get(
        f"{API}/experiments/get-by-name", params={"experiment_name": "secured"}, headers=reader
    )
    assert found.json()["experiment"]["experiment_id"] == made.json()["experiment_id"]


def test_experiments_rename_tag_delete_and_restore(
    client: TestClient, workspace: Workspace
) -> None:
    created = client.post(
        f"{API}/experiments/create",
        json={"name": "before", "tags": [{"key": "team", "value": "vision"}]},
    )
    experiment_id = created.json()["experiment_id"]
    renamed = client.post(
        f"{API}/experiments/update", json={"experiment_id": experiment_id, "new_name": "after"}
    )
    assert renamed.status_code == 200, renamed.text
    tag = {"experiment_id": experiment_id, "key": "stage", "value": "dev"}
    assert client.post(f"{API}/experiments/set-experiment-tag", json=tag).status_code == 200
    got = client.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()
    assert got["experiment"]["name"] == "after"
    assert got["experiment"]["tags"] == [
        {"key": "stage", "value": "dev"},
        {"key": "team", "value": "vision"},
    ]
    assert workspace.store.get_experiment("after").tags == {"stage": "dev", "team": "vision"}

    def names(view_type: str) -> list[str]:
        answer = client.post(f"{API}/experiments/search", json={"view_type": view_type})
        return [e["name"] for e in answer.json()["experiments"]]

    gone = {"experiment_id": experiment_id}
    assert client.post(f"{API}/experiments/delete", json=gone).status_code == 200
    assert "after" not in names("ACTIVE_ONLY") and names("DELETED_ONLY") == ["after"]
    assert "after" in names("ALL")
    got = client.get(f"{API}/experiments/get", params={"experiment_id": experiment_id}).json()
    assert got["experiment"]["lifecycle_stage"] == "deleted"
    assert workspace.store.get_experiment("after").tags["team"] == "vision"  # data kept
    assert client.post(f"{API}/experiments/restore", json=gone).status_code == 200
    assert "after" in names("ACTIVE_ONLY")
    default = client.post(f"{API}/experiments/delete", json={"experiment_id": "0"})
    assert default.status_code == 400 and default.json()["error_code"] == "INVALID_PARAMETER_VALUE"


def test_runs_deleted_and_restored_keep_their_data(
    client: TestClient, workspace: Workspace
) -> None:
    run = _run(client, "lifecycle")
    run_id, experiment_id = run["info"]["run_id"], run["info"]["experiment_id"]
    second = client.post(f"{API}/runs/create", json={"experiment_id": experiment_id})
    kept = second.json()["run"]["info"]["run_id"]
    point = {"key": "m", "value": 1.0, "timestamp": 1_700_000_000_000, "step": 0}
    client.post(f"{API}/runs/log-batch", json={"run_id": run_id, "metrics": [point]})
    assert client.post(f"{API}/runs/delete", json={"run_id": run_id}).status_code == 200

    def found(view_type: str) -> list[str]:
        body = {"experiment_ids": [experiment_id], "run_view_type": view_type}
        return [
            r["info"]["run_id"] for r in client.post(f"{API}/runs/search", json=body).json()["runs"]
        ]

    assert found("ACTIVE_ONLY") == [kept] and found("DELETED_ONLY") == [run_id]
    assert set(found("ALL")) == {run_id, kept}
    got = client.get(f"{API}/runs/get", params={"run_id": run_id}).json()["run"]
    assert got["info"]["lifecycle_stage"] == "deleted"
    assert got["data"]["metrics"][0]["value"] == 1.0
    assert workspace.store.get_metric_histories(run_id)["m"].values == [1.0]
    assert client.post(f"{API}/runs/restore", json={"run_id": run_id}).status_code == 200
    assert set(found("ACTIVE_ONLY")) == {run_id, kept}
    missing = client.post(f"{API}/runs/delete", json={"run_id": "ghost"})
    assert missing.status_code == 404 and missing.json()["error_code"] == "RESOURCE_DOES_NOT_EXIST"
