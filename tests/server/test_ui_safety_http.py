"""The UI's answers over plain HTTP: the Content-Security-Policy and its nonces, ``nosniff``,
files served only as downloads or as raster images, and long histories downsampled."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import re
from pathlib import Path

import pytest

pytest.importorskip("jinja2", reason="the web UI needs jinja2 (pip install jinja2)")

import httpx
from uiruns import SCRIPT_FILES, SPIKE_STEP, every_kind_run, long_run, script_run

from runlab.tracking import Workspace

NONCE = re.compile(r"script-src 'self' 'nonce-([A-Za-z0-9_-]+)'")


def test_every_page_sends_a_policy_that_runs_only_its_own_scripts(
    server_url: str, served_workspace: Workspace
) -> None:
    run = script_run(served_workspace)
    nonces = set()
    for path in ("/ui/", "/ui/experiments/scripts", f"/ui/runs/{run.id}", "/ui/models"):
        answer = httpx.get(server_url + path)
        assert answer.status_code == 200, path
        policy = answer.headers["content-security-policy"]
        assert "'unsafe-eval'" not in policy and "object-src 'none'" in policy
        found = NONCE.search(policy)
        assert found is not None, policy
        nonces.add(found.group(1))
        assert answer.headers["x-content-type-options"] == "nosniff"
        scripts = re.findall(r"<script[^>]*>", answer.text)
        assert scripts, path
        assert all(f'nonce="{found.group(1)}"' in tag for tag in scripts), scripts
        # what the run recorded is escaped text: no tag of it reaches the page
        assert "<script>window.__pwned" not in answer.text
        assert "<img src=x" not in answer.text and "<svg onload" not in answer.text
    assert len(nonces) == 4, "each page has its own nonce"


def test_files_are_downloads_and_only_raster_images_show_inline(
    server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = every_kind_run(served_workspace, tmp_path)
    scripted = script_run(served_workspace)
    base = f"{server_url}/ui/runs/{scripted.id}"
    for name in SCRIPT_FILES:
        download = httpx.get(f"{base}/files/{name}")
        assert download.status_code == 200
        assert download.headers["content-disposition"].startswith("attachment;")
        assert download.headers["x-content-type-options"] == "nosniff"
        assert "sandbox" in download.headers["content-security-policy"]
        refused = httpx.get(f"{base}/images/{name}")
        assert refused.status_code == 422 and "download it instead" in refused.text
        shown = httpx.get(f"{base}/preview/{name}")
        assert 'id="preview-text"' in shown.text and "&lt;script&gt;" in shown.text
    image = httpx.get(f"{server_url}/ui/runs/{run.id}/images/images/samples_0.png")
    assert image.status_code == 200 and image.headers["content-type"] == "image/png"
    assert image.headers["x-content-type-options"] == "nosniff"
    assert image.content.startswith(b"\x89PNG")


def test_a_long_history_comes_downsampled_keeping_its_shape_and_finer_when_zoomed(
    server_url: str, served_workspace: Workspace
) -> None:
    run = long_run(served_workspace, metrics=2, steps=100_000)
    api = f"{server_url}/ui/api/runs/{run.id}/metrics"
    overview = httpx.get(api, timeout=60).json()
    assert sorted(overview) == ["m0", "m1"]
    series = overview["m0"]
    assert series["count"] == 100_000 and series["sampled"] is True
    assert series["last_step"] == 99_999
    assert 1000 <= len(series["steps"]) <= 2000
    assert series["steps"] == sorted(series["steps"])
    assert 50.0 in series["values"], "the envelope keeps the one-step spike"
    assert series["steps"][0] == 0 and series["steps"][-1] == 99_999

    zoomed = httpx.get(
        api, params={"name": "m0", "start": SPIKE_STEP - 500, "end": SPIKE_STEP + 500}
    ).json()
    assert list(zoomed) == ["m0"]
    window = zoomed["m0"]
    assert window["sampled"] is False and len(window["steps"]) == 1003  # and one each side
    assert window["steps"][0] == SPIKE_STEP - 501 and window["steps"][-1] == SPIKE_STEP + 501

    new = httpx.get(api, params={"after": '{"m0": 99990, "m1": 99999}'}).json()
    assert list(new) == ["m0"] and new["m0"]["steps"] == list(range(99_991, 100_000))
    bad = httpx.get(api, params={"after": "[1]"})
    assert bad.status_code == 422 and "after is a JSON object" in bad.text


def test_the_values_answer_leaves_out_the_metrics_the_page_charts(
    server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    run = every_kind_run(served_workspace, tmp_path)
    api = f"{server_url}/ui/api/runs/{run.id}/values"
    everything = httpx.get(api).json()
    assert sorted(everything["list"]) == ["weights"] and sorted(everything["row"]) == ["per_epoch"]
    assert everything["text"]["phase"]["values"] == ["training"]
    assert everything["image"]["samples"]["values"] == [
        "images/samples_0.png",
        "images/samples_1.png",
    ]
    assert everything["image"]["masks"]["values"] == ["images/masks_0.png"]
    skipped = httpx.get(api, params={"skip": '["weights", "loss"]'}).json()
    assert skipped["list"] == {} and skipped["row"] == everything["row"]
    bad = httpx.get(api, params={"skip": '{"a": 1}'})
    assert bad.status_code == 422 and "skip is a JSON list" in bad.text
