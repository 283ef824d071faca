"""Tokens: who may read, who may write, and that a token never shows up anywhere."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import require_server_extra

require_server_extra()

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from live_server import LiveServer, free_port
from typer.testing import CliRunner

from helpers import eventually
from runlab.artifacts.rest import RestArtifactStore
from runlab.cli.app import app as cli_app
from runlab.errors import AccessDeniedError
from runlab.server.auth import Authenticator, TokenStore, tokens_file_of
from runlab.store.rest import RestMetadataStore
from runlab.tracking import Workspace

runner = CliRunner(env={"RUNLAB_WORKSPACE_DIR": None, "RUNLAB_TOKEN": None})


@pytest.fixture
def token_store(live_server: LiveServer, served_workspace: Workspace) -> Iterator[TokenStore]:
    """The served workspace's tokens, checked by the live server from now on."""
    tokens = TokenStore(tokens_file_of(served_workspace.config_path))
    live_server.app.state.authenticator = Authenticator(tokens)
    yield tokens


@pytest.fixture
def read_token(token_store: TokenStore) -> str:
    return token_store.create("read", "reader")[0]


@pytest.fixture
def write_token(token_store: TokenStore) -> str:
    return token_store.create("write", "writer")[0]


def test_no_token_is_401_once_a_token_exists(server_url: str, read_token: str) -> None:
    answer = httpx.get(f"{server_url}/api/experiments")
    assert answer.status_code == 401
    assert answer.headers["www-authenticate"] == "Bearer"
    with RestMetadataStore(server_url) as store, pytest.raises(AccessDeniedError, match="token"):
        store.list_experiments()


def test_an_unknown_token_is_401(server_url: str, write_token: str) -> None:
    answer = httpx.get(
        f"{server_url}/api/experiments", headers={"Authorization": "Bearer rlt_forged"}
    )
    assert answer.status_code == 401
    assert "rlt_forged" not in answer.text


def test_a_read_token_reads_but_cannot_write(
    server_url: str, read_token: str, write_token: str
) -> None:
    with RestMetadataStore(server_url, token=write_token) as writer:
        writer.create_experiment("mnist")
    with RestMetadataStore(server_url, token=read_token) as reader:
        assert [e.name for e in reader.list_experiments()] == ["mnist"]
        assert reader.search_runs() == []  # a POST that only reads
        with pytest.raises(AccessDeniedError, match="read") as refused:
            reader.create_experiment("other")
        assert read_token not in str(refused.value)
    answer = httpx.post(
        f"{server_url}/api/experiments",
        json={"name": "x"},
        headers={"Authorization": f"Bearer {read_token}"},
    )
    assert answer.status_code == 403
    files = RestArtifactStore(server_url, token=read_token)
    with pytest.raises(AccessDeniedError):
        files.put_bytes("a.txt", b"x")
    assert RestArtifactStore(server_url, token=write_token).list_files() == []


def test_tokens_are_kept_hashed_and_private(token_store: TokenStore, write_token: str) -> None:
    text = token_store.path.read_text()
    assert write_token not in text
    assert stat.S_IMODE(token_store.path.stat().st_mode) == 0o600
    assert token_store.find(write_token) is not None
    assert token_store.find(write_token + "x") is None


def test_the_token_from_the_environment_is_used(
    server_url: str, write_token: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("RUNLAB_TOKEN", write_token)
    with RestMetadataStore(server_url) as store:
        store.create_experiment("from-env")


def test_cli_prints_a_token_once_and_keeps_its_hash(tmp_path: Path) -> None:
    Workspace.create("ws", tmp_path).close()
    result = runner.invoke(cli_app, ["-w", str(tmp_path), "token", "create", "--scope", "write"])
    assert result.exit_code == 0, result.output
    token = result.stdout.strip().splitlines()[-1]
    assert token.startswith("rlt_")
    stored = (tmp_path / ".runlab" / "tokens.json").read_text()
    assert token not in stored and '"scope": "write"' in stored


def test_cli_refuses_to_listen_beyond_loopback_without_a_token(tmp_path: Path) -> None:
    Workspace.create("ws", tmp_path).close()
    result = runner.invoke(cli_app, ["-w", str(tmp_path), "server", "--host", "0.0.0.0"])
    assert result.exit_code == 2
    assert "token" in result.output


def _wait_until_up(url: str, process: subprocess.Popen[bytes]) -> None:
    def answer() -> httpx.Response:
        assert process.poll() is None, "the server exited early"
        return httpx.get(url + "/openapi.json", timeout=1)

    eventually(answer, ignoring=(httpx.TransportError,), message=f"the server to answer at {url}")


def test_a_token_never_shows_in_the_server_log(tmp_path: Path) -> None:
    """``runlab server`` as users start it, at debug level, its whole output captured."""
    workspace = Workspace.create("ws", tmp_path)
    tokens = TokenStore(tokens_file_of(workspace.config_path))
    write_token = tokens.create("write")[0]
    read_token = tokens.create("read")[0]
    workspace.close()
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = tmp_path / "server.log"
    command = [sys.executable, "-m", "runlab.cli", "-w", str(tmp_path), "server"]
    command += ["--port", str(port), "--log-level", "debug"]
    env = {**os.environ, "RUNLAB_TOKEN": ""}
    with open(log, "wb") as output:
        process = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, env=env)
        try:
            _wait_until_up(url, process)
            connected = Workspace.connect(url, token=write_token)
            connected.store.create_experiment("e")
            connected.artifacts.put_bytes("a.txt", b"x")
            with (
                RestMetadataStore(url, token=read_token) as reader,
                pytest.raises(AccessDeniedError),
            ):
                reader.create_experiment("f")
            for token in (write_token, read_token, "rlt_wrong"):
                httpx.get(
                    f"{url}/api/experiments/ghost", headers={"Authorization": f"Bearer {token}"}
                )
            connected.close()
        finally:
            process.terminate()
            process.wait(timeout=10)
    text = log.read_text(errors="replace")
    assert "/api/experiments" in text  # the log was captured
    for token in (write_token, read_token, "rlt_wrong"):
        assert token not in text
