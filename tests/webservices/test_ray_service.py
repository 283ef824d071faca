"""A web service as a Ray Serve application with 2 replicas on a runlab Ray cluster."""

from __future__ import annotations

import importlib.util
import json
from pathlib import Path
from typing import Any

import httpx
import pytest
from webservice_helpers import write_score

from helpers import eventually
from runlab import Model, Workspace
from runlab.compute.processes import process_cmdline
from runlab.compute.ray import RayCompute
from runlab.compute.ray._processes import cluster_pids
from runlab.serving import AksWebservice, InferenceConfig

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(
        importlib.util.find_spec("ray") is None or importlib.util.find_spec("ray.serve") is None,
        reason='Ray Serve is not installed (pip install "runlab[ray]")',
    ),
]


def serve_pids(cluster_id: str) -> list[int]:
    """The cluster's processes that are Serve's: controller, proxy, replicas."""
    return [
        pid
        for pid in cluster_pids(cluster_id)
        if "Serve" in " ".join(process_cmdline(pid) or [])
        or "Proxy" in " ".join(process_cmdline(pid) or [])
    ]


def test_two_replicas_answer_and_delete_leaves_no_serve_process(
    workspace: Workspace, tmp_path: Path, digits_model: Model, digits: dict[str, Any]
) -> None:
    config = RayCompute.provisioning_configuration(
        "STANDARD_D2_V2", min_nodes=1, max_nodes=1, idle_seconds_before_scaledown=5
    )
    cluster = RayCompute.create(workspace, "serve-cluster", config)
    cluster_id = cluster._record.state["cluster_id"]
    try:
        write_score(tmp_path / "src")
        service = Model.deploy(
            workspace,
            "digits-ray",
            [digits_model],
            InferenceConfig("score.py", source_directory=tmp_path / "src"),
            AksWebservice.deploy_configuration(num_replicas=2, cpu_cores=0.1),
            deployment_target=cluster,
        )
        service.wait_for_deployment(timeout_sec=300)
        assert service.compute_type == "ray" and service.state == "Healthy"
        rows = digits["x_test"][:20]
        assert service.run({"data": rows.tolist()}) == digits["model"].predict(rows).tolist()
        bad = httpx.post(str(service.scoring_uri), content="{nope")
        assert bad.status_code == 400 and "not valid JSON" in bad.json()["error"]
        logs = service.get_logs()
        assert logs.count("RUNNING") >= 2, logs  # the application and both replicas
        assert sum("replica" in line for line in logs.splitlines()) == 2, logs
        assert serve_pids(cluster_id), "Serve's processes should run"

        uri = str(service.scoring_uri)
        service.delete()
        eventually(lambda: serve_pids(cluster_id), until=lambda pids: pids == [], timeout=120)
        assert workspace.webservices == {}
        with pytest.raises(httpx.HTTPError):
            httpx.post(uri, content=json.dumps({"data": []}), timeout=5)
    finally:
        cluster.delete()
    assert cluster_pids(cluster_id) == []
