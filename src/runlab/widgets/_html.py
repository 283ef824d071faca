"""The HTML of ``RunDetails``: values to a sensible precision, charts as SVG with axes and a
hover title on each point (no script, so they show in a saved notebook on GitHub or
nbviewer), tables of tags, parameters and properties, and the whole static snapshot a
stopped widget leaves in the notebook's output."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

from runlab.widgets._snapshot import RunSnapshot, format_duration

__all__ = ["chart_svg", "charts_html", "format_value", "pairs_html", "static_html"]

CHART_WIDTH = 360
CHART_HEIGHT = 150
MAX_CHART_POINTS = 400
_LEFT, _BOTTOM, _PAD = 48, 22, 6


def format_value(value: Any) -> str:
    """A logged value for people: floats to 6 significant digits (scientific when tiny or
    huge), everything else as logged."""
    if isinstance(value, float) and not isinstance(value, bool):
        if not math.isfinite(value):
            return str(value)
        return f"{value:.6g}"
    return value if isinstance(value, str) else repr(value)


def _thinned(points: list[tuple[int, float]]) -> list[tuple[int, float]]:
    if len(points) <= MAX_CHART_POINTS:
        return points
    stride = math.ceil(len(points) / MAX_CHART_POINTS)
    return points[::stride] + ([points[-1]] if (len(points) - 1) % stride else [])


def chart_svg(name: str, steps: list[int], values: list[float | None]) -> str:
    """An SVG line chart of ``values`` by step, with its axes' ranges labelled and a hover
    title (step and value) on each point drawn."""
    points = _thinned([(s, v) for s, v in zip(steps, values, strict=True) if v is not None])
    if not points:
        return ""
    low_x, high_x = points[0][0], points[-1][0]
    low_y, high_y = min(v for _, v in points), max(v for _, v in points)
    span_x, span_y = (high_x - low_x) or 1, (high_y - low_y) or 1.0
    plot_w, plot_h = CHART_WIDTH - _LEFT - _PAD, CHART_HEIGHT - _BOTTOM - _PAD

    def xy(step: int, value: float) -> tuple[float, float]:
        return (
            _LEFT + (step - low_x) / span_x * plot_w,
            _PAD + plot_h - (value - low_y) / span_y * plot_h,
        )

    line = " ".join("{:.1f},{:.1f}".format(*xy(s, v)) for s, v in points)
    dots = "".join(
        '<circle cx="{:.1f}" cy="{:.1f}" r="2.5" fill="#1f77b4"><title>'.format(*xy(s, v))
        + html.escape(f"{name} step {s}: {format_value(v)}")
        + "</title></circle>"
        for s, v in points
    )
    axis = f"M{_LEFT},{_PAD} V{_PAD + plot_h} H{_LEFT + plot_w}"
    text = 'font-size="10" fill="#555" font-family="sans-serif"'
    labels = (
        f'<text x="{_LEFT - 4}" y="{_PAD + 8}" text-anchor="end" {text}>'
        f"{html.escape(format_value(high_y))}</text>"
        f'<text x="{_LEFT - 4}" y="{_PAD + plot_h}" text-anchor="end" {text}>'
        f"{html.escape(format_value(low_y))}</text>"
        f'<text x="{_LEFT}" y="{CHART_HEIGHT - 6}" {text}>{low_x}</text>'
        f'<text x="{_LEFT + plot_w}" y="{CHART_HEIGHT - 6}" text-anchor="end" {text}>'
        f"{high_x}</text>"
        f'<text x="{_LEFT + plot_w / 2:.0f}" y="{CHART_HEIGHT - 6}" text-anchor="middle"'
        f" {text}>step</text>"
    )
    return (
        f'<svg width="{CHART_WIDTH}" height="{CHART_HEIGHT}" role="img"'
        f' aria-label="{html.escape(name)} by step">'
        f'<path d="{axis}" stroke="#999" fill="none"/>{labels}'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{line}"/>{dots}'
        "</svg>"
    )


def charts_html(snapshot: RunSnapshot) -> str:
    """A chart per numeric metric, side by side."""
    return (
        '<div style="display:flex;flex-wrap:wrap;gap:8px">'
        + "".join(
            f"<div><b>{html.escape(name)}</b><br>{chart_svg(name, steps, values)}</div>"
            for name, (steps, values) in snapshot.metrics.items()
        )
        + "</div>"
    )


def pairs_html(title: str, pairs: Mapping[str, Any]) -> str:
    """A titled two-column table, or nothing when there is nothing in it."""
    if not pairs:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(str(key))}</td><td>{html.escape(format_value(value))}</td></tr>"
        for key, value in pairs.items()
    )
    return f'<div class="runlab-{title.lower()}"><b>{title}</b><table>{rows}</table></div>'


def metrics_html(snapshot: RunSnapshot) -> str:
    """The last value of every metric and its number of points."""
    if not snapshot.last_values:
        return "<p><i>No metrics yet.</i></p>"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(format_value(value))}</td>"
        f"<td>{len(snapshot.metrics[name][0]) if name in snapshot.metrics else 1}</td></tr>"
        for name, value in snapshot.last_values.items()
    )
    return f"<table><tr><th>metric</th><th>last value</th><th>points</th></tr>{rows}</table>"


def children_html(snapshot: RunSnapshot) -> str:
    """The child runs as a table."""
    if not snapshot.children:
        return ""
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(run_id)}</td>"
        f"<td>{html.escape(status)}</td></tr>"
        for run_id, name, status in snapshot.children
    )
    return (
        '<div class="runlab-children"><b>Child runs</b><table>'
        f"<tr><th>name</th><th>run id</th><th>status</th></tr>{rows}</table></div>"
    )


def header_html(snapshot: RunSnapshot, ui_url: str | None) -> str:
    """The run's name, state and duration, and a link to its page in the web UI."""
    link = (
        f' &middot; <a href="{html.escape(ui_url)}" target="_blank">open in the web UI</a>'
        if ui_url
        else ""
    )
    return (
        f"<b>{html.escape(snapshot.display_name)}</b> &middot; "
        f"<b>{html.escape(snapshot.status)}</b> &middot; "
        f"{format_duration(snapshot.duration_s)}{link}"
    )


def info_html(snapshot: RunSnapshot) -> str:
    """Tags, parameters and properties, side by side."""
    parts = [
        pairs_html("Parameters", snapshot.parameters),
        pairs_html("Tags", snapshot.tags),
        pairs_html("Properties", snapshot.properties),
    ]
    return '<div style="display:flex;flex-wrap:wrap;gap:24px">' + "".join(parts) + "</div>"


def static_html(snapshot: RunSnapshot, ui_url: str | None = None) -> str:
    """The whole view as HTML without a script: what a stopped widget leaves in the output."""
    log = (
        f'<b>Log</b><pre style="max-height:16em;overflow:auto">{html.escape(snapshot.log_tail)}'
        "</pre>"
        if snapshot.log_tail
        else ""
    )
    return (
        f'<div class="runlab-run" data-run-id="{html.escape(snapshot.run_id)}"'
        f' data-status="{html.escape(snapshot.status)}">'
        f"{header_html(snapshot, ui_url)}{info_html(snapshot)}{metrics_html(snapshot)}"
        f"{charts_html(snapshot)}{children_html(snapshot)}{log}</div>"
    )
