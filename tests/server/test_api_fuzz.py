"""The HTTP API fuzzed with schemathesis over the server's own OpenAPI description.

Every operation, each generated request sent four times: with a write token, with a read
token, with none, and with a job's run token (whose scope checks read the request), to a
real uvicorn server. Checked: no 5xx, no answer that breaks the
schema the operation declares, nothing written outside the served workspace's folder, and
the server still serving afterwards.

The budget is ``RUNLAB_FUZZ_EXAMPLES`` examples per operation (default 8, the everyday suite
and CI); a longer run is described in docs/security.md, e.g.
``RUNLAB_FUZZ_EXAMPLES=300 pytest tests/server/test_api_fuzz.py``.
"""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()
schemathesis = __import__("pytest").importorskip(
    "schemathesis", reason="API fuzzing needs schemathesis: pip install -e '.[dev]'"
)

import os
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, settings
from live_server import free_port
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
)

from helpers import eventually
from runlab.server.auth import Authenticator, TokenStore, tokens_file_of
from runlab.tracking import Workspace

pytestmark = pytest.mark.slow

EXAMPLES = int(os.environ.get("RUNLAB_FUZZ_EXAMPLES", "8"))


def _not_a_server_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """Schemathesis's check, except for an MLflow route runlab documents as not served
    (501 ``NOT_IMPLEMENTED``, which the MLflow client does not retry; see docs/mlflow.md)."""
    if response.status_code == 501 and b'"NOT_IMPLEMENTED"' in response.content:
        return None
    result: bool | None = not_a_server_error(ctx, response, case)
    return result


CHECKS = [_not_a_server_error, response_schema_conformance, content_type_conformance]
READING_POSTS = {
    "/api/runs/search",
    "/api/runs/count",
    "/api/runs/last-metric-values",
    "/api/models/search",
    "/api/logged-models/search",
    # MLflow's searches are POSTs too (its REST API's own choice).
    "/api/2.0/mlflow/experiments/search",
    "/api/2.0/mlflow/runs/search",
    "/api/2.0/mlflow/logged-models/search",
    "/api/2.0/mlflow/registered-models/get-latest-versions",
}
"""POST operations that only read (their filters are structured): a read token may."""
CANARY = b"written before the fuzzing; nobody may change it"


@dataclass
class Fuzzed:
    url: str
    headers: dict[str, dict[str, str]]
    outer: Path
    folder: Path
    thread: threading.Thread


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Fuzzed]:
    """A real server over a fresh workspace in ``outer/ws``, with a canary file beside it."""
    import uvicorn

    from runlab.server import create_app

    outer = tmp_path_factory.mktemp("fuzz")
    (outer / "canary.txt").write_bytes(CANARY)
    folder = outer / "ws"
    workspace = Workspace.create("fuzzed", folder)
    tokens = TokenStore(tokens_file_of(workspace.config_path))
    write, read = tokens.create("write", "fuzz-write")[0], tokens.create("read", "fuzz-read")[0]
    # Something to find: an experiment, a run and a file, so reads hit real records too.
    run = workspace.store.create_run(
        workspace.store.create_experiment("e").name, "e_1700000000_0a1b2c3d"
    )
    job = tokens.create("run", "fuzz-run", run_id=run.run_id)[0]
    workspace.artifacts.put_bytes(f"runs/{run.run_id}/outputs/a.txt", b"a")
    app = create_app(workspace, tokens)
    app.state.authenticator = Authenticator(tokens, required=True)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-fuzz", daemon=True)
    thread.start()
    eventually(lambda: server.started, interval=0.01, message="the fuzzed server to start")
    headers = {
        "write": {"Authorization": f"Bearer {write}"},
        "read": {"Authorization": f"Bearer {read}"},
        "none": {},
        "run": {"Authorization": f"Bearer {job}"},
    }
    yield Fuzzed(f"http://127.0.0.1:{port}", headers, outer, folder, thread)
    server.should_exit = True
    thread.join(timeout=10)
    workspace.close()


def _api_description() -> dict[str, Any]:
    """The server's OpenAPI description: it depends on the routes only, not on a workspace
    (``test_the_described_api_is_the_served_one`` checks that)."""
    from runlab.server import create_app

    document: dict[str, Any] = create_app(None).openapi()  # type: ignore[arg-type]
    return document


