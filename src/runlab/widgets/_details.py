"""``RunDetails``: a run in a notebook, refreshing itself until the run ends."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runlab.widgets._snapshot import (
    RunSnapshot,
    format_duration,
    refresh_interval,
    take_snapshot,
    text_view,
)
from runlab.widgets._sweep import (
    is_sweep_run,
    sweep_figures,
    sweep_html,
    sweep_of,
    sweep_text,
)

if TYPE_CHECKING:
    from runlab.tracking import Run

__all__ = ["RunDetails", "in_notebook"]

CHART_WIDTH = 360
CHART_HEIGHT = 90


def in_notebook() -> bool:
    """Whether this code runs in an IPython kernel (a notebook), where widgets display."""
    try:
        from IPython import get_ipython
    except ImportError:
        return False
    shell = get_ipython()
    return shell is not None and getattr(shell, "kernel", None) is not None


def _import_widgets() -> Any:
    try:
        import ipywidgets  # type: ignore[import-untyped]
    except ImportError as error:
        raise ImportError(
            "RunDetails needs ipywidgets in a notebook: pip install ipywidgets"
        ) from error
    return ipywidgets


def _sparkline(steps: list[int], values: list[float | None]) -> str:
    """An inline SVG line of ``values`` against ``steps`` (no plotting library needed)."""
    points = [(step, value) for step, value in zip(steps, values, strict=True) if value is not None]
    if not points:
        return ""
    low_x, high_x = points[0][0], points[-1][0]
    low_y = min(value for _, value in points)
    high_y = max(value for _, value in points)
    span_x, span_y = (high_x - low_x) or 1, (high_y - low_y) or 1.0
    coordinates = " ".join(
        f"{(step - low_x) / span_x * (CHART_WIDTH - 10) + 5:.1f},"
        f"{CHART_HEIGHT - 5 - (value - low_y) / span_y * (CHART_HEIGHT - 10):.1f}"
        for step, value in points
    )
    return (
        f'<svg width="{CHART_WIDTH}" height="{CHART_HEIGHT}" role="img">'
        f'<polyline fill="none" stroke="#1f77b4" stroke-width="2" points="{coordinates}"/>'
        "</svg>"
    )


def _metrics_table(snapshot: RunSnapshot) -> str:
    if not snapshot.last_values:
        return "<p><i>No metrics yet.</i></p>"
    rows = "".join(
        f"<tr><td>{html.escape(name)}</td><td>{html.escape(repr(value))}</td>"
        f"<td>{len(snapshot.metrics[name][0]) if name in snapshot.metrics else 1}</td></tr>"
        for name, value in snapshot.last_values.items()
    )
    return f"<table><tr><th>metric</th><th>last value</th><th>points</th></tr>{rows}</table>"


def _charts(snapshot: RunSnapshot) -> str:
    return "".join(
        f"<div><b>{html.escape(name)}</b><br>{_sparkline(steps, values)}</div>"
        for name, (steps, values) in snapshot.metrics.items()
    )


def _children(snapshot: RunSnapshot) -> str:
    if not snapshot.children:
        return ""
    items = "".join(
        f"<li>{html.escape(name)} ({html.escape(run_id)}): {html.escape(status)}</li>"
        for run_id, name, status in snapshot.children
    )
    return f"<b>Child runs</b><ul>{items}</ul>"


class RunDetails:
    """A run's state, duration, metrics (table and charts), log tail and child runs.

    In a notebook, :meth:`show` displays an ipywidgets view and refreshes it from a
    background thread: every 5 s at first, easing to every 60 s over an hour, until the run
    reaches a terminal state. Elsewhere :meth:`show` prints a text view once.

    Args:
        run: the run to show.
        interval: seconds between refreshes given seconds watched (default
            :func:`~runlab.widgets.refresh_interval`).

    Example:
        >>> RunDetails(run).show()  # doctest: +SKIP
    """

    def __init__(self, run: Run, *, interval: Callable[[float], float] = refresh_interval) -> None:
        self.run = run
        self.snapshot: RunSnapshot | None = None
        self._interval = interval
        self._parts: dict[str, Any] | None = None
        self._widget: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def widget(self) -> Any:
        """The ipywidgets view (a ``VBox``), built on first use.

        Raises:
            ImportError: ipywidgets is not installed.
        """
        if self._widget is None:
            widgets = _import_widgets()
            self._parts = {
                "header": widgets.HTML(),
                "metrics": widgets.HTML(),
                "charts": widgets.HTML(),
                "log": widgets.Textarea(disabled=True, layout={"width": "100%", "height": "12em"}),
                "children": widgets.HTML(),
            }
            if is_sweep_run(self.run):
                self._parts["sweep"] = widgets.HTML()
                self._parts["sweep_charts"] = widgets.Output()
            self._widget = widgets.VBox(list(self._parts.values()))
            if self.snapshot is not None:
                self._update(self.snapshot)
        return self._widget

    def _update(self, snapshot: RunSnapshot) -> None:
        if self._parts is None:
            return
        self._parts["header"].value = (
            f"<b>{html.escape(snapshot.display_name)}</b> &middot; "
            f"<b>{html.escape(snapshot.status)}</b> &middot; "
            f"{format_duration(snapshot.duration_s)}"
        )
        self._parts["metrics"].value = _metrics_table(snapshot)
        self._parts["charts"].value = _charts(snapshot)
        self._parts["log"].value = snapshot.log_tail
        self._parts["children"].value = _children(snapshot)
        self._update_sweep()

    def _update_sweep(self) -> None:
        """For a sweep's run: the trials table and the two charts (plotly, when installed)."""
        if self._parts is None or "sweep" not in self._parts:
            return
        report = sweep_of(self.run)
        if report is None:
            return
        self._parts["sweep"].value = sweep_html(report)
        try:
            figures = sweep_figures(report)
        except ImportError:
            return
        output = self._parts["sweep_charts"]
        output.clear_output(wait=True)
        with output:
            from IPython.display import display

            for figure in figures:
                display(figure)  # type: ignore[no-untyped-call]

    def refresh(self) -> RunSnapshot:
        """Read the run again and update the view (when it was built).

        Returns:
            What was read.
        """
        snapshot = take_snapshot(self.run, previous=self.snapshot)
        self.snapshot = snapshot
        self._update(snapshot)
        return snapshot

    def text(self) -> str:
        """The text view of the run now (for a sweep, with its trials ranked)."""
        view = text_view(self.refresh())
        report = sweep_of(self.run)
        return view if report is None else view + sweep_text(report)

    def show(self) -> None:
        """Display the view and keep it current until the run ends (in a notebook), or
        print the text view (anywhere else)."""
        if not in_notebook():
            print(self.text(), end="")
            return
        from IPython.display import display

        display(self.widget)  # type: ignore[no-untyped-call]
        self.start()

    def start(self) -> None:
        """Refresh from a daemon thread until the run ends or :meth:`stop` is called."""
        if self.refreshing:
            return
        self._stop.clear()
        self._thread = threading.Thread(
            target=self._keep_refreshing, name=f"RunDetails-{self.run.id}", daemon=True
        )
        self._thread.start()

    @property
    def refreshing(self) -> bool:
        """Whether the refreshing thread is running."""
        return self._thread is not None and self._thread.is_alive()

    def stop(self, timeout: float | None = 10.0) -> None:
        """Stop refreshing, and wait up to ``timeout`` seconds for the thread to end."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def _keep_refreshing(self) -> None:
        began = time.monotonic()
        while not self._stop.is_set():
            try:
                if self.refresh().terminal:
                    return
            except Exception as error:
                # A widget's thread must not die silently: say so in the view, try again.
                if self._parts is not None:
                    failure = html.escape(str(error))
                    self._parts["header"].value += f" &middot; refresh failed: {failure}"
            self._stop.wait(self._interval(time.monotonic() - began))
