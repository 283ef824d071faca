"""A real uvicorn server on 127.0.0.1 for the whole session, serving a fresh workspace per
test: the app reads its workspace (and its token checker) per request, so a test swaps them
in instead of paying for a server start."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from live_server import LiveServer, free_port

from helpers import eventually
from runlab.server.auth import Authenticator
from runlab.tracking import Workspace


@pytest.fixture(scope="session")
def live_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """uvicorn serving the runlab app from a thread of the test process."""
    # Imported here: without the server extra the test modules skip before asking for it.
    import uvicorn

    from runlab.server import create_app

    placeholder = Workspace.create("placeholder", tmp_path_factory.mktemp("placeholder"))
    app = create_app(placeholder)
    port = free_port()
    server = uvicorn.Server(
        uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning", lifespan="off")
    )
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()

    def started() -> bool:
        assert thread.is_alive(), "the test server's thread ended"
        return bool(server.started)

    eventually(started, interval=0.01, message="the test server to start")
    yield LiveServer(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(timeout=10)
    placeholder.close()


@pytest.fixture
def server_url(live_server: LiveServer, served_workspace: Workspace) -> str:
    """The base URL of the session's server, serving this test's fresh workspace."""
    return live_server.url


@pytest.fixture
def served_workspace(live_server: LiveServer, workspace: Workspace) -> Iterator[Workspace]:
    """The test's fresh workspace (tests/conftest.py), served (without tokens) for this test."""
    previous = live_server.app.state.workspace, live_server.app.state.authenticator
    live_server.app.state.workspace = workspace
    live_server.app.state.authenticator = Authenticator(None)
    yield workspace
    live_server.app.state.workspace, live_server.app.state.authenticator = previous
