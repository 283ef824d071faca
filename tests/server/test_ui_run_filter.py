"""The runs table's filter box: the run filter language (MLflow's search grammar) in the web
UI, over HTTP."""

from __future__ import annotations

import pytest

pytest.importorskip("fastapi", reason="the web UI needs the server extra")
pytest.importorskip("jinja2", reason="the web UI needs jinja2")

from fastapi.testclient import TestClient

from runlab import Experiment, Workspace
from runlab.server import create_app


def test_the_filter_box_filters_the_runs_table(workspace: Workspace) -> None:
    experiment = Experiment(workspace, "sweep")
    ids = []
    for rate in ("0.1", "0.2"):
        run = experiment.start_logging()
        workspace.store.add_properties(run.id, {"param.lr": rate})
        run.complete()
        ids.append(run.id)
    client = TestClient(create_app(workspace))
    page = client.get("/ui/experiments/sweep", params={"filter": "params.lr = '0.2'"})
    assert page.status_code == 200
    assert ids[1] in page.text and ids[0] not in page.text
    assert "params.lr = &#39;0.2&#39;" in page.text  # kept in the box and the page links
    bad = client.get("/ui/experiments/sweep", params={"filter": "params.lr = 0.2"})
    assert 400 <= bad.status_code < 500
    assert "position 13" in bad.text
