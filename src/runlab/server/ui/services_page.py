"""The web UI's services page: each web service's state, scoring URI, the model versions it
serves (linked to their runs) and the end of its log."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from runlab.errors import RunlabError
from runlab.server.ui._auth import check_reader
from runlab.server.ui._render import render
from runlab.serving import Webservice

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
LOG_LINES = 20


def _service_view(service: Webservice) -> dict[str, Any]:
    record = service.workspace.store.get_service(service.name)
    models = []
    for model_id in record.models:
        name, _, version = model_id.partition(":")
        try:
            run_id = service.workspace.store.get_model_version(name, int(version)).run_id
        except RunlabError:  # a version deleted since it was deployed: show the id alone
            run_id = None
        models.append({"id": model_id, "run_id": run_id})
    return {
        "name": record.name,
        "kind": record.kind,
        "state": service.state,
        "scoring_uri": record.details.get("scoring_uri"),
        "swagger_uri": record.details.get("swagger_uri"),
        "models": models,
        "restarts": record.details.get("restarts", 0),
        "error": record.details.get("error"),
        "updated_time": record.updated_time,
        "log_tail": service.get_logs(num_lines=LOG_LINES),
    }


@router.get("/services")
def services_page(request: Request) -> Response:
    """The workspace's web services."""
    if (answer := check_reader(request)) is not None:
        return answer
    workspace = request.app.state.workspace
    services = [_service_view(service) for service in Webservice.list(workspace)]
    return render("services.html", {"services": services})
