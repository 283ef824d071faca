"""Tokens with a life cycle: listed without the secret, revoked and expired tokens refused by a
running server at once, last use noted, one file shared safely by several processes, and a
job's token that writes only inside its run."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import LiveServer
from typer.testing import CliRunner

from helpers import eventually
from runlab.artifacts.rest import RestArtifactStore
from runlab.cli.app import app as cli_app
from runlab.entities import Metric, RunStatus
from runlab.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    NotFoundError,
    ValidationError,
)
from runlab.server import run_scope
from runlab.server.auth import (
    LAST_USED_EVERY_S,
    Authenticator,
    TokenStore,
    parse_duration,
    tokens_file_of,
)
from runlab.store.rest import RestMetadataStore
from runlab.tracking import Workspace

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "RUNLAB_TOKEN": None})


@pytest.fixture
def token_store(live_server: LiveServer, served_workspace: Workspace) -> Iterator[TokenStore]:
    """The served workspace's tokens, checked by the live server from now on."""
    tokens = TokenStore(tokens_file_of(served_workspace.config_path))
    live_server.app.state.authenticator = Authenticator(tokens)
    yield tokens


def _status(url: str, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return httpx.get(f"{url}/api/experiments", headers=headers, timeout=30).status_code


def test_durations_read_as_people_write_them() -> None:
    assert parse_duration("30d") == 30 * 86400
    assert parse_duration("12h") == 12 * 3600
    assert parse_duration("90m") == 90 * 60
    assert parse_duration("2w") == 14 * 86400
    assert parse_duration("1.5s") == 1.5
    for bad in ("30", "d", "-1d", "0h", "3 days", ""):
        with pytest.raises(ValidationError, match="duration"):
            parse_duration(bad)


def test_cli_creates_lists_and_revokes_never_showing_the_token(tmp_path: Path) -> None:
    Workspace.create("ws", tmp_path).close()
    base = ["-w", str(tmp_path), "token"]
    made = runner.invoke(cli_app, [*base, "create", "--name", "ci", "--expires", "30d"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip().splitlines()[-1]
    runner.invoke(cli_app, [*base, "create", "--name", "laptop", "--scope", "write"])
    twice = runner.invoke(cli_app, [*base, "create", "--name", "ci"])
    assert twice.exit_code == 4 and "exists" in twice.output
    bad = runner.invoke(cli_app, [*base, "create", "--expires", "soon"])
    assert bad.exit_code == 2 and "duration" in bad.output

    listed = runner.invoke(cli_app, [*base, "list"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert token not in listed.output and "rlt_" not in listed.output
    lines = {line.split()[0]: line for line in listed.output.splitlines() if line.strip()}
    ci, laptop = lines["ci"], lines["laptop"]
    assert " read " in ci and " write " in laptop
    record = TokenStore(tokens_file_of(tmp_path / ".runlab" / "config.json")).find(token)
    assert record is not None and record.expires_time is not None
    assert 29.9 * 86400 < record.expires_time - record.created_time <= 30 * 86400
    assert "never" in laptop and "never" not in ci
    assert ci.count(" - ") == 1  # never used yet

    revoked = runner.invoke(cli_app, [*base, "revoke", "ci"])
    assert revoked.exit_code == 0 and "ci" in revoked.output
    listed = runner.invoke(cli_app, [*base, "list"])
    assert "ci" not in listed.output.split() and "laptop" in listed.output
    again = runner.invoke(cli_app, [*base, "revoke", "ci"])
    assert again.exit_code == 3 and "laptop" in again.output


def test_a_running_server_refuses_a_revoked_token_at_once(
    server_url: str, token_store: TokenStore, served_workspace: Workspace
) -> None:
    token = token_store.create("read", "short-lived")[0]
    keeper = token_store.create("write", "keeper")[0]
    assert _status(server_url, token) == 200
    # Revoked from another process, as `runlab token revoke` does: no restart.
    folder = Path(served_workspace.config_path).parent.parent  # type: ignore[arg-type]
    result = subprocess.run(
        [sys.executable, "-m", "runlab.cli", "-w", str(folder), "token", "revoke", "short-lived"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    answer = httpx.get(
        f"{server_url}/api/experiments", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 401
    assert "revoked" in answer.json()["message"] and token not in answer.text
    assert _status(server_url, keeper) == 200


def test_a_running_server_refuses_an_expired_token(
    server_url: str, token_store: TokenStore
) -> None:
    token = token_store.create("read", "brief", expires_in=2.0)[0]
    lasting = token_store.create("read", "lasting", expires_in=parse_duration("30d"))[0]
    eventually(
        lambda: _status(server_url, token),
        until=lambda status: status == 401,
        timeout=60,
        interval=0.25,
        message="the token to expire",
    )
    answer = httpx.get(
        f"{server_url}/api/experiments", headers={"Authorization": f"Bearer {token}"}
    )
    assert "expired" in answer.json()["message"]
    assert _status(server_url, lasting) == 200


def test_last_use_is_noted_at_most_once_a_minute(server_url: str, token_store: TokenStore) -> None:
    token, record = token_store.create("read", "used")
    assert record.last_used_time is None
    before = time.time()
    assert _status(server_url, token) == 200
    first = token_store.find(token)
    assert first is not None and first.last_used_time is not None
    assert first.last_used_time >= before
    written = token_store.path.stat().st_mtime_ns
    for _ in range(5):
        assert _status(server_url, token) == 200
    assert token_store.path.stat().st_mtime_ns == written  # no write per request
    assert LAST_USED_EVERY_S <= 60


CREATE_MANY = """
import sys
from runlab.server.auth import TokenStore
store = TokenStore(sys.argv[1])
for index in range(8):
    store.create("read", f"{sys.argv[2]}-{index}")
"""


def test_processes_creating_tokens_at_once_lose_none(tmp_path: Path) -> None:
    path = tmp_path / ".runlab" / "tokens.json"
    processes = [
        subprocess.Popen([sys.executable, "-c", CREATE_MANY, str(path), f"p{number}"])
        for number in range(4)
    ]
    for process in processes:
        assert process.wait(timeout=300) == 0
    names = {record.name for record in TokenStore(path).records()}
    assert names == {f"p{number}-{index}" for number in range(4) for index in range(8)}


def test_token_store_refuses_bad_requests(tmp_path: Path) -> None:
    store = TokenStore(tmp_path / "tokens.json")
    with pytest.raises(ValidationError):
        store.create("admin")
    with pytest.raises(ValidationError):
        store.create("run")  # a run token without its run
    with pytest.raises(ValidationError):
        store.create("read", expires_in=-5)
    store.create("read", "a")
    with pytest.raises(AlreadyExistsError):
        store.create("write", "a")
    with pytest.raises(NotFoundError, match=r"'b' \(known: a\)"):
        store.revoke("b")


def _point(name: str) -> list[Metric]:
    return [Metric(name=name, value=1.0, step=0, timestamp=time.time())]


def test_a_run_token_writes_only_inside_its_run(server_url: str, token_store: TokenStore) -> None:
    write_token = token_store.create("write", "submitter")[0]
    with RestMetadataStore(server_url, token=write_token) as submitter:
        submitter.create_experiment("e")
        mine = submitter.create_run("e", "e_1_aaaaaaaa", status=RunStatus.QUEUED).run_id
        other = submitter.create_run("e", "e_1_bbbbbbbb", status=RunStatus.QUEUED).run_id
        run_token = submitter.create_run_token(mine)
    assert run_token is not None and run_token != write_token
    record = token_store.find(run_token)
    assert record is not None and (record.scope, record.run_id) == ("run", mine)
    assert record.name == f"run-{mine}" and record.expires_time is not None

    with RestMetadataStore(server_url, token=run_token) as job:
        # Inside its run: status, metrics, tags, a child run and the child's metrics.
        job.set_run_status(mine, RunStatus.RUNNING)
        job.log_metrics(mine, _point("loss"))
        job.set_tags(mine, {"phase": "train"})
        child = job.create_run("e", "e_1_cccccccc", parent_run_id=mine).run_id
        job.log_metrics(child, _point("child_loss"))
        # Reading stays open to it.
        assert {r.run_id for r in job.search_runs()} >= {mine, other}
        # Outside: another run, a top-level run, an experiment, a datastore.
        with pytest.raises(AccessDeniedError, match=other):
            job.log_metrics(other, _point("loss"))
        with pytest.raises(AccessDeniedError):
            job.set_run_status(other, RunStatus.CANCELED)
        with pytest.raises(AccessDeniedError):
            job.create_run("e", "e_1_dddddddd")
        with pytest.raises(AccessDeniedError):
            job.create_experiment("elsewhere")
        with pytest.raises(AccessDeniedError):
            job.create_run_token(other)
    files = RestArtifactStore(server_url, token=run_token)
    files.put_bytes(f"runs/{mine}/outputs/model.txt", b"w")
    files.put_bytes(f"runs/{child}/outputs/model.txt", b"w")
    files.put_bytes("models/digits/1/model.txt", b"w")
    for outside in (f"runs/{other}/outputs/x.txt", "datastores/default/x.txt", "x.txt"):
        with pytest.raises(AccessDeniedError):
            files.put_bytes(outside, b"x")
    with pytest.raises(AccessDeniedError):
        files.delete("models/digits/1/model.txt")
    # A revoke of the run's token (by its listed name) ends it at once, like any other.
    token_store.revoke(f"run-{mine}")
    with RestMetadataStore(server_url, token=run_token) as job, pytest.raises(AccessDeniedError):
        job.log_metrics(mine, _point("loss"))


def test_an_open_server_makes_no_run_token(server_url: str) -> None:
    with RestMetadataStore(server_url) as store:
        store.create_experiment("e")
        run_id = store.create_run("e", "e_2_aaaaaaaa").run_id
        assert store.create_run_token(run_id) is None
        with pytest.raises(NotFoundError):
            store.create_run_token("e_2_ffffffff")


def test_a_run_token_stops_writing_once_its_run_has_ended(
    server_url: str, token_store: TokenStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_token = token_store.create("write", "submitter")[0]
    with RestMetadataStore(server_url, token=write_token) as submitter:
        submitter.create_experiment("e")
        run_id = submitter.create_run("e", "e_3_aaaaaaaa", status=RunStatus.RUNNING).run_id
        run_token = submitter.create_run_token(run_id)
    assert run_token is not None
    with RestMetadataStore(server_url, token=run_token) as job:
        job.log_metrics(run_id, _point("loss"))
        job.set_run_status(run_id, RunStatus.COMPLETED)
        # Within the grace period its job may still upload its last logs.
        job.log_metrics(run_id, _point("late"))
        monkeypatch.setattr(run_scope, "ENDED_GRACE_S", 0.0)
        with pytest.raises(AccessDeniedError, match="ended"):
            job.log_metrics(run_id, _point("too_late"))
        assert job.get_run(run_id).status == RunStatus.COMPLETED  # reading still works
