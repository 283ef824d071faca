"""The web UI's lineage and dataset pages: a run's lineage (shown on its page), two runs'
diff (on the compare page), a model version's lineage, and the datasets with their versions
and the runs that read each."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from runlab.entities.run_layout import DATASET_READ_PREFIX
from runlab.server.ui._auth import check_reader
from runlab.server.ui._render import render
from runlab.tracking.lineage import model_lineage, run_lineage
from runlab.tracking.run_diff import diff_runs

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)


@router.get("/runs/{run_id}/lineage")
def run_lineage_fragment(request: Request, run_id: str) -> Response:
    """A run's lineage as an HTML fragment (the run page loads it into its Lineage section)."""
    if (answer := check_reader(request)) is not None:
        return answer
    lineage = run_lineage(request.app.state.workspace, run_id)
    return render("_lineage.html", {"lineage": lineage})


@router.get("/diff")
def diff_fragment(request: Request, a: str, b: str) -> Response:
    """How run ``b`` differs from run ``a``, as an HTML fragment (for the compare page)."""
    if (answer := check_reader(request)) is not None:
        return answer
    return render("_diff.html", {"diff": diff_runs(request.app.state.workspace, a, b)})


@router.get("/models/{name}/versions/{version}/lineage")
def model_lineage_page(request: Request, name: str, version: int) -> Response:
    """A model version: the run, code, environment and data it came from."""
    if (answer := check_reader(request)) is not None:
        return answer
    lineage = model_lineage(request.app.state.workspace, name, version)
    return render("model_lineage.html", {"model": lineage})


@router.get("/datasets")
def datasets_page(request: Request) -> Response:
    """Every dataset, its latest version."""
    if (answer := check_reader(request)) is not None:
        return answer
    records = request.app.state.workspace.store.list_dataset_versions()
    return render("datasets.html", {"datasets": records})


@router.get("/datasets/{name}/versions/{version}")
def dataset_page(request: Request, name: str, version: int) -> Response:
    """A dataset version: its sources, pinned files, other versions, and the runs that read
    it."""
    if (answer := check_reader(request)) is not None:
        return answer
    store = request.app.state.workspace.store
    record = store.get_dataset_version(name, version)
    context = {
        "dataset": record,
        "versions": [other.version for other in store.list_dataset_versions(name)],
        "readers": store.search_runs(properties={DATASET_READ_PREFIX + record.id: None}),
        "total_bytes": sum(int(item["size"]) for item in record.files),
    }
    return render("dataset.html", context)
