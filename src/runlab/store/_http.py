"""The HTTP side shared by the REST backends: one client per server, and the one boundary
where httpx's exceptions and the server's error statuses become runlab's errors.

The server (``runlab.server.errors``) maps each runlab error class to a status and sends the
class's name with the message; :func:`error_from_response` is the inverse: the name picks the
class, the status is the fallback (a proxy in between may answer without a body).
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import quote

from runlab.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    BackendError,
    InvalidStateError,
    NotFoundError,
    RunlabError,
    ValidationError,
)

try:
    import httpx
except ImportError as _error:  # pragma: no cover - depends on the installed extras
    raise ImportError(
        "talking to a runlab server needs httpx: pip install 'runlab[server]'"
    ) from _error

__all__ = ["TOKEN_ENV", "ServerClient", "error_from_response", "segment"]

TOKEN_ENV = "RUNLAB_TOKEN"
"""The environment variable a client reads its bearer token from when none is passed."""

_ERRORS_BY_NAME: dict[str, type[RunlabError]] = {
    cls.__name__: cls
    for cls in (
        AccessDeniedError,
        AlreadyExistsError,
        BackendError,
        InvalidStateError,
        NotFoundError,
        ValidationError,
    )
}
_ERRORS_BY_STATUS: dict[int, type[RunlabError]] = {
    400: ValidationError,
    401: AccessDeniedError,
    403: AccessDeniedError,
    404: NotFoundError,
    409: AlreadyExistsError,
    413: ValidationError,
    422: ValidationError,
}


def error_from_response(response: httpx.Response) -> RunlabError:
    """The runlab error a failed response stands for (the inverse of the server's table)."""
    name: object = None
    message: object = None
    try:
        body = response.json()
    except ValueError:
        body = None
    if isinstance(body, dict):
        name, message = body.get("error"), body.get("message")
    cls = _ERRORS_BY_NAME.get(name) if isinstance(name, str) else None
    if cls is None:
        cls = _ERRORS_BY_STATUS.get(response.status_code, BackendError)
    if not isinstance(message, str):
        message = f"the runlab server answered {response.status_code} {response.reason_phrase}"
    return cls(message)


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
    """One connection pool to a runlab server, safe to share between threads.

    Args:
        url: the server's base URL, e.g. ``http://127.0.0.1:8765``.
        token: the bearer token; default: the ``RUNLAB_TOKEN`` environment variable.
        timeout: seconds to wait for a connection or a response.
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
    ) -> Any:
        """Send one JSON request and return the decoded JSON answer (None for no content).

        Raises:
            the runlab error the server's answer stands for; BackendError when the server
            cannot be reached.
        """
        content = json_body(body) if body is not None else None
        headers = {"Content-Type": "application/json"} if content is not None else None
        with self.boundary():
            response = self._client.request(
                method, path, content=content, params=params, headers=headers
            )
        self.check(response)
        if response.status_code == 204 or not response.content:
            return None
        return response.json()

    @property
    def http(self) -> httpx.Client:
        """The underlying httpx client, for streaming; use it inside :meth:`boundary`."""
        return self._client

    @staticmethod
    def check(response: httpx.Response) -> None:
        """Raise the runlab error a failed response stands for."""
        if response.status_code >= 400:
            if not response.is_closed:
                response.read()
            raise error_from_response(response)

    def close(self) -> None:
        """Close the connection pool."""
        self._client.close()
