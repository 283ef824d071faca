"""What a sweep looks like to a person: its trials ranked, each trial's primary metric over
time, and its parameters against the metric (the web UI's sweep page and ``RunDetails``)."""

from __future__ import annotations

from typing import Any

from runlab.entities import numeric_histories
from runlab.sweeps.run import HyperDriveRun, trial_info

__all__ = ["sweep_report"]


def _dimension(label: str, values: list[Any]) -> dict[str, Any]:
    """A plotly parallel-coordinates dimension: numbers as they are, anything else as the
    index of its (sorted) distinct values, with those values as tick labels."""
    if all(isinstance(value, int | float) and not isinstance(value, bool) for value in values):
        return {"label": label, "values": values}
    distinct = sorted({str(value) for value in values})
    return {
        "label": label,
        "values": [distinct.index(str(value)) for value in values],
        "tickvals": list(range(len(distinct))),
        "ticktext": distinct,
    }


def sweep_report(run: HyperDriveRun) -> dict[str, Any]:
    """The sweep's trials and charts as JSON-able data.

    Returns:
        ``metric``, ``maximize``, ``status``, ``best`` (the best trial's run id or None),
        ``rows`` (best first: ``run_id``, ``number``, ``status``, ``value``,
        ``hyperparameters``, ``stopped_by``: the policy's reason for a stopped trial),
        ``curves`` (per trial: ``steps`` and ``values`` of the primary metric) and
        ``parallel`` (plotly ``parcoords`` dimensions: each parameter, then the metric).
    """
    store = run.experiment.workspace.store
    metric = run.primary_metric_name
    records = {record.run_id: record for record in run._trial_records()}
    rows = []
    for row in run.get_children_sorted_by_primary_metric():
        record = records[row["run_id"]]
        details = record.error_details or {}
        rows.append(
            {
                "run_id": row["run_id"],
                "number": trial_info(record).get("number"),
                "status": row["status"],
                "value": row["best_primary_metric"],
                "hyperparameters": row["hyperparameters"],
                "stopped_by": details.get("message") if details.get("policy") else None,
            }
        )
    best = next((row["run_id"] for row in rows if row["value"] is not None), None)
    curves = {}
    for run_id in records:
        history = numeric_histories(store.get_metric_histories(run_id, metric)).get(metric)
        if history is not None:
            curves[run_id] = {"steps": history.steps, "values": history.values}
    scored = [row for row in rows if row["value"] is not None]
    keys = sorted({key for row in scored for key in row["hyperparameters"]})
    dimensions = [
        _dimension(key, [row["hyperparameters"].get(key) for row in scored]) for key in keys
    ]
    if scored:
        dimensions.append({"label": metric, "values": [row["value"] for row in scored]})
    return {
        "run_id": run.id,
        "metric": metric,
        "maximize": run.maximize,
        "status": run.get_status(),
        "best": best,
        "rows": rows,
        "curves": curves,
        "parallel": {"dimensions": dimensions, "color": [row["value"] for row in scored]},
    }
