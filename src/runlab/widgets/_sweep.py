"""What ``RunDetails`` adds for a sweep's run: the trials ranked (the best and the stopped
marked), each trial's primary metric over time and the parameters against the metric, the
same report as the web UI's sweep page (:func:`runlab.sweeps.report.sweep_report`)."""

from __future__ import annotations

import html
import json
from typing import TYPE_CHECKING, Any

from runlab.entities.run_layout import SWEEP_KEY

if TYPE_CHECKING:
    from runlab.tracking import Run

__all__ = ["is_sweep_run", "sweep_figures", "sweep_html", "sweep_of", "sweep_text"]


def is_sweep_run(run: Run) -> bool:
    """Whether ``run`` is a sweep's parent run."""
    return SWEEP_KEY in run.get_properties()


def sweep_of(run: Run) -> dict[str, Any] | None:
    """The sweep report of ``run``, or None when it is not a sweep's run."""
    if not is_sweep_run(run):
        return None
    from runlab.sweeps import HyperDriveRun
    from runlab.sweeps.report import sweep_report

    return sweep_report(HyperDriveRun(run.experiment, run.id))


def _mark(row: dict[str, Any], report: dict[str, Any]) -> str:
    if row["run_id"] == report["best"]:
        return "best"
    return "stopped: " + str(row["stopped_by"]) if row["stopped_by"] else ""


def _value(value: float | None) -> str:
    return "-" if value is None else f"{value:.6g}"


def sweep_text(report: dict[str, Any]) -> str:
    """The trials as text lines, best first."""
    lines = [f"Trials by {report['metric']} ({'max' if report['maximize'] else 'min'}):"]
    for row in report["rows"]:
        lines.append(
            f"  trial {row['number']} {row['status']} {report['metric']}={_value(row['value'])}"
            f" {json.dumps(row['hyperparameters'])} {_mark(row, report)}".rstrip()
        )
    return "\n".join(lines) + "\n"


def sweep_html(report: dict[str, Any]) -> str:
    """The trials as an HTML table, best first."""
    metric = html.escape(report["metric"])
    rows = "".join(
        f"<tr><td>{row['number']}</td><td>{html.escape(row['status'])}</td>"
        f"<td>{_value(row['value'])}</td>"
        f"<td>{html.escape(json.dumps(row['hyperparameters']))}</td>"
        f"<td>{html.escape(_mark(row, report))}</td></tr>"
        for row in report["rows"]
    )
    return (
        f"<b>Trials</b><table><tr><th>trial</th><th>status</th><th>{metric}</th>"
        f"<th>hyperparameters</th><th></th></tr>{rows}</table>"
    )


def sweep_figures(report: dict[str, Any]) -> list[Any]:
    """Plotly figures: each trial's primary metric over time, and a parallel-coordinates
    chart of the parameters against the metric.

    Raises:
        ImportError: plotly is not installed.
    """
    import plotly.graph_objects as go  # type: ignore[import-untyped]

    numbers = {row["run_id"]: row for row in report["rows"]}
    curves = go.Figure()
    for run_id, curve in report["curves"].items():
        row = numbers.get(run_id, {})
        best = run_id == report["best"]
        curves.add_trace(
            go.Scatter(
                x=curve["steps"],
                y=curve["values"],
                mode="lines+markers",
                name=f"trial {row.get('number')}" + (" (best)" if best else ""),
                line={
                    "width": 4 if best else 1.5,
                    "dash": "dot" if row.get("stopped_by") else "solid",
                },
            )
        )
    curves.update_layout(xaxis_title="step", yaxis_title=report["metric"])
    parallel = go.Figure(
        go.Parcoords(
            dimensions=report["parallel"]["dimensions"],
            line={"color": report["parallel"]["color"], "colorscale": "Viridis", "showscale": True},
        )
    )
    return [curves, parallel]
