"""A live runlab server for the MLflow client's scripts (a fresh workspace per test), and the
client's own cached virtual environment."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from mlflow_env import MlflowServer, mlflow_python

from helpers import eventually
from runlab import Workspace


@pytest.fixture(scope="session")
def mlflow_client_python() -> Path:
    """The MLflow client's interpreter (its environment made on first use, then cached)."""
    try:
        return mlflow_python()
    except RuntimeError as error:
        pytest.skip(f"cannot make the MLflow client's environment here: {error}")


@pytest.fixture(scope="session")
def mlflow_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[MlflowServer]:
    """uvicorn serving the runlab app from a thread of the test process."""
    pytest.importorskip("uvicorn", reason="the MLflow API needs the server extra")
    import uvicorn

    from runlab.server import create_app

    placeholder = Workspace.create("placeholder", tmp_path_factory.mktemp("placeholder"))
    app = create_app(placeholder)
    with socket.socket() as probe:  # a port nobody listens on now
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="uvicorn-mlflow", daemon=True)
    thread.start()
    eventually(lambda: bool(server.started), interval=0.01, message="the test server to start")
    yield MlflowServer(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(timeout=10)
    placeholder.close()


@pytest.fixture
def served(mlflow_server: MlflowServer, workspace: Workspace) -> Iterator[Workspace]:
    """The test's fresh workspace, served (without tokens) for this test."""
    from runlab.server.auth import Authenticator

    previous = mlflow_server.app.state.workspace, mlflow_server.app.state.authenticator
    mlflow_server.app.state.workspace = workspace
    mlflow_server.app.state.authenticator = Authenticator(None)
    yield workspace
    mlflow_server.app.state.workspace, mlflow_server.app.state.authenticator = previous
