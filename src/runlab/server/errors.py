"""The one table that decides the HTTP status of each runlab error, and the handlers that
answer with it.

Every error answer is ``{"error": <class name>, "message": <one line>}``, the name that of the
nearest class of :mod:`runlab.errors` (:data:`runlab.errors.ERROR_CLASSES`); the REST client
(:func:`runlab.store._http.error_from_response`) raises that class again with the message. A
server-only class (``TokenMissingError``, ``PayloadTooLargeError``) has its own status here and
travels by the name of the runlab error it derives from. The message is the error's own: it
never holds a request header, so never a token.
"""

from __future__ import annotations

import logging

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from runlab.errors import (
    ERROR_CLASSES,
    AccessDeniedError,
    AlreadyExistsError,
    BackendError,
    DeploymentFailedError,
    InvalidStateError,
    JobFailedError,
    NotFoundError,
    RunlabError,
    ValidationError,
)
from runlab.server.auth import TokenMissingError

__all__ = [
    "ERROR_STATUSES",
    "PayloadTooLargeError",
    "TokenMissingError",
    "error_answer",
    "install_error_handlers",
    "status_of",
]

logger = logging.getLogger("runlab.server")


class PayloadTooLargeError(ValidationError):
    """A request body over the server's limit: 413 rather than 422."""


#: runlab error class -> HTTP status; the most specific class that matches wins.
ERROR_STATUSES: dict[type[RunlabError], int] = {
    TokenMissingError: 401,
    AccessDeniedError: 403,
    PayloadTooLargeError: 413,
    ValidationError: 422,
    NotFoundError: 404,
    AlreadyExistsError: 409,
    InvalidStateError: 409,
    JobFailedError: 409,
    DeploymentFailedError: 409,
    BackendError: 503,
    RunlabError: 500,
}


def status_of(error: RunlabError) -> tuple[int, str]:
    """The HTTP status of ``error`` and the name of the class the client raises again.

    The status is that of the most specific class of ``error`` in :data:`ERROR_STATUSES`; the
    name that of its most specific class in :mod:`runlab.errors`, which the client knows.
    """
    classes = type(error).__mro__
    status = next((ERROR_STATUSES[cls] for cls in classes if cls in ERROR_STATUSES), 500)
    known = set(ERROR_CLASSES.values())
    name = next((cls.__name__ for cls in classes if cls in known), RunlabError.__name__)
    return status, name


def error_answer(status: int, name: str, message: str) -> JSONResponse:
    """The JSON answer of an error: ``{"error": name, "message": message}`` with ``status``."""
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    return JSONResponse({"error": name, "message": message}, status_code=status, headers=headers)


async def _runlab_error(_request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, RunlabError):  # registered for it only
        raise error
    status, name = status_of(error)
    if status >= 500:
        logger.error("%s: %s", name, error.message)
    return error_answer(status, name, error.message)


async def _request_invalid(_request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, RequestValidationError):  # registered for it only
        raise error
    problems = "; ".join(
        f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg')}"
        for problem in error.errors()[:5]
    )
    return error_answer(422, "ValidationError", f"malformed request: {problems}")


async def _http_error(_request: Request, error: Exception) -> JSONResponse:
    if not isinstance(error, StarletteHTTPException):  # registered for it only
        raise error
    # Starlette's own answers: no such route, or a request it cannot take.
    if error.status_code == 404:
        name = NotFoundError.__name__
    elif 400 <= error.status_code < 500:
        name = ValidationError.__name__
    else:
        name = RunlabError.__name__
    return error_answer(error.status_code, name, str(error.detail))


def install_error_handlers(app: FastAPI) -> None:
    """Make ``app`` answer every runlab error, and malformed requests, by the table."""
    app.add_exception_handler(RunlabError, _runlab_error)
    app.add_exception_handler(RequestValidationError, _request_invalid)
    app.add_exception_handler(StarletteHTTPException, _http_error)
