"""Local web services: deploy, score, fail, restart, refuse bad requests, keys, update."""

from __future__ import annotations

import json
import threading
from pathlib import Path
from typing import Any

import httpx
import numpy as np
import pytest
from webservice_helpers import register, write_score

from helpers import eventually
from runlab import Model, Workspace
from runlab.compute.processes import kill, process_alive
from runlab.errors import (
    AlreadyExistsError,
    BackendError,
    DeploymentFailedError,
    InvalidStateError,
    ValidationError,
)
from runlab.serving import InferenceConfig, LocalWebservice, Webservice


def deploy(
    workspace: Workspace, tmp_path: Path, model: Model, name: str = "digits-svc", **config: Any
) -> Webservice:
    source = tmp_path / f"src-{name}"
    if not (source / "score.py").exists():
        write_score(source)
    service = Model.deploy(
        workspace,
        name,
        [model],
        InferenceConfig("score.py", source_directory=source),
        LocalWebservice.deploy_configuration(**config),
    )
    service.wait_for_deployment(timeout_sec=120)
    return service


def test_the_service_predicts_as_the_model_does(
    workspace: Workspace, tmp_path: Path, digits_model: Model, digits: dict[str, Any]
) -> None:
    service = deploy(workspace, tmp_path, digits_model)
    assert service.state == "Healthy"
    assert service.scoring_uri is not None and service.scoring_uri.startswith("http://127.0.0.1:")
    x_test = digits["x_test"]
    served = service.run(json.dumps({"data": x_test.tolist()}))
    assert served == digits["model"].predict(x_test).tolist()
    # Health, description, the workspace's record and the lineage to the model.
    base = service.scoring_uri.removesuffix("/score")
    assert httpx.get(base + "/").json() == {"status": "Healthy"}
    assert "/score" in httpx.get(str(service.swagger_uri)).json()["paths"]
    assert list(workspace.webservices) == ["digits-svc"]
    again = Webservice(workspace, "digits-svc")
    assert again.model_ids == ["digits:1"] and again.models[0] == digits_model
    assert [s.name for s in Webservice.list(workspace)] == ["digits-svc"]
    assert "init done" in service.get_logs()


def test_a_name_in_use_needs_overwrite(
    workspace: Workspace, tmp_path: Path, digits_model: Model
) -> None:
    first = deploy(workspace, tmp_path, digits_model)
    old_uri = first.scoring_uri
    with pytest.raises(AlreadyExistsError, match="overwrite=True"):
        deploy(workspace, tmp_path, digits_model)
    second = Model.deploy(
        workspace,
        "digits-svc",
        [digits_model],
        InferenceConfig("score.py", source_directory=tmp_path / "src-digits-svc"),
        LocalWebservice.deploy_configuration(),
        overwrite=True,
    )
    second.wait_for_deployment(timeout_sec=120)
    assert second.scoring_uri != old_uri
    with pytest.raises(httpx.ConnectError):
        httpx.post(str(old_uri), content="{}")


def test_init_that_raises_fails_with_its_traceback(
    workspace: Workspace, tmp_path: Path, digits_model: Model
) -> None:
    write_score(
        tmp_path / "src-broken",
        "def init():\n    raise RuntimeError('no model here')\n\ndef run(raw):\n    return raw\n",
    )
    with pytest.raises(DeploymentFailedError, match="no model here") as failure:
        deploy(workspace, tmp_path, digits_model, name="broken")
    assert "Traceback" in str(failure.value)
    service = Webservice(workspace, "broken")
    assert service.state == "Failed"
    logs = service.get_logs()
    assert "Traceback (most recent call last)" in logs and "RuntimeError: no model here" in logs


