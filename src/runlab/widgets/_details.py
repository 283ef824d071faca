"""``RunDetails``: a run in a notebook, refreshing itself until the run ends."""

from __future__ import annotations

import html
import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from runlab.entities import DRIVER_LOG
from runlab.tracking.monitoring import read_log_from
from runlab.widgets._figures import import_figures, metrics_figure, set_points
from runlab.widgets._html import (
    children_html,
    header_html,
    info_html,
    metrics_html,
    static_html,
)
from runlab.widgets._snapshot import (
    LOG_TAIL_BYTES,
    RunSnapshot,
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


class RunDetails:
    """A run's state, duration, parameters, tags, properties, metrics (a table, and a plotly
    ``FigureWidget`` with a chart per numeric metric, axes, zoom and hover), the tail of a log
    picked among its logs, and its child runs.

    In a notebook, :meth:`show` displays an ipywidgets view and refreshes it from a
    background thread: every 5 s at first, easing to every 60 s over an hour, until the run
    reaches a terminal state. When it stops, the view is replaced by a static HTML snapshot
    of its final state, so a saved notebook shows the run without a kernel. Elsewhere
    :meth:`show` prints a text view once.

    Args:
        run: the run to show.
        interval: seconds between refreshes given seconds watched (default
            :func:`~runlab.widgets.refresh_interval`).
        server_url: the runlab server whose web UI shows the run (``http://host:8765``):
            the view links to the run's page there.

    Example:
        >>> RunDetails(run).show()  # doctest: +SKIP
    """

    def __init__(
        self,
        run: Run,
        *,
        interval: Callable[[float], float] = refresh_interval,
        server_url: str | None = None,
    ) -> None:
        self.run = run
        self.ui_url = (
            f"{server_url.rstrip('/')}/ui/runs/{run.id}" if server_url is not None else None
        )
        self._handle: Any = None
        self.snapshot: RunSnapshot | None = None
        self._interval = interval
        self._parts: dict[str, Any] | None = None
        self._figure: Any = None
        self._figure_names: list[str] = []
        self._widget: Any = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def widget(self) -> Any:
        """The ipywidgets view (a ``VBox``), built on first use.

        Raises:
            ImportError: ipywidgets, plotly (6 or later) or anywidget is not installed.
        """
        if self._widget is None:
            widgets = _import_widgets()
            import_figures()
            self._parts = {
                "header": widgets.HTML(),
                "metrics": widgets.HTML(),
                "charts": widgets.Box(layout={"flex_flow": "row wrap"}),
                "log": widgets.Textarea(disabled=True, layout={"width": "100%", "height": "12em"}),
                "children": widgets.HTML(),
                "info": widgets.HTML(),
                "log_picker": widgets.Dropdown(
                    description="Log", options=[], layout={"display": "none"}
                ),
            }
            self._parts["log_picker"].observe(self._pick_log, names="value")
            parts = self._parts
            shown = ["header", "info", "metrics", "charts", "log_picker", "log", "children"]
            if is_sweep_run(self.run):
                parts["sweep"] = widgets.HTML()
                parts["sweep_charts"] = widgets.Output()
                shown += ["sweep", "sweep_charts"]
            self._widget = widgets.VBox([parts[name] for name in shown])
            if self.snapshot is not None:
                self._update(self.snapshot)
        return self._widget

    def _update(self, snapshot: RunSnapshot) -> None:
        if self._parts is None:
            return
        self._parts["header"].value = header_html(snapshot, self.ui_url)
        self._parts["info"].value = info_html(snapshot)
        self._parts["metrics"].value = metrics_html(snapshot)
        self._update_charts(snapshot)
        self._parts["children"].value = children_html(snapshot)
        picker = self._parts["log_picker"]
        if list(picker.options) != snapshot.logs:
            chosen = picker.value
            picker.options = snapshot.logs
            picker.value = (
                chosen
                if chosen in snapshot.logs
                else (
                    DRIVER_LOG if DRIVER_LOG in snapshot.logs else next(iter(snapshot.logs), None)
                )
            )
        picker.layout.display = "" if snapshot.logs else "none"
        self._parts["log"].layout.display = "" if snapshot.logs else "none"
        if picker.value in (None, DRIVER_LOG):
            self._parts["log"].value = snapshot.log_tail
        self._update_sweep()

    def _update_charts(self, snapshot: RunSnapshot) -> None:
        """Update the metrics' figure in place; a new set of metrics gets a new figure."""
        assert self._parts is not None
        names = list(snapshot.metrics)
        if self._figure is not None and names == self._figure_names:
            set_points(self._figure, snapshot.metrics)
            return
        if self._figure is not None:
            self._figure.close()
        self._figure = metrics_figure(snapshot.metrics) if names else None
        self._figure_names = names
        self._parts["charts"].children = () if self._figure is None else (self._figure,)

    def _pick_log(self, change: dict[str, Any]) -> None:
        """Show the tail of the log just picked (the driver log follows the refreshes)."""
        name = change["new"]
        if self._parts is None or name is None or name == DRIVER_LOG:
            if self._parts is not None and self.snapshot is not None:
                self._parts["log"].value = self.snapshot.log_tail
            return
        workspace = self.run.experiment.workspace
        text, _ = read_log_from(workspace.artifacts, self.run.id, name, -LOG_TAIL_BYTES, ended=True)
        self._parts["log"].value = "\n".join(text.splitlines()[-200:])

    def static_html(self) -> str:
        """The view's last state as HTML without a script (see :func:`._html.static_html`)."""
        snapshot = self.snapshot if self.snapshot is not None else self.refresh()
        return static_html(snapshot, self.ui_url)

    def _leave_snapshot(self) -> None:
        """Replace the live view in the output by the static snapshot of its final state."""
        if self._handle is None or self.snapshot is None:
            return
        bundle = {"text/html": self.static_html(), "text/plain": text_view(self.snapshot)}
        self._handle.update(bundle, raw=True)

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

        view = self.widget
        snapshot = self.refresh()
        bundle = {
            "application/vnd.jupyter.widget-view+json": {
                "version_major": 2,
                "version_minor": 0,
                "model_id": view.model_id,
            },
            "text/html": static_html(snapshot, self.ui_url),
            "text/plain": text_view(snapshot),
        }
        self._handle = display(bundle, raw=True, display_id=True)  # type: ignore[no-untyped-call]
        if snapshot.terminal:
            self._leave_snapshot()
            return
        self.start()

    def wait(self, timeout: float | None = None) -> bool:
        """Wait until refreshing ends (the run ended, or :meth:`stop`); whether it did."""
        if self._thread is not None:
            self._thread.join(timeout)
        return not self.refreshing

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
        self._leave_snapshot()

    def _keep_refreshing(self) -> None:
        began = time.monotonic()
        while not self._stop.is_set():
            try:
                if self.refresh().terminal:
                    self._leave_snapshot()
                    return
            except Exception as error:
                # A widget's thread must not die silently: say so in the view, try again.
                if self._parts is not None:
                    failure = html.escape(str(error))
                    self._parts["header"].value += f" &middot; refresh failed: {failure}"
            self._stop.wait(self._interval(time.monotonic() - began))
