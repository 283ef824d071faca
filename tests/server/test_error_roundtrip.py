"""Every runlab error raised behind a live route comes back to the REST client as the same
class with the same message, and answers with the status of the server's one table."""

# ruff: noqa: E402 - the server extra is checked before anything needing it is imported
from __future__ import annotations

from live_server import LiveServer, require_server_extra

require_server_extra()

import inspect
from collections.abc import Iterator

import httpx
import pytest
from fastapi.responses import PlainTextResponse

import runlab.errors
from runlab.errors import AccessDeniedError, BackendError, RunlabError, ValidationError
from runlab.server.auth import TokenMissingError
from runlab.server.errors import ERROR_STATUSES, PayloadTooLargeError
from runlab.store._http import ServerClient

# Found by looking, not listed: a class added to runlab.errors is covered without a change here.
CLASSES = sorted(
    (
        cls
        for _name, cls in inspect.getmembers(runlab.errors, inspect.isclass)
        if issubclass(cls, RunlabError)
        and cls.__module__ == runlab.errors.__name__
        and not inspect.isabstract(cls)
    ),
    key=lambda cls: cls.__name__,
)
# Server-only classes: their own status, and the client raises the runlab error they extend.
SERVER_ONLY = {TokenMissingError: AccessDeniedError, PayloadTooLargeError: ValidationError}
RAISABLE = {cls.__name__: cls for cls in [*CLASSES, *SERVER_ONLY]}
ROUTE = "/api/test-raise"


def message_of(cls: type[RunlabError]) -> str:
    return f"{cls.__name__} raised behind a live route: 'ghost' \"ü ✓\" 100%"


@pytest.fixture(scope="module")
def raising_routes(live_server: LiveServer) -> Iterator[None]:
    """Two test-only routes on the live server's app, taken away again afterwards: one
    raises the runlab error it is named, one answers like a proxy (no runlab body)."""
    app = live_server.app
    before = list(app.router.routes)

    def raise_named(name: str) -> None:
        raise RAISABLE[name](message_of(RAISABLE[name]))

    def answer_like_a_proxy() -> PlainTextResponse:
        return PlainTextResponse("busy, try later", status_code=409)

    app.add_api_route(ROUTE + "/{name}", raise_named, methods=["GET"])
    app.add_api_route(ROUTE + "-proxy", answer_like_a_proxy, methods=["GET"])
    yield
    app.router.routes[:] = before


@pytest.fixture
def client(server_url: str, raising_routes: None) -> Iterator[ServerClient]:
    server = ServerClient(server_url)
    yield server
    server.close()


def test_the_error_classes_are_found() -> None:
    # Guards the discovery above: an empty list would make the round trip vacuous.
    assert {"RunlabError", "NotFoundError", "JobFailedError", "AccessDeniedError"} <= {
        cls.__name__ for cls in CLASSES
    }


@pytest.mark.parametrize("cls", CLASSES, ids=lambda cls: cls.__name__)
def test_every_runlab_error_round_trips(
    client: ServerClient, server_url: str, cls: type[RunlabError]
) -> None:
    # Each class has its own row in the server's table: none gets a status by accident.
    assert cls in ERROR_STATUSES
    answer = httpx.get(f"{server_url}{ROUTE}/{cls.__name__}")
    assert (answer.status_code, answer.json()["error"]) == (ERROR_STATUSES[cls], cls.__name__)

    with pytest.raises(RunlabError) as raised:
        client.request("GET", f"{ROUTE}/{cls.__name__}")
    assert type(raised.value) is cls
    assert raised.value.message == message_of(cls)


@pytest.mark.parametrize("cls", list(SERVER_ONLY), ids=lambda cls: cls.__name__)
def test_a_server_only_error_comes_back_as_the_runlab_error_it_extends(
    client: ServerClient, server_url: str, cls: type[RunlabError]
) -> None:
    assert httpx.get(f"{server_url}{ROUTE}/{cls.__name__}").status_code == ERROR_STATUSES[cls]
    with pytest.raises(RunlabError) as raised:
        client.request("GET", f"{ROUTE}/{cls.__name__}")
    assert type(raised.value) is SERVER_ONLY[cls]
    assert raised.value.message == message_of(cls)


def test_an_answer_naming_no_runlab_error_is_a_backend_error(client: ServerClient) -> None:
    # No status is mapped back by hand: a bare 409 is not taken for AlreadyExistsError.
    with pytest.raises(RunlabError) as raised:
        client.request("GET", ROUTE + "-proxy")
    assert type(raised.value) is BackendError
    assert "409" in raised.value.message
