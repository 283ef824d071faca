"""What every MLflow route shares: MLflow's error answers, reading a request as the client
sends it, and the wire's values (ids as strings, times in milliseconds, NaN as ``"NaN"``).

MLflow's client reads an error from ``{"error_code": ..., "message": ...}`` and retries 5xx
and 429 answers for minutes, so every deterministic error here is a 4xx with MLflow's code.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response

from runlab.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    BackendError,
    InvalidStateError,
    NotFoundError,
    RunlabError,
    ValidationError,
)
from runlab.server.auth import TokenMissingError

__all__ = [
    "NotServedError",
    "answer",
    "answer_error",
    "as_key_values",
    "body_values",
    "error_answer",
    "from_ms",
    "key_values",
    "max_results",
    "name_matches",
    "number_from_wire",
    "number_to_wire",
    "page_token",
    "read_page_token",
    "required",
    "simple_filter",
    "to_ms",
]

logger = logging.getLogger("runlab.server.mlflow")


class NotServedError(RunlabError):
    """A part of MLflow's API runlab does not serve: 501 ``NOT_IMPLEMENTED``."""


#: runlab error class -> (MLflow error code, HTTP status); the most specific class wins.
MLFLOW_CODES: dict[type[RunlabError], tuple[str, int]] = {
    TokenMissingError: ("UNAUTHENTICATED", 401),
    AccessDeniedError: ("PERMISSION_DENIED", 403),
    NotFoundError: ("RESOURCE_DOES_NOT_EXIST", 404),
    AlreadyExistsError: ("RESOURCE_ALREADY_EXISTS", 400),
    InvalidStateError: ("INVALID_STATE", 400),
    ValidationError: ("INVALID_PARAMETER_VALUE", 400),
    NotServedError: ("NOT_IMPLEMENTED", 501),
    BackendError: ("TEMPORARILY_UNAVAILABLE", 503),
    RunlabError: ("INTERNAL_ERROR", 500),
}


def error_answer(code: str, status: int, message: str) -> JSONResponse:
    """An MLflow error answer: ``{"error_code": code, "message": message}``."""
    headers = {"WWW-Authenticate": 'Bearer, Basic realm="runlab"'} if status == 401 else None
    return JSONResponse(
        {"error_code": code, "message": message}, status_code=status, headers=headers
    )


def answer_error(error: Exception) -> Response:
    """The MLflow answer of a runlab error or a malformed request; re-raises anything else."""
    if isinstance(error, RequestValidationError):
        problems = "; ".join(
            f"{'.'.join(str(part) for part in problem.get('loc', ()))}: {problem.get('msg')}"
            for problem in error.errors()[:5]
        )
        return error_answer("INVALID_PARAMETER_VALUE", 400, f"malformed request: {problems}")
    if isinstance(error, RunlabError):
        code, status = next(MLFLOW_CODES[cls] for cls in type(error).__mro__ if cls in MLFLOW_CODES)
        if status >= 500:
            logger.error("%s: %s", code, error.message)
        return error_answer(code, status, error.message)
    raise error


def answer(content: Any = None, status_code: int = 200) -> Response:
    """A JSON answer (``{}`` for None), never with bare NaN or infinities."""
    body = json.dumps({} if content is None else content, allow_nan=False, separators=(",", ":"))
    return Response(body, status_code=status_code, media_type="application/json")


def to_ms(seconds: float | None) -> int | None:
    """Seconds since the epoch as integer milliseconds (None stays None)."""
    return None if seconds is None else round(seconds * 1000)


def from_ms(milliseconds: Any, what: str) -> float:
    """Integer milliseconds (as a number or a string) as seconds.

    Raises:
        ValidationError: not a number.
    """
    try:
        return float(milliseconds) / 1000.0
    except (TypeError, ValueError):
        raise ValidationError(
            f"{what} is milliseconds since the epoch, not {milliseconds!r}"
        ) from None


_SPECIAL = {"nan": math.nan, "infinity": math.inf, "inf": math.inf, "-infinity": -math.inf}


def number_from_wire(value: Any, what: str) -> float:
    """A metric value as the client sends it: a number, or ``"NaN"``, ``"Infinity"``,
    ``"-Infinity"``.

    Raises:
        ValidationError: anything else.
    """
    if isinstance(value, bool):
        raise ValidationError(f"{what} must be a number, not {value!r}")
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        special = _SPECIAL.get(value.strip().lower())
        if special is not None:
            return special
        try:
            return float(value)
        except ValueError:
            pass
    raise ValidationError(
        f"{what} must be a number, 'NaN', 'Infinity' or '-Infinity', not {value!r}"
    )


