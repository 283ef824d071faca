"""The MLflow REST API on the runlab server: MLflow's clients log to runlab.

With ``MLFLOW_TRACKING_URI=http://host:8765`` (and ``MLFLOW_TRACKING_TOKEN`` set to a runlab
token), code that logs with ``mlflow`` (autologging included) writes runlab runs: MLflow's
experiments, runs, parameters, tags, metrics, artifacts, logged models and registered models
are runlab's (see docs/mlflow.md). Routes live under ``/api/2.0/mlflow/`` and
``/api/2.0/mlflow-artifacts/``; what is not served (GenAI traces, evaluation datasets, prompts,
the gateway: also everything under ``/api/3.0/mlflow/``) answers MLflow's
``ENDPOINT_NOT_FOUND`` (404).
"""

from __future__ import annotations

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import Response

from runlab.server.mlflow import artifacts, experiments, logged_models, registry, runs
from runlab.server.mlflow._protocol import error_answer

__all__ = ["install_mlflow"]

_MOUNTS = ("/api/2.0/mlflow", "/api/3.0/mlflow")


async def _not_served(request: Request) -> Response:
    """Anything else under MLflow's prefixes: ``ENDPOINT_NOT_FOUND``, so the client's
    fallbacks (tracing, ...) only warn."""
    return error_answer(
        "ENDPOINT_NOT_FOUND",
        404,
        f"runlab does not serve {request.method} {request.url.path} (see docs/mlflow.md for"
        " what runlab serves of MLflow's API)",
    )


def install_mlflow(app: FastAPI) -> None:
    """Serve MLflow's REST API on ``app``."""
    for module in (experiments, runs, logged_models, registry, artifacts):
        app.include_router(module.router)
    catch_all = APIRouter(include_in_schema=False)
    for mount in (*_MOUNTS, "/api/2.0/mlflow-artifacts"):
        catch_all.add_api_route(
            mount + "/{rest:path}",
            _not_served,
            methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
        )
    app.include_router(catch_all)
