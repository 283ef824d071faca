"""The small JSON answers the UI's pages poll, file downloads, and the UI's static files.

plotly.js is served from the installed ``plotly`` package (``package_data/plotly.min.js``),
never copied into runlab; without plotly the charts say so and the rest of the UI works.
"""

from __future__ import annotations

import contextlib
import importlib.util
import json
import mimetypes
import os
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import FileResponse, Response

from runlab.artifacts import vet_path
from runlab.entities import DRIVER_LOG, RunRecord, run_file_key
from runlab.errors import NotFoundError, ValidationError
from runlab.server._deps import ok
from runlab.server._streaming import stream_file
from runlab.server.ui import previews, run_values, series, views
from runlab.server.ui._auth import check_reader, check_reader_json
from runlab.server.ui._render import SAFE_HEADERS
from runlab.store import MetadataStore
from runlab.tracking.monitoring import read_log_from

__all__ = ["LOG_TAIL_BYTES", "plotly_js_path", "router"]

router = APIRouter(prefix="/ui", include_in_schema=False)
READER = [Depends(check_reader_json)]
LOG_TAIL_BYTES = 64 * 1024
"""How much of a log the run page shows when it opens (it then follows the rest)."""
STATIC = Path(__file__).parent / "static"


def _store(request: Request) -> MetadataStore:
    store: MetadataStore = request.app.state.workspace.store
    return store


def _state(record: RunRecord) -> dict[str, Any]:
    return {
        "status": record.status.value,
        "terminal": record.status.is_terminal,
        "duration": views.format_duration(record.duration()),
        "ended": views.format_time(record.end_time),
    }


@router.get("/api/runs/{run_id}", dependencies=READER)
def run_state(request: Request, run_id: str) -> Response:
    """The run's state, duration and end: what its page refreshes."""
    return ok(_state(_store(request).get_run(run_id)))


@router.get("/api/run-states", dependencies=READER)
def run_states(request: Request, run: Annotated[list[str] | None, Query()] = None) -> Response:
    """The state of each run named (at most one page of the runs table): what the table
    refreshes while some of its runs go on. Unknown runs are left out."""
    run_ids = list(dict.fromkeys(run or []))
    if len(run_ids) > views.MAX_PAGE:
        raise ValidationError(f"ask for the states of at most {views.MAX_PAGE} runs at once")
    store = _store(request)
    states: dict[str, Any] = {}
    for run_id in run_ids:
        with contextlib.suppress(NotFoundError):
            states[run_id] = _state(store.get_run(run_id))
    return ok(states)


def _after(text: str) -> dict[str, int] | None:
    if not text:
        return None
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if not isinstance(decoded, dict) or not all(
        isinstance(step, int) and not isinstance(step, bool) for step in decoded.values()
    ):
        raise ValidationError('after is a JSON object of metric names and steps: {"loss": 41}')
    return {str(name): step for name, step in decoded.items()}


@router.get("/api/runs/{run_id}/metrics", dependencies=READER)
def run_metrics(
    request: Request,
    run_id: str,
    name: str | None = None,
    points: int = series.DEFAULT_POINTS,
    start: float | None = None,
    end: float | None = None,
    after: str = "",
) -> Response:
    """The run's numeric metrics (or only ``name``), each at most ``points`` points kept by a
    min/max envelope (:func:`.series.series`): ``{name: {"steps", "values", "count",
    "last_step", "sampled"}}``. ``start``/``end`` ask for the steps of a zoomed view;
    ``after`` (JSON ``{name: step}``) for only what a live page has not seen yet."""
    drawn = series.run_series(
        _store(request),
        run_id,
        name=name,
        points=points,
        start=start,
        end=end,
        after=_after(after),
    )
    return ok(drawn)


def _skipped(text: str) -> set[str]:
    if not text:
        return set()
    try:
        decoded = json.loads(text)
    except ValueError:
        decoded = None
    if not isinstance(decoded, list) or not all(isinstance(name, str) for name in decoded):
        raise ValidationError('skip is a JSON list of metric names: ["loss", "accuracy"]')
    return set(decoded)