def number_to_wire(value: Any) -> float | str:
    """A metric value for the client: NaN and infinities as strings; a value that is not a
    number (runlab also logs strings and lists) as NaN."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return "NaN"
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "Infinity" if value > 0 else "-Infinity"
    return float(value)


def key_values(items: Any, what: str) -> dict[str, str]:
    """``[{"key": k, "value": v}, ...]`` as a dict of strings.

    Raises:
        ValidationError: not such a list.
    """
    if items is None:
        return {}
    if not isinstance(items, list):
        raise ValidationError(f"{what} must be a list of {{key, value}} objects")
    found: dict[str, str] = {}
    for item in items:
        if not isinstance(item, dict) or not isinstance(item.get("key"), str):
            raise ValidationError(f"each of {what} needs a string 'key', not {item!r}")
        value = item.get("value", "")
        found[item["key"]] = value if isinstance(value, str) else json.dumps(value)
    return found


def as_key_values(labels: Mapping[str, str]) -> list[dict[str, str]]:
    """A dict as ``[{"key": k, "value": v}, ...]``, sorted by key."""
    return [{"key": key, "value": value} for key, value in sorted(labels.items())]


def page_token(offset: int) -> str:
    """The opaque token of the page that starts at ``offset``."""
    return base64.urlsafe_b64encode(json.dumps({"offset": offset}).encode()).decode()


def read_page_token(token: str | None) -> int:
    """The offset a page token stands for (0 without a token).

    Raises:
        ValidationError: a token this server did not make.
    """
    if not token:
        return 0
    try:
        offset = json.loads(base64.urlsafe_b64decode(token.encode()))["offset"]
    except (binascii.Error, ValueError, KeyError, TypeError):
        raise ValidationError(f"invalid page token {token!r}") from None
    if not isinstance(offset, int) or offset < 0:
        raise ValidationError(f"invalid page token {token!r}")
    return offset


_CLAUSE = re.compile(
    r"""^\s*(?:attributes\.)?(\w+)\s*(=|LIKE|ILIKE)\s*(?:'([^']*)'|"([^"]*)")\s*$""", re.I
)


def simple_filter(text: str | None) -> dict[str, tuple[str, str]]:
    """``{key: (operator, value)}`` of a registry or logged-model filter: ``key = 'v'``,
    ``key LIKE 'v'`` or ``key ILIKE 'v'`` clauses joined by AND.

    Raises:
        ValidationError: a clause of another form.
    """
    found: dict[str, tuple[str, str]] = {}
    if not text or not text.strip():
        return found
    for clause in re.split(r"\s+AND\s+", text.strip(), flags=re.I):
        match = _CLAUSE.match(clause)
        if match is None:
            raise ValidationError(
                f"runlab filters models by clauses such as name = '...' or name LIKE"
                f" '...' joined by AND, not {clause!r}"
            )
        value = match.group(3) if match.group(3) is not None else match.group(4)
        found[match.group(1).lower()] = (match.group(2).upper(), value)
    return found


def name_matches(name: str, condition: tuple[str, str] | None) -> bool:
    """Whether ``name`` meets a condition of :func:`simple_filter` (None: any name)."""
    if condition is None:
        return True
    operator, wanted = condition
    if operator == "=":
        return name == wanted
    pattern = re.escape(wanted).replace("%", ".*").replace("_", ".")
    return re.fullmatch(pattern, name, re.IGNORECASE if operator == "ILIKE" else 0) is not None


def max_results(value: Any, default: int, limit: int) -> int:
    """A request's ``max_results``: ``default`` when absent, at most ``limit``.

    Raises:
        ValidationError: not a positive int, or over ``limit``.
    """
    if value is None or value == "":
        return default
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise ValidationError(f"max_results must be an integer, not {value!r}") from None
    if number < 1 or number > limit:
        raise ValidationError(f"max_results must be between 1 and {limit}, not {number}")
    return number


def query_values(request: Request) -> dict[str, Any]:
    """A GET request's parameters as the client sends them: repeated keys become lists."""
    values: dict[str, Any] = {}
    for key in request.query_params:
        found: Sequence[str] = request.query_params.getlist(key)
        values[key] = found[0] if len(found) == 1 else list(found)
    return values


async def body_values(request: Request) -> dict[str, Any]:
    """A request's JSON object (GET: its query parameters).

    Raises:
        ValidationError: the body is not a JSON object.
    """
    if request.method == "GET":
        return query_values(request)
    raw = await request.body()
    if not raw.strip():
        return query_values(request)
    try:
        content = json.loads(raw)
    except ValueError as error:
        raise ValidationError(f"the request body is not JSON: {error}") from None
    if not isinstance(content, dict):
        raise ValidationError("the request body must be a JSON object")
    return content


def required(values: Mapping[str, Any], key: str) -> str:
    """The string ``key`` of a request.

    Raises:
        ValidationError: missing or empty (MLflow's ``Missing value for required parameter``).
    """
    value = values.get(key)
    if value is None or value == "":
        raise ValidationError(f"Missing value for required parameter '{key}'")
    return str(value)
