"""Long metric histories made small enough to draw, keeping their shape.

A run page asks for each numeric metric at most ``points`` points (a few thousand). A
history longer than that is cut into ``points // 2`` buckets of consecutive steps, and each
bucket keeps its lowest and its highest value, in step order (a min/max envelope): a spike
or a dip of one step still shows, whatever the zoom. Zooming asks again for the steps in
view only, which gives the full resolution once the view holds fewer than ``points``.
Gaps (None) are kept where a bucket holds nothing else.

Example:
    >>> steps, values = downsample(list(range(10)), [float(v % 5) for v in range(10)], 4)
    >>> steps, values
    ([0, 4, 5, 9], [0.0, 4.0, 0.0, 4.0])
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping, Sequence
from typing import Any

from runlab.entities import MetricHistory, numeric_histories
from runlab.store import MetadataStore

__all__ = ["DEFAULT_POINTS", "MAX_POINTS", "downsample", "run_series", "series"]

DEFAULT_POINTS = 2000
"""Points per series the run page asks for: enough for a chart as wide as a screen, twice."""
MAX_POINTS = 20_000
"""The most points per series one answer holds."""


def downsample(
    steps: Sequence[int], values: Sequence[float | None], points: int
) -> tuple[list[int], list[float | None]]:
    """At most ``points`` of ``(steps, values)``: each bucket's lowest and highest value.

    Args:
        steps: the steps, ascending.
        values: the value at each step; None for a gap.
        points: the most points to keep (2 or more).

    Returns:
        The kept steps and values, in step order; the input itself when it is short enough.
    """
    count = len(steps)
    if count <= points:
        return list(steps), list(values)
    buckets = max(1, points // 2)
    kept_steps: list[int] = []
    kept_values: list[float | None] = []
    for bucket in range(buckets):
        start = bucket * count // buckets
        end = (bucket + 1) * count // buckets
        chunk = values[start:end]
        finite = [value for value in chunk if value is not None]
        if not finite:
            kept_steps.append(steps[start])
            kept_values.append(None)
            continue
        low, high = min(finite), max(finite)
        low_at, high_at = chunk.index(low), chunk.index(high)
        for offset in sorted({low_at, high_at}):
            kept_steps.append(steps[start + offset])
            kept_values.append(chunk[offset])
    return kept_steps, kept_values


def _window(steps: list[int], start: float | None, end: float | None) -> tuple[int, int]:
    """The index range of ``steps`` within ``[start, end]``, one point more on each side so
    that a zoomed line runs to the edges of the view."""
    first = 0 if start is None else max(0, bisect.bisect_left(steps, start) - 1)
    last = len(steps) if end is None else min(len(steps), bisect.bisect_right(steps, end) + 1)
    return first, last


def series(
    histories: Mapping[str, MetricHistory],
    *,
    points: int = DEFAULT_POINTS,
    start: float | None = None,
    end: float | None = None,
    after: Mapping[str, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """The drawable histories (:func:`runlab.entities.numeric_histories`) as the charts take
    them: ``{name: {"steps", "values", "count", "last_step", "sampled"}}``.

    Args:
        histories: a run's histories by name.
        points: the most points per series (clamped to 2 .. :data:`MAX_POINTS`).
        start: only steps from this one on (a zoomed view), with one point before it.
        end: only steps up to this one, with one point after it.
        after: ``{name: step}``: for these metrics only the points past that step (what a
            live page has not seen yet); a metric with nothing new is left out.

    Returns:
        ``count`` is the number of points in the window before downsampling, ``last_step``
        the metric's last step, ``sampled`` whether points were left out.
    """
    points = min(max(points, 2), MAX_POINTS)
    drawn: dict[str, dict[str, Any]] = {}
    for name, history in numeric_histories(histories).items():
        steps, values = history.steps, history.values
        first, last = _window(steps, start, end)
        if after is not None and name in after:
            first = max(first, bisect.bisect_right(steps, after[name]))
            if first >= last:
                continue
        window_steps, window_values = steps[first:last], values[first:last]
        kept_steps, kept_values = downsample(window_steps, window_values, points)
        drawn[name] = {
            "steps": kept_steps,
            "values": kept_values,
            "count": len(window_steps),
            "last_step": steps[-1],
            "sampled": len(kept_steps) < len(window_steps),
        }
    return drawn


def run_series(
    store: MetadataStore,
    run_id: str,
    *,
    name: str | None = None,
    points: int = DEFAULT_POINTS,
    start: float | None = None,
    end: float | None = None,
    after: Mapping[str, int] | None = None,
) -> dict[str, dict[str, Any]]:
    """:func:`series` of the run's metrics (or only ``name``), computed in the store where it
    can (:meth:`~runlab.store.MetricStore.get_metric_envelopes`: the buckets' extremes
    without reading every point), else from the histories read whole.

    Raises:
        NotFoundError: no such run.
    """
    points = min(max(points, 2), MAX_POINTS)
    if after:
        # What a live page has not seen: from the earliest step it lacks on.
        start = min(after.values()) + 1 if start is None else start
    envelopes = store.get_metric_envelopes(run_id, points=points, name=name, start=start, end=end)
    if envelopes is None:
        histories = store.get_metric_histories(run_id, name)
        return series(histories, points=points, start=start, end=end, after=after)
    drawn: dict[str, dict[str, Any]] = {}
    for metric_name, envelope in envelopes.items():
        if after and metric_name not in after:
            # A metric new to the page: all of it.
            whole = store.get_metric_envelopes(run_id, points=points, name=metric_name)
            envelope = (whole or {}).get(metric_name, envelope)
        elif after:
            first = bisect.bisect_right(envelope.steps, after[metric_name])
            if first >= len(envelope.steps):
                continue
            envelope = envelope._replace(
                steps=envelope.steps[first:], values=envelope.values[first:]
            )
        drawn[metric_name] = {
            "steps": envelope.steps,
            "values": envelope.values,
            "count": envelope.total,
            "last_step": envelope.last_step,
            "sampled": envelope.sampled,
        }
    return drawn