def test_a_killed_scoring_process_is_restarted(
    workspace: Workspace, tmp_path: Path, digits_model: Model, digits: dict[str, Any]
) -> None:
    service = deploy(workspace, tmp_path, digits_model)
    record = workspace.store.get_service(service.name)
    pid = record.details["worker_pid"]
    kill([pid])
    eventually(lambda: not process_alive(pid), message="the scoring process to die")
    eventually(
        lambda: workspace.store.get_service(service.name).details.get("worker_pid"),
        until=lambda new: new not in (None, pid),
        timeout=120,
        message="a new scoring process",
    )
    eventually(lambda: service.state, until=lambda state: state == "Healthy", timeout=120)
    assert workspace.store.get_service(service.name).details["restarts"] == 1
    logs = service.get_logs()
    assert "restart 1 in 1 s" in logs and "healthy again" in logs
    rows = digits["x_test"][:3]
    assert service.run({"data": rows.tolist()}) == digits["model"].predict(rows).tolist()


def test_bad_requests_get_clear_errors_and_the_service_keeps_serving(
    workspace: Workspace, tmp_path: Path, digits_model: Model, digits: dict[str, Any]
) -> None:
    service = deploy(workspace, tmp_path, digits_model, max_request_bytes=100_000)
    uri = str(service.scoring_uri)
    good = json.dumps({"data": digits["x_test"][:2].tolist()})

    bad_json = httpx.post(uri, content="{not json")
    assert bad_json.status_code == 400 and "not valid JSON" in bad_json.json()["error"]
    huge = httpx.post(uri, content=b"[" + b"1," * 100_000 + b"1]")
    assert huge.status_code == 413 and "limit of 100000 bytes" in huge.json()["error"]
    raising = httpx.post(uri, content=json.dumps({"data": [1, 2, 3]}))
    assert raising.status_code == 500
    assert "run() raised ValueError: data must be rows" in raising.json()["error"]
    assert httpx.get(uri.removesuffix("/score") + "/nowhere").status_code == 404
    with pytest.raises(ValidationError, match="not valid JSON"):
        service.run("{not json")
    with pytest.raises(BackendError, match="data must be rows"):
        service.run({"data": [1, 2, 3]})

    assert httpx.post(uri, content=good).status_code == 200
    assert "ValueError: data must be rows" in service.get_logs()  # the traceback is logged


def test_a_slow_run_is_answered_with_a_timeout(
    workspace: Workspace, tmp_path: Path, digits_model: Model
) -> None:
    write_score(
        tmp_path / "src-slow",
        "import time\n\ndef init():\n    pass\n\n"
        "def run(raw):\n    time.sleep(float(raw))\n    return 'done'\n",
    )
    service = deploy(workspace, tmp_path, digits_model, name="slow", request_timeout_s=1.0)
    answer = httpx.post(str(service.scoring_uri), content="5", timeout=30)
    assert answer.status_code == 504 and "1 s timeout" in answer.json()["error"]
    assert service.run("0") == "done"


