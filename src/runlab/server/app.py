"""The runlab server's FastAPI application: the REST API over one workspace."""

from __future__ import annotations

import importlib.util
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from fastapi import FastAPI, Request, Response

import runlab
from runlab.server import (
    routes_artifacts,
    routes_datasets,
    routes_environments,
    routes_registered_models,
    routes_registry,
    routes_runs,
    routes_services,
    routes_tokens,
)
from runlab.server.auth import Authenticator, TokenStore
from runlab.server.errors import (
    PayloadTooLargeError,
    error_answer,
    install_error_handlers,
    status_of,
)
from runlab.server.mlflow import install_mlflow

if TYPE_CHECKING:
    from runlab.tracking import Workspace

__all__ = ["MAX_JSON_BYTES", "create_app"]

MAX_JSON_BYTES = 64 * 1024**2
"""The largest JSON body a request may declare (files have their own limit); larger: 413."""


def create_app(
    workspace: Workspace,
    tokens: TokenStore | None = None,
    *,
    require_token: bool = False,
) -> FastAPI:
    """The server's app over ``workspace``: ``/api/...`` (described at ``/docs`` and
    ``/openapi.json``) and, when Jinja2 is installed, the web UI at ``/ui``.

    The workspace is kept in ``app.state.workspace`` and read per request. Requests are
    checked by an :class:`~runlab.server.auth.Authenticator`: with no token in ``tokens``
    and ``require_token`` false the server is open (for loopback); otherwise every request
    needs a bearer token, and a write token to change anything.

    Args:
        workspace: the workspace to serve (a local one: SQL store, fsspec artifacts).
        tokens: the workspace's tokens (``.runlab/tokens.json``), or None for none.
        require_token: refuse requests without a valid token even while none exists.

    Example:
        >>> app = create_app(Workspace.from_config())  # doctest: +SKIP
        >>> uvicorn.run(app, host="127.0.0.1", port=8765)  # doctest: +SKIP
    """
    app = FastAPI(
        title="runlab",
        version=runlab.__version__,
        description="Experiments, runs, metrics, models, datastores, compute and files of"
        " one runlab workspace.",
    )
    app.state.workspace = workspace
    app.state.authenticator = Authenticator(tokens, required=require_token)
    install_error_handlers(app)

    @app.middleware("http")
    async def refuse_huge_bodies(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        declared = request.headers.get("content-length", "0")
        is_file = request.url.path.startswith(("/api/artifacts/", "/api/2.0/mlflow-artifacts/"))
        if not is_file and (not declared.isdigit() or int(declared) > MAX_JSON_BYTES):
            error = PayloadTooLargeError(f"request bodies are limited to {MAX_JSON_BYTES} bytes")
            return error_answer(*status_of(error), error.message)
        return await call_next(request)

    app.include_router(routes_runs.router)
    app.include_router(routes_registry.router)
    app.include_router(routes_artifacts.router)
    app.include_router(routes_environments.router)
    app.include_router(routes_datasets.router)
    app.include_router(routes_services.router)
    app.include_router(routes_registered_models.router)
    install_mlflow(app)
    app.include_router(routes_tokens.router)
    if importlib.util.find_spec("jinja2") is not None:
        # The web UI needs Jinja2; without it the server still serves the API.
        from runlab.server.ui import install_ui

        install_ui(app)
    return app
