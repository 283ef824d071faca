"""The web UI's pages: server-rendered HTML, one route per page, under ``/ui``.

Each page is whole on arrival; the run and compare pages then draw their charts with
plotly.js, and the run page keeps itself current by polling :mod:`.data`.
"""

from __future__ import annotations

from typing import Annotated
from urllib.parse import parse_qs

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse, Response

from runlab.artifacts import vet_path
from runlab.entities import (
    DRIVER_LOG,
    PARAM_PREFIX,
    SNAPSHOT_ID_KEY,
    RunStatus,
    run_file_key,
    run_prefix,
)
from runlab.server.ui import previews, run_values, views
from runlab.server.ui._auth import COOKIE, check_reader, login_redirect
from runlab.server.ui._render import render
from runlab.store import MetadataStore

__all__ = ["router"]

router = APIRouter(prefix="/ui", include_in_schema=False)


def _store(request: Request) -> MetadataStore:
    store: MetadataStore = request.app.state.workspace.store
    return store


def _names(values: list[str]) -> tuple[str, ...]:
    """Names from repeated and comma-separated query values, in order, without blanks."""
    names = [part.strip() for value in values for part in value.split(",")]
    return tuple(dict.fromkeys(name for name in names if name))


HOME_RUNS = 10
"""How many runs the home page lists as running now, and as failed recently."""


@router.get("/")
def experiments_page(request: Request) -> Response:
    """Every experiment, with its number of runs; what runs now and what failed last,
    across experiments."""
    if (answer := check_reader(request)) is not None:
        return answer
    store = _store(request)
    experiments = [
        {"record": record, "runs": store.count_runs(experiment_name=record.name)}
        for record in store.list_experiments()
    ]
    going_on = [status for status in RunStatus if not status.is_terminal]
    context = {
        "experiments": experiments,
        "workspace": request.app.state.workspace.name,
        "running": store.search_runs(statuses=going_on, limit=HOME_RUNS),
        "failed": store.search_runs(statuses=[RunStatus.FAILED], limit=HOME_RUNS),
    }
    return render("experiments.html", context)


@router.post("/login")
async def login(request: Request) -> Response:
    """The login form's target: check the token, set the cookie, go back."""
    form = parse_qs((await request.body()).decode("utf-8", errors="replace"))
    token = form.get("token", [""])[0].strip()
    return login_redirect(request, token, form.get("next", ["/ui/"])[0])


@router.get("/logout")
def logout() -> Response:
    """Forget the UI's token cookie."""
    answer = RedirectResponse("/ui/", status_code=303)
    answer.delete_cookie(COOKIE, path="/ui")
    return answer


@router.get("/experiments/{name}")
def runs_page(
    request: Request,
    name: str,
    status: str = "",
    tag: str = "",
    filter: str = "",
    sort: str = "created_time desc",
    limit: int = 50,
    offset: int = 0,
    metric: Annotated[list[str] | None, Query()] = None,
    tagcol: Annotated[list[str] | None, Query()] = None,
    chart: str = "",
    param: str = "",
) -> Response:
    """The runs table of an experiment: filtered, sorted and paged in the store; the chosen
    metric of its runs overlaid, and their last values against a parameter."""
    if (answer := check_reader(request)) is not None:
        return answer
    query = views.RunsQuery(
        experiment_name=name,
        status=status,
        tag=tag,
        run_filter=filter,
        order_by=sort,
        limit=limit,
        offset=offset,
        metrics=_names(metric or []),
        tag_columns=_names(tagcol or []),
        chart=chart,
        param=param,
    )
    page = views.runs_page(_store(request), query)
    context = {
        "query": query,
        "page": page,
        "orders": views.RUN_ORDERS,
        "statuses": [status.value for status in RunStatus],
        "param_prefix": PARAM_PREFIX,
    }
    return render("runs.html", context)


def _folders(files: list[str]) -> list[dict[str, object]]:
    """The run's files grouped by folder (the top one first), for the file browser."""
    groups: dict[str, list[dict[str, str]]] = {}
    for name in files:
        folder, _, base = name.rpartition("/")
        groups.setdefault(folder, []).append({"name": name, "base": base})
    return [{"folder": folder, "files": groups[folder]} for folder in sorted(groups)]


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: str) -> Response:
    """One run: details, parameters, tags, properties, error, every kind of logged value,
    live charts and log tail, a file browser, child runs."""
    if (answer := check_reader(request)) is not None:
        return answer
    store = _store(request)
    record = store.get_run(run_id)
    artifacts = request.app.state.workspace.artifacts
    root = run_prefix(run_id)
    files = [key[len(root) :] for key in artifacts.list_files(root.rstrip("/"))]
    children = store.search_runs(parent_run_id=run_id, order_by="created_time asc")
    snapshot_id = record.properties.get(SNAPSHOT_ID_KEY)
    context = {
        "record": record,
        "duration": views.format_duration(record.duration()),
        "files": files,
        "folders": _folders(files),
        "children": children,
        "snapshot_id": snapshot_id,
        "parameters": run_values.parameters_of(record),
        "driver_log": DRIVER_LOG,
        "has_log": DRIVER_LOG in files,
        "submitted": snapshot_id is not None,
        "param_prefix": PARAM_PREFIX,
    }
    return render("run.html", context)


@router.get("/runs/{run_id}/preview/{name:path}")
def preview_page(request: Request, run_id: str, name: str) -> Response:
    """A look at one of the run's files: text, a table, an image; never run
    (:mod:`.previews`)."""
    if (answer := check_reader(request)) is not None:
        return answer
    record = _store(request).get_run(run_id)
    key = run_file_key(run_id, vet_path(name))
    shown = previews.preview(request.app.state.workspace.artifacts, key, name)
    context = {"record": record, "preview": shown, "limit": previews.PREVIEW_BYTES}
    return render("preview.html", context)


@router.get("/compare")
def compare_page(
    request: Request,
    run: Annotated[list[str] | None, Query()] = None,
    metric: str | None = None,
    param: str | None = None,
) -> Response:
    """Runs side by side: a metric against step, and against a parameter."""
    if (answer := check_reader(request)) is not None:
        return answer
    run_ids = list(_names(run or []))
    data = views.compare_data(_store(request), run_ids, metric, param)
    context = {"data": data, "run_ids": run_ids, "param_prefix": PARAM_PREFIX}
    return render("compare.html", context)


@router.get("/models")
def models_page(request: Request) -> Response:
    """Every registered model version, with its tags and the run it came from."""
    if (answer := check_reader(request)) is not None:
        return answer
    return render("models.html", {"models": _store(request).search_model_versions()})


@router.get("/compute")
def compute_page(request: Request) -> Response:
    """The workspace's compute targets, with what their records say of state and nodes."""
    if (answer := check_reader(request)) is not None:
        return answer
    return render("compute.html", {"targets": _store(request).list_compute_targets()})


@router.get("/datastores")
def datastores_page(request: Request) -> Response:
    """The workspace's datastores (secret options show only as marked)."""
    if (answer := check_reader(request)) is not None:
        return answer
    return render("datastores.html", {"datastores": _store(request).list_datastores()})