# Loaded when the module is collected, as schemathesis's parametrize needs (its fixture-based
# loader does not run under this pytest).
schema = schemathesis.openapi.from_dict(_api_description())


def test_the_described_api_is_the_served_one(fuzzed: Fuzzed) -> None:
    served = httpx.get(f"{fuzzed.url}/openapi.json", timeout=30).json()
    assert served == _api_description()
    assert len(served["paths"]) >= 30


@schema.parametrize()
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=list(HealthCheck),
    database=None,
)
def test_every_operation_with_every_kind_of_token(case: Any, fuzzed: Fuzzed) -> None:
    writes = case.method.upper() in ("PUT", "PATCH", "DELETE") or (
        case.method.upper() == "POST" and case.path not in READING_POSTS
    )
    for kind in ("none", "read", "run", "write"):
        response = case.call_and_validate(
            base_url=fuzzed.url, headers=fuzzed.headers[kind], checks=CHECKS, timeout=60
        )
        status = response.status_code
        if kind == "none":
            # Refused; a request malformed in its method or shape, or one no route matches
            # (an empty file path), may say so first.
            assert status in (400, 401, 404, 405, 422), (case.method, case.path, status)
        if kind == "read" and writes:
            assert not 200 <= status < 300, (case.method, case.path, status, response.text)


def test_nothing_was_written_outside_the_workspace(fuzzed: Fuzzed) -> None:
    assert sorted(path.name for path in fuzzed.outer.iterdir()) == ["canary.txt", "ws"]
    assert (fuzzed.outer / "canary.txt").read_bytes() == CANARY
    root = fuzzed.folder.resolve()
    for path in fuzzed.folder.rglob("*"):
        assert path.resolve().is_relative_to(root), f"{path} leads outside the workspace"


@pytest.mark.parametrize(
    "path",
    ["../canary.txt", "..%2Fcanary.txt", "%2E%2E/canary.txt", "a/../../canary.txt", "/etc/x"],
)
def test_paths_that_try_to_leave_the_workspace_are_refused(fuzzed: Fuzzed, path: str) -> None:
    write = fuzzed.headers["write"]
    for method in ("PUT", "DELETE"):
        answer = httpx.request(
            method, f"{fuzzed.url}/api/artifacts/{path}", content=b"evil", headers=write
        )
        assert answer.status_code in (400, 404, 422), (method, path, answer.text)
    # In a query the path is sent as written (percent signs then name a file, no escape).
    plain = path.replace("%2F", "/").replace("%2E", ".")
    answer = httpx.post(
        f"{fuzzed.url}/api/artifact-append", params={"path": plain}, content=b"evil", headers=write
    )
    assert answer.status_code in (400, 422), (path, answer.text)
    assert (fuzzed.outer / "canary.txt").read_bytes() == CANARY


def test_the_server_still_serves_after_the_fuzzing(fuzzed: Fuzzed) -> None:
    assert fuzzed.thread.is_alive()
    answer = httpx.get(f"{fuzzed.url}/api/workspace", headers=fuzzed.headers["read"], timeout=30)
    assert answer.status_code == 200 and answer.json()["name"] == "fuzzed"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/api/models/m/versions/99999999999999999999", None),
        ("POST", "/api/models/m/versions/99999999999999999999/finish", None),
        ("DELETE", "/api/models/m/versions/-99999999999999999999/tags?key=k", None),
        ("POST", "/api/runs/search", {"limit": 2**63}),
        (
            "POST",
            "/api/runs/e_1700000000_0a1b2c3d/metrics",
            {
                "names": ["loss"],
                "steps": [2**64],
                "timestamps": [0.0],
                "kinds": ["scalar"],
                "numbers": [1.0],
                "texts": [None],
                "descriptions": [None],
            },
        ),
    ],
)
def test_integers_beyond_64_bits_are_refused_not_crashed_on(
    fuzzed: Fuzzed, method: str, path: str, body: Any
) -> None:
    """What the fuzzing found first: such numbers reached SQLite and answered 500."""
    answer = httpx.request(method, fuzzed.url + path, json=body, headers=fuzzed.headers["write"])
    assert answer.status_code == 422, answer.text
