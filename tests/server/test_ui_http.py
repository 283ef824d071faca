"""The web UI over plain HTTP (no browser): its token cookie, and paging 10,000 runs."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import re

import pytest

pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")

import httpx
from live_server import LiveServer

from runlab.entities import Metric, RunStatus
from runlab.server.auth import Authenticator, TokenStore, tokens_file_of
from runlab.server.ui._auth import COOKIE
from runlab.tracking import Workspace

ROW = re.compile(r'<tr class="run" data-run-id="([^"]+)"')


def test_the_ui_takes_a_token_once_and_keeps_it_in_an_httponly_cookie(
    live_server: LiveServer, server_url: str, served_workspace: Workspace
) -> None:
    tokens = TokenStore(tokens_file_of(served_workspace.config_path))
    live_server.app.state.authenticator = Authenticator(tokens)
    token, _ = tokens.create("read", "viewer")
    served_workspace.store.create_experiment("secret-project")

    with httpx.Client(base_url=server_url) as browser:
        refused = browser.get("/ui/")
        assert refused.status_code == 401
        assert 'name="token"' in refused.text and "secret-project" not in refused.text
        assert browser.get("/ui/api/runs/whatever").status_code == 401

        wrong = browser.get("/ui/?token=rlt_not-a-token")
        assert wrong.status_code == 401 and "rlt_not-a-token" not in wrong.text

        welcomed = browser.get("/ui/experiments/secret-project?token=" + token + "&limit=5")
        assert welcomed.status_code == 303
        assert welcomed.headers["location"] == "/ui/experiments/secret-project?limit=5"
        cookie = welcomed.headers["set-cookie"]
        assert cookie.startswith(f"{COOKIE}=") and "httponly" in cookie.lower()
        assert "samesite=strict" in cookie.lower()

        page = browser.get("/ui/")
        assert page.status_code == 200 and "secret-project" in page.text
        assert token not in page.text

        browser.cookies.clear()
        form = browser.post("/ui/login", data={"token": token, "next": "https://evil.example/"})
        assert form.status_code == 303 and form.headers["location"] == "/ui/"
        assert browser.get("/ui/").status_code == 200


@pytest.mark.slow
def test_the_runs_page_of_10000_runs_renders_one_page_at_a_time(
    server_url: str, served_workspace: Workspace
) -> None:
    store = served_workspace.store
    store.create_experiment("big")
    for number in range(10_000):
        status = RunStatus.COMPLETED if number % 4 else RunStatus.RUNNING
        store.create_run("big", f"big_{number:05d}", status=status, tags={"shard": str(number % 7)})

    first = httpx.get(f"{server_url}/ui/experiments/big", params={"sort": "number asc"})
    assert first.status_code == 200
    assert len(ROW.findall(first.text)) == 50
    assert ROW.findall(first.text)[0] == "big_00000"
    assert 'id="run-total">10000<' in first.text

    last = httpx.get(
        f"{server_url}/ui/experiments/big",
        params={"sort": "number asc", "limit": 100, "offset": 9_950},
    )
    assert ROW.findall(last.text) == [f"big_{number:05d}" for number in range(9_950, 10_000)]
    assert 'id="next-page"' not in last.text and 'id="prev-page"' in last.text

    running = httpx.get(
        f"{server_url}/ui/experiments/big", params={"status": "Running", "tag": "shard=3"}
    )
    expected = sum(1 for number in range(10_000) if number % 4 == 0 and number % 7 == 3)
    assert f'id="run-total">{expected}<' in running.text
    assert len(ROW.findall(running.text)) == 50


def test_the_runs_table_sorts_by_a_metric_column(
    server_url: str, served_workspace: Workspace
) -> None:
    store = served_workspace.store
    store.create_experiment("sweep")
    accuracy = {"r0": 0.7, "r1": 0.9, "r2": None, "r3": 0.8}
    for run_id, value in accuracy.items():
        store.create_run("sweep", run_id)
        points = [Metric("loss", 1.0, 0, 0.0), Metric("loss", 0.5, 1, 0.0)]
        if value is not None:
            points += [Metric("accuracy", 0.99, 0, 0.0), Metric("accuracy", value, 1, 0.0)]
        store.log_metrics(run_id, points)

    def page(**params: str) -> str:
        answer = httpx.get(f"{server_url}/ui/experiments/sweep", params=params)
        assert answer.status_code == 200
        return answer.text

    table = page(metric="accuracy,loss")
    header = re.search(r'class="metric-sort" href="([^"]+)">accuracy<', table)
    assert header is not None
    by_accuracy = page(**dict(httpx.QueryParams(header.group(1).replace("&amp;", "&").lstrip("?"))))
    assert ROW.findall(by_accuracy) == ["r1", "r3", "r0", "r2"]
    # Each cell shows the value at the last step, not the best or the first one.
    assert '<td class="num" title="0.9">0.9</td>' in by_accuracy and "0.99" not in by_accuracy
    flipped = page(sort="metric:accuracy asc")
    assert ROW.findall(flipped) == ["r0", "r3", "r1", "r2"]
    # Sorted by a metric that is not a column, the metric becomes one.
    assert ">accuracy</a></th>" in page(sort="metric:accuracy desc", metric="loss")
    assert (
        httpx.get(
            f"{server_url}/ui/experiments/sweep", params={"sort": "metric:accuracy up"}
        ).status_code
        == 422
    )
