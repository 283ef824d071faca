"""The HTTP side shared by the REST backends: one client per server, and the one boundary
where httpx's exceptions and the server's error answers become runlab's errors.

The server (``runlab.server.errors``) decides each error's status in its one table and sends
the name of the error's class with its message; :func:`error_from_response` raises the class
of :mod:`runlab.errors` of that name (:data:`runlab.errors.ERROR_CLASSES`) again. No status is
mapped back by hand: an answer that names no runlab error (a proxy's, a crash's) is a
:class:`BackendError` quoting the status.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from runlab.errors import (
    ERROR_CLASSES,
    BackendError,
    InvalidStateError,
    RunlabError,
    ValidationError,
)

try:
    import httpx
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "talking to a runlab server needs httpx: pip install 'runlab[server]'"
    ) from _error

__all__ = [
    "TIMEOUT_ENV",
    "TOKEN_ENV",
    "ServerClient",
    "error_from_response",
    "http_timeout",
    "segment",
    "server_client",
]

TOKEN_ENV = "RUNLAB_TOKEN"
"""The environment variable a client reads its bearer token from when none is passed."""

TIMEOUT_ENV = "RUNLAB_HTTP_TIMEOUT_S"
"""The environment variable that sets, in seconds, how long a client waits for the server
(to connect, and for each piece of an answer) unless a store is given a timeout: a network
path that stalls fails a request after this long, and buffered points are sent again."""


def http_timeout(default: float) -> float:
    """``RUNLAB_HTTP_TIMEOUT_S`` when set, else ``default``.

    Raises:
        ValidationError: the variable is not a positive number of seconds.
    """
    text = os.environ.get(TIMEOUT_ENV, "").strip()
    if not text:
        return default
    try:
        timeout = float(text)
    except ValueError:
        timeout = 0.0
    if not timeout > 0 or timeout == float("inf"):
        raise ValidationError(f"{TIMEOUT_ENV}={text!r} is not a positive number of seconds")
    return timeout


def error_from_response(response: httpx.Response) -> RunlabError:
    """The runlab error a failed response stands for: the class the server named, with its
    message (the inverse of the server's table); else a :class:`BackendError`."""
    name: object = None
    message: object = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        name, message = body.get("error"), body.get("message")
    answered = f"the runlab server answered {response.status_code} {response.reason_phrase}"
    cls = ERROR_CLASSES.get(name) if isinstance(name, str) else None
    if cls is None:
        return BackendError(f"{answered}: {message}" if isinstance(message, str) else answered)
    return cls(message if isinstance(message, str) else answered)


def segment(value: object, what: str) -> str:
    """``value`` quoted as one path segment of a URL.

    Raises:
        ValidationError: it is not a non-empty str.
    """
    if not isinstance(value, str) or not value:
        raise ValidationError(f"{what} must be a non-empty str, not {value!r}")
    return quote(value, safe="")


def json_body(value: Any, what: str = "the request") -> bytes:
    """``value`` as strict JSON (no NaN, str keys only at the top level of mappings).

    Raises:
        ValidationError: it holds something JSON cannot carry.
    """
    try:
        return json.dumps(value, allow_nan=False, separators=(",", ":")).encode()
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{what} must be JSON values: {error}") from error


def json_object(value: Mapping[str, Any] | None, what: str) -> dict[str, Any] | None:
    """``value`` checked to be a str-keyed mapping of JSON values (None passes through).

    Raises:
        ValidationError: it is not.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping) or not all(isinstance(key, str) for key in value):
        raise ValidationError(f"{what} must be a JSON object: a mapping of str keys")
    json_body(dict(value), what)
    return dict(value)


class ServerClient:
    """One connection pool to a runlab server, safe to share between threads and between the
    stores of one workspace (``Workspace.connect`` gives its metadata and artifact stores one).

    Closing it is final and may be done more than once; every request after that raises
    :class:`InvalidStateError`.

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8765``.
        token: the bearer token; default: the ``RUNLAB_TOKEN`` environment variable.
        timeout: seconds to wait for a connection or a response, unless a request says else.
    """

    def __init__(self, url: str, *, token: str | None = None, timeout: float = 60.0) -> None:
        self.url = url.rstrip("/")
        token = token if token is not None else os.environ.get(TOKEN_ENV) or None
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        self._client = httpx.Client(base_url=self.url, headers=headers, timeout=timeout)

    @contextlib.contextmanager
    def boundary(self) -> Iterator[None]:
        """Translate httpx's exceptions into :class:`BackendError` (never showing headers)."""
        try:
            yield
        except httpx.HTTPError as error:
            raise BackendError(
                f"cannot talk to the runlab server at {self.url}: {type(error).__name__}: {error}"
            ) from error

    def request(
        self,
        method: str,
        path: str,
        *,
        body: Any = None,
        params: Mapping[str, Any] | None = None,
        timeout: float | None = None,
    ) -> Any:
        """Send one JSON request and return the decoded JSON answer (None for no content).

        Args:
            timeout: seconds to wait for this request; default: the client's.

        Raises:
            the runlab error the server's answer stands for; BackendError when the server
            cannot be reached; InvalidStateError once the client is closed.
        """
        content = json_body(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        extra: dict[str, Any] = {"timeout": timeout} if timeout is not None else {}
        with self.boundary():
            response = self.http.request(
                method, path, content=content, params=params, headers=headers, **extra
            )
        self.check(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    @property
    def http(self) -> httpx.Client:
        """The underlying httpx client, for streaming; use it inside :meth:`boundary`.

        Raises:
            InvalidStateError: the client is closed.
        """
        if self._client.is_closed:
            raise InvalidStateError(f"the connection to the runlab server at {self.url} is closed")
        return self._client

    @property
    def closed(self) -> bool:
        """Whether :meth:`close` was called."""
        return self._client.is_closed

    @staticmethod
    def check(response: httpx.Response) -> None:
        """Raise the runlab error a failed response stands for."""
        if response.status_code >= 400:
            if not response.is_closed:
                response.read()
            raise error_from_response(response)

    def close(self) -> None:
        """Close the connection pool, for every store sharing it; again does nothing."""
        self._client.close()


def server_client(
    url: str, token: str | None, timeout: float, client: ServerClient | None
) -> ServerClient:
    """``client`` to share when one is given, else a new client of ``url``: what a REST
    store's constructor makes of its arguments.

    Raises:
        ValidationError: ``client`` talks to another server than ``url``, or a ``token`` is
            given beside it (the client carries its own).
    """
    if client is None:
        return ServerClient(url, token=token, timeout=timeout)
    if client.url != url.rstrip("/"):
        raise ValidationError(f"the client given talks to {client.url}, not to {url}")
    if token is not None:
        raise ValidationError("a shared client carries its own token: pass none beside it")
    return client
