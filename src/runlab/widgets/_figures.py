"""The live charts of ``RunDetails``: a plotly ``FigureWidget`` per numeric metric, with
labelled axes, zoom and a hover label (step and value to a sensible precision), updated in
place as points arrive. (The static snapshot a stopped widget leaves draws SVG instead: it
needs no script, so GitHub shows it too.)"""

from __future__ import annotations

import html
import math
from typing import Any

__all__ = ["MAX_LIVE_POINTS", "import_figures", "metric_figure", "set_points"]

MAX_LIVE_POINTS = 5000
"""Most points a live chart is sent per metric; longer series keep every n-th and the last."""

_WIDTH, _HEIGHT = 380, 240


def import_figures() -> Any:
    """plotly's ``graph_objects``, checked to have ``FigureWidget`` working.

    Raises:
        ImportError: plotly (6 or later) or anywidget is missing, saying what to install.
    """
    try:
        import anywidget  # noqa: F401
        import plotly.graph_objects as go  # type: ignore[import-untyped]
    except ImportError as error:
        raise ImportError(
            "RunDetails draws its charts with plotly's FigureWidget, which needs plotly>=6 "
            "and anywidget: pip install 'runlab[notebook]'"
        ) from error
    return go


def _thinned(steps: list[int], values: list[float | None]) -> tuple[list[int], list[float]]:
    points = [(step, value) for step, value in zip(steps, values, strict=True) if value is not None]
    if len(points) > MAX_LIVE_POINTS:
        stride = math.ceil(len(points) / MAX_LIVE_POINTS)
        points = points[::stride] + ([points[-1]] if (len(points) - 1) % stride else [])
    return [step for step, _ in points], [value for _, value in points]


def metric_figure(name: str, steps: list[int], values: list[float | None]) -> Any:
    """A ``FigureWidget`` charting ``values`` by step, titled ``name``, axes labelled."""
    go = import_figures()
    xs, ys = _thinned(steps, values)
    figure = go.FigureWidget(
        data=[
            go.Scatter(
                x=xs,
                y=ys,
                name=html.escape(name),
                mode="lines+markers",
                marker={"size": 4},
                hovertemplate="step %{x}<br>%{fullData.name} %{y:.6g}<extra></extra>",
            )
        ]
    )
    figure.update_layout(
        title={"text": html.escape(name), "font": {"size": 13}},
        width=_WIDTH,
        height=_HEIGHT,
        margin={"l": 50, "r": 10, "t": 32, "b": 40},
        xaxis_title="step",
        yaxis={"title": html.escape(name), "tickformat": ".4~g"},
        showlegend=False,
    )
    return figure


def set_points(figure: Any, steps: list[int], values: list[float | None]) -> None:
    """Show ``values`` by step in a figure made by :func:`metric_figure`, when they changed."""
    xs, ys = _thinned(steps, values)
    trace = figure.data[0]
    if list(trace.x or ()) == xs and list(trace.y or ()) == ys:
        return
    with figure.batch_update():
        trace.x = xs
        trace.y = ys
