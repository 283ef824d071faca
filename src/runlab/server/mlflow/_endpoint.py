"""How an MLflow route is declared: a plain function of the request's values, run in a worker
thread after the token check, its errors answered the MLflow way."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response
from starlette.concurrency import run_in_threadpool

from runlab.artifacts import ArtifactStore
from runlab.errors import RunlabError, ValidationError
from runlab.server.auth import Authenticator, Scope
from runlab.server.mlflow._protocol import answer, answer_error, body_values
from runlab.store import MetadataStore

__all__ = ["Context", "Handler", "check_scope", "endpoint"]


@dataclasses.dataclass(frozen=True)
class Context:
    """What a route works on: the served workspace's stores."""

    workspace: Any
    store: MetadataStore
    artifacts: ArtifactStore


Handler = Callable[[Context, dict[str, Any]], Any]


def context_of(request: Request) -> Context:
    """The stores of the workspace the app serves (read per request)."""
    workspace = request.app.state.workspace
    return Context(workspace, workspace.store, workspace.artifacts)


def check_scope(request: Request, scope: Scope) -> None:
    """Allow the request's token (Bearer, or Basic with the token as password) or raise.

    Raises:
        TokenMissingError: no token, or an unknown one.
        AccessDeniedError: a read token asking to write.
    """
    authenticator: Authenticator = request.app.state.authenticator
    authenticator.check(request.headers.get("authorization"), scope)


def _path_parameters(path: str) -> dict[str, Any] | None:
    """The OpenAPI description of the path's ``{name}`` parameters (the route reads them
    from the request itself, so FastAPI does not describe them)."""
    names = re.findall(r"{(\w+)(?::\w+)?}", path)
    if not names:
        return None
    return {
        "parameters": [
            {"name": name, "in": "path", "required": True, "schema": {"type": "string"}}
            for name in names
        ]
    }


def endpoint(
    router: APIRouter, method: str, path: str, scope: Scope, *, max_bytes: int | None = None
) -> Callable[[Handler], Handler]:
    """Register ``handler(context, values)`` as the route ``method path``.

    ``values`` is the request's JSON object (a GET's query parameters) with the path's
    parameters; what the handler
    returns is the JSON answer (None: ``{}``); its runlab errors become MLflow error answers.
    The handler's docstring describes the route in the OpenAPI document. A body over
    ``max_bytes`` is refused (``INVALID_PARAMETER_VALUE``).
    """

    def register(handler: Handler) -> Handler:
        async def route(request: Request) -> Response:
            try:
                check_scope(request, scope)
                values = await body_values(request) | dict(request.path_params)
                if max_bytes is not None and len(await request.body()) > max_bytes:
                    raise ValidationError(
                        f"{path} takes at most {max_bytes:,} bytes a request: send less at once"
                    )
                content = await run_in_threadpool(handler, context_of(request), values)
            except RunlabError as error:
                return answer_error(error)
            return answer(content)

        route.__name__ = f"mlflow_{handler.__name__}"
        route.__doc__ = handler.__doc__
        router.add_api_route(
            path,
            route,
            methods=[method],
            tags=["mlflow"],
            summary=" ".join(
                (handler.__doc__ or handler.__name__).strip().split("\n\n")[0].split()
            ),
            response_model=None,
            openapi_extra=_path_parameters(path),
        )
        return handler

    return register