@router.get("/api/runs/{run_id}/values", dependencies=READER)
def run_logged_values(request: Request, run_id: str, skip: str = "") -> Response:
    """The run's lists, rows, tables, images and text values
    (:func:`.run_values.values_of`). ``skip`` (a JSON list) names the metrics the page
    already charts, whose long histories are then not read."""
    store = _store(request)
    skipped = _skipped(skip)
    histories = {}
    for name in store.get_last_steps(run_id):
        if name not in skipped:
            histories.update(store.get_metric_histories(run_id, name))
    return ok(run_values.values_of(histories))


@router.get("/api/runs/{run_id}/log", dependencies=READER)
def run_log(request: Request, run_id: str, offset: int = -1) -> Response:
    """The run's driver log from byte ``offset`` on (``-1``: its last 64 KiB, from its first
    whole line), and the offset to ask from next time. Only whole lines are sent while the run
    goes on. Only the bytes asked for are read
    (:func:`runlab.tracking.monitoring.read_log_from`)."""
    record = _store(request).get_run(run_id)
    text, next_offset = read_log_from(
        request.app.state.workspace.artifacts,
        run_id,
        DRIVER_LOG,
        -LOG_TAIL_BYTES if offset < 0 else offset,
        ended=record.status.is_terminal,
    )
    return ok({"text": text, "offset": next_offset})


def _file_key(request: Request, run_id: str, name: str) -> str:
    _store(request).get_run(run_id)
    return run_file_key(run_id, vet_path(name))


@router.get("/runs/{run_id}/files/{name:path}")
def download_file(request: Request, run_id: str, name: str) -> Response:
    """The run's file ``name``, as a download (never shown by the browser itself)."""
    if (answer := check_reader(request)) is not None:
        return answer
    key = _file_key(request, run_id, name)
    media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    filename = os.path.basename(name).replace('"', "").replace("\\", "")
    headers = {
        **SAFE_HEADERS,
        "Content-Disposition": f'attachment; filename="{filename}"',
        "Content-Security-Policy": "default-src 'none'; sandbox",
    }
    artifacts = request.app.state.workspace.artifacts
    return stream_file(artifacts, key, media_type=media_type, headers=headers)


@router.get("/runs/{run_id}/images/{name:path}")
def inline_image(request: Request, run_id: str, name: str) -> Response:
    """The run's image ``name`` to show in a page: only raster types
    (:data:`.previews.IMAGE_TYPES`), with their own type, ``nosniff`` and a sandbox."""
    if (answer := check_reader(request)) is not None:
        return answer
    media_type = previews.image_type(name)
    if media_type is None:
        raise ValidationError(
            f"{name!r} is not shown inline (only {', '.join(previews.IMAGE_TYPES)} are):"
            " download it instead"
        )
    key = _file_key(request, run_id, name)
    headers = {
        **SAFE_HEADERS,
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "Cache-Control": "private, max-age=60",
    }
    artifacts = request.app.state.workspace.artifacts
    return stream_file(artifacts, key, media_type=media_type, headers=headers)


def plotly_js_path() -> Path | None:
    """Where the installed plotly package keeps ``plotly.min.js``, or None without plotly
    (found without importing plotly, which is slow to import)."""
    spec = importlib.util.find_spec("plotly")
    if spec is None or not spec.submodule_search_locations:
        return None
    for folder in spec.submodule_search_locations:
        path = Path(folder) / "package_data" / "plotly.min.js"
        if path.is_file():
            return path
    return None


@router.get("/static/plotly.min.js")
def plotly_js() -> Response:
    """plotly.js, from the installed plotly package."""
    path = plotly_js_path()
    if path is None:
        raise NotFoundError("plotly is not installed: pip install plotly to draw the charts")
    return FileResponse(path, media_type="text/javascript", headers=_CACHE)


_CACHE = {"Cache-Control": "public, max-age=3600"}
_STATIC_TYPES = {".js": "text/javascript", ".css": "text/css"}


@router.get("/static/{name}")
def static_file(name: str) -> Response:
    """The UI's own script and style sheet."""
    path = STATIC / name
    if name not in {entry.name for entry in STATIC.iterdir()} or path.suffix not in _STATIC_TYPES:
        raise NotFoundError(f"no static file {name!r}")
    return FileResponse(path, media_type=_STATIC_TYPES[path.suffix])