def test_keys_are_needed_when_auth_is_on(
    workspace: Workspace, tmp_path: Path, digits_model: Model, digits: dict[str, Any]
) -> None:
    service = deploy(workspace, tmp_path, digits_model, auth_enabled=True)
    uri = str(service.scoring_uri)
    body = json.dumps({"data": digits["x_test"][:1].tolist()})
    primary, secondary = service.get_keys()
    assert primary != secondary
    assert httpx.post(uri, content=body).status_code == 401
    wrong = httpx.post(uri, content=body, headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and "valid key" in wrong.json()["error"]
    for key in (primary, secondary):
        answer = httpx.post(uri, content=body, headers={"Authorization": f"Bearer {key}"})
        assert answer.status_code == 200
    assert service.run(body) == digits["model"].predict(digits["x_test"][:1]).tolist()

    service.regen_key("Primary")
    new_primary, same_secondary = service.get_keys()
    assert new_primary != primary and same_secondary == secondary
    old = httpx.post(uri, content=body, headers={"Authorization": f"Bearer {primary}"})
    assert old.status_code == 401
    new = httpx.post(uri, content=body, headers={"Authorization": f"Bearer {new_primary}"})
    assert new.status_code == 200
    with pytest.raises(ValidationError):
        service.regen_key("Tertiary")


def test_keys_of_a_service_without_auth(
    workspace: Workspace, tmp_path: Path, digits_model: Model
) -> None:
    service = deploy(workspace, tmp_path, digits_model)
    with pytest.raises(InvalidStateError, match="authentication off"):
        service.get_keys()


def test_update_with_requests_flowing_fails_none(
    workspace: Workspace, tmp_path: Path, digits_model: Model, digits: dict[str, Any]
) -> None:
    from sklearn.dummy import DummyClassifier

    service = deploy(workspace, tmp_path, digits_model)
    rows = digits["x_test"][:4]
    sevens = DummyClassifier(strategy="constant", constant=7).fit(rows, [7, 7, 7, 7])
    version_2 = register(workspace, tmp_path, sevens, tag="2")
    answers: list[list[int]] = []
    failures: list[BaseException] = []
    stop = threading.Event()

    def score() -> None:
        client = Webservice(workspace, service.name)
        while not stop.is_set():
            try:
                answers.append(client.run({"data": rows.tolist()}))
            except BaseException as error:
                failures.append(error)

    threading.Thread(target=score).start()
    try:
        eventually(lambda: len(answers) > 5, message="requests to flow")
        service.update(models=[version_2])
        assert service.state == "Transitioning"
        service.wait_for_deployment(timeout_sec=120)
        eventually(lambda: answers[-1] == [7, 7, 7, 7], message="the new version to answer")
        count = len(answers)
        eventually(lambda: len(answers) > count + 5, message="more requests after the update")
    finally:
        stop.set()
    assert failures == []
    assert answers[0] == digits["model"].predict(rows).tolist()
    assert service.model_ids == ["digits:2"]
    assert np.array(answers[-1]).tolist() == [7, 7, 7, 7]
    assert "generation 2 serves" in service.get_logs()


def test_bad_configurations_are_refused(
    workspace: Workspace, tmp_path: Path, digits_model: Model
) -> None:
    write_score(tmp_path / "src")
    config = InferenceConfig("score.py", source_directory=tmp_path / "src")
    with pytest.raises(ValidationError, match="missing"):
        InferenceConfig("missing.py", source_directory=tmp_path / "src")
    with pytest.raises(ValidationError, match="port"):
        LocalWebservice.deploy_configuration(port=70000)
    with pytest.raises(ValidationError, match="deployment_config"):
        Model.deploy(workspace, "x", [digits_model], config)
    with pytest.raises(ValidationError, match="web service name"):
        Model.deploy(
            workspace, "bad name!", [digits_model], config, LocalWebservice.deploy_configuration()
        )
    with pytest.raises(ValidationError, match="models"):
        Model.deploy(workspace, "x", [], config, LocalWebservice.deploy_configuration())
    assert Webservice.list(workspace) == []


def test_a_supervisor_that_died_before_recording_itself_means_failed(
    workspace: Workspace, tmp_path: Path
) -> None:
    import subprocess
    import sys

    from runlab.compute.processes import process_create_time
    from runlab.serving.local import LAUNCHER_FILE, LocalBackend

    gone = subprocess.Popen([sys.executable, "-c", "pass"])
    created = process_create_time(gone.pid)
    gone.wait()
    (tmp_path / LAUNCHER_FILE).write_text(json.dumps({"pid": gone.pid, "pid_create_time": created}))
    record = workspace.store.create_service(
        "early", "local", state="Transitioning", details={"service_dir": str(tmp_path)}
    )
    assert LocalBackend().live_state(workspace, record) == "Failed"
    (tmp_path / LAUNCHER_FILE).unlink()  # nothing known yet: as recorded
    assert LocalBackend().live_state(workspace, record) == "Transitioning"
    workspace.store.delete_service("early")
