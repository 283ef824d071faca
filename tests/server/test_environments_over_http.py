"""Registered environments and a run's portal URL through ``runlab server``."""

from __future__ import annotations

import httpx

from runlab.environments import Environment
from runlab.tracking import Experiment, Run, Workspace


def test_environments_register_and_read_back_over_http(
    server_url: str, served_workspace: Workspace
) -> None:
    with Workspace.connect(server_url) as remote:
        env = Environment("served-env", pip_packages=["six"])
        assert env.register(remote).version == 1
        env.pip_packages = ["joblib"]
        assert env.register(remote).version == 2
        assert Environment.get(remote, "served-env", 1).pip_packages == ["six"]
        assert list(remote.environments) == ["served-env"]
    # The server's own workspace holds them.
    assert served_workspace.environments["served-env"].version == 2


def test_the_portal_url_is_the_runs_page_of_the_server(
    server_url: str, served_workspace: Workspace
) -> None:
    with Workspace.connect(server_url) as remote:
        run = Experiment(remote, "portal").start_logging()
        url = run.get_portal_url()
        assert url == f"{server_url}/ui/runs/{run.id}"
        run.complete()
        page = httpx.get(url, timeout=30)
        assert page.status_code == 200 and run.id in page.text
        assert Run.get(remote, run.id).get_portal_url() == url
