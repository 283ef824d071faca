"""Bad input over HTTP answers 4xx, writes nothing outside the workspace, and the server
goes on serving."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

from pathlib import Path

import httpx
import pytest

from runlab.tracking import Workspace


def _tree(folder: Path) -> set[Path]:
    return set(folder.rglob("*"))


@pytest.mark.parametrize(
    "path",
    ["%2e%2e/escape.txt", "a/%2e%2e/%2e%2e/escape.txt", "..%2fescape.txt", "%2fetc/x", "a%00b"],
)
def test_encoded_traversals_are_refused(
    server_url: str, served_workspace: Workspace, tmp_path: Path, path: str
) -> None:
    before = _tree(tmp_path)
    # Sent raw: httpx would resolve "../" in a URL before it left.
    with httpx.Client() as client:
        request = client.build_request("PUT", f"{server_url}/api/artifacts/x", content=b"bad")
        request.url = request.url.copy_with(raw_path=f"/api/artifacts/{path}".encode())
        answer = client.send(request)
    assert 400 <= answer.status_code < 500, answer.text
    assert answer.json()["error"] in {"ValidationError", "NotFoundError"}
    assert _tree(tmp_path) == before
    assert httpx.get(f"{server_url}/api/experiments").status_code == 200


def test_malformed_json_and_overlong_names(server_url: str) -> None:
    answer = httpx.post(
        f"{server_url}/api/experiments",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    assert answer.json()["error"] == "ValidationError"
    answer = httpx.post(f"{server_url}/api/experiments", json={"name": "x" * 5000})
    assert answer.status_code == 422
    answer = httpx.post(f"{server_url}/api/runs/r/metrics", json={"names": ["m"]})
    assert answer.status_code == 422
    assert httpx.get(f"{server_url}/api/experiments").json() == []


def test_every_error_answers_by_the_table(server_url: str) -> None:
    assert httpx.get(f"{server_url}/api/runs/ghost").status_code == 404
    httpx.post(f"{server_url}/api/experiments", json={"name": "e"})
    assert httpx.post(f"{server_url}/api/experiments", json={"name": "e"}).status_code == 409
    created = httpx.post(f"{server_url}/api/runs", json={"experiment_name": "e", "run_id": "r"})
    assert created.status_code == 201
    body = {"status": "Completed"}
    done = httpx.post(f"{server_url}/api/runs/r/status", json={"status": "Canceled"})
    assert done.status_code == 200
    answer = httpx.post(f"{server_url}/api/runs/r/status", json=body)
    assert (answer.status_code, answer.json()["error"]) == (409, "InvalidStateError")
    assert httpx.post(f"{server_url}/api/runs/r/status", json={"status": "Nope"}).status_code == 422


def test_a_huge_json_body_is_refused(server_url: str) -> None:
    huge = b'{"name": "' + b"x" * (64 * 1024**2) + b'"}'
    try:
        answer = httpx.post(
            f"{server_url}/api/experiments",
            content=huge,
            headers={"Content-Type": "application/json"},
            timeout=30,
        )
    except httpx.TransportError:
        pass  # the server may close the connection before the body is sent; that refuses too
    else:
        assert answer.status_code == 413
        assert answer.json()["error"] == "ValidationError"
    assert httpx.get(f"{server_url}/api/experiments").json() == []
