"""The web UI's sweep page, ``/ui/sweeps/{run_id}``: a sweep's trials ranked by the primary
metric, the metric of every trial over time, and a parallel-coordinates chart of the
parameters against the metric; the best trial and the trials a policy stopped are marked."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from runlab.server.ui._auth import check_reader
from runlab.server.ui._render import render
from runlab.sweeps import HyperDriveRun
from runlab.sweeps.report import sweep_report
from runlab.tracking import Run

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/sweeps/{run_id}")
def sweep_page(request: Request, run_id: str) -> Response:
    """One sweep (NotFoundError for an unknown run, ValidationError for a run that is not a
    sweep, answered by the server's error table)."""
    if (answer := check_reader(request)) is not None:
        return answer
    run = Run.get(request.app.state.workspace, run_id)
    sweep = HyperDriveRun(run.experiment, run.id)
    return render("sweep.html", {"report": sweep_report(sweep), "settings": sweep.settings})
