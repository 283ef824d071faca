"""The live charts of ``RunDetails``: one plotly ``FigureWidget`` holding a chart per numeric
metric (a grid of subplots, each titled, its axes labelled, with zoom and a hover label of
step and value to a sensible precision), updated in place as points arrive.

One figure rather than one per metric: each ``FigureWidget`` sends its own copy of its
front-end code (about 5 MB) to the page. A metric appearing later rebuilds the figure. The
static snapshot a stopped widget leaves draws SVG instead: it needs no script, so GitHub
shows it too.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

__all__ = ["MAX_LIVE_POINTS", "import_figures", "metrics_figure", "set_points"]

MAX_LIVE_POINTS = 5000
"""Most points a live chart is sent per metric; longer series keep every n-th and the last."""

Histories = Mapping[str, tuple[list[int], list[float | None]]]
_COLUMNS = 2
_CELL_WIDTH, _CELL_HEIGHT = 400, 250


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


def metrics_figure(histories: Histories) -> Any:
    """A ``FigureWidget`` with a chart of each metric's values by step, in ``histories``'
    order, two across; x axes titled ``step``."""
    go = import_figures()
    from plotly.subplots import make_subplots  # type: ignore[import-untyped]

    names = list(histories)
    columns = min(len(names), _COLUMNS) or 1
    rows = math.ceil(len(names) / columns) or 1
    figure = make_subplots(
        rows=rows,
        cols=columns,
        subplot_titles=[html.escape(name) for name in names],
        horizontal_spacing=0.12,
        vertical_spacing=min(0.3, 0.6 / rows),
    )
    for index, name in enumerate(names):
        xs, ys = _thinned(*histories[name])
        row, column = divmod(index, columns)
        figure.add_scatter(
            x=xs,
            y=ys,
            name=html.escape(name),
            mode="lines+markers",
            marker={"size": 4},
            hovertemplate="step %{x}<br>%{fullData.name} %{y:.6g}<extra></extra>",
            row=row + 1,
            col=column + 1,
        )
        figure.update_xaxes(title_text="step", row=row + 1, col=column + 1)
    figure.update_yaxes(tickformat=".4~g")
    figure.update_layout(
        width=_CELL_WIDTH * columns,
        height=_CELL_HEIGHT * rows,
        margin={"l": 50, "r": 10, "t": 40, "b": 40},
        showlegend=False,
    )
    # Built whole, then made a widget: its first state already holds every trace.
    return go.FigureWidget(figure)


def set_points(figure: Any, histories: Histories) -> None:
    """Show ``histories`` in a figure :func:`metrics_figure` made for the same names, sending
    only the traces that changed."""
    changed = []
    for trace, (steps, values) in zip(figure.data, histories.values(), strict=True):
        xs, ys = _thinned(steps, values)
        if list(trace.x or ()) != xs or list(trace.y or ()) != ys:
            changed.append((trace, xs, ys))
    if not changed:
        return
    with figure.batch_update():
        for trace, xs, ys in changed:
            trace.x = xs
            trace.y = ys
