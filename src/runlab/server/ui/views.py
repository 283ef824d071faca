"""What the web UI's pages show, computed from a metadata store: no HTTP, no HTML.

Each function reads the store through its public methods only, so the pages work over any
backend. The runs table is sorted (also by a metric's last value) and paged in the store
(``limit``/``offset`` and ``count_runs``), and its metric cells are one
``get_last_metric_values`` for the page, so a page of an experiment with 10,000 runs costs
three queries (four when the metric columns are picked from its first run), whatever the
length of the runs' histories.
"""

from __future__ import annotations

import dataclasses
import datetime
import time
from typing import Any

from runlab.entities import (
    RunStatus,
    finite_number,
    numeric_histories,
    param_key,
    param_name,
)
from runlab.errors import ValidationError
from runlab.store import MetadataStore
from runlab.store.runs import RUN_ORDERS, metric_order, parse_metric_order

__all__ = [
    "RUN_ORDERS",
    "RunsQuery",
    "compare_data",
    "format_duration",
    "format_time",
    "metric_charts",
    "runs_page",
]

MAX_PAGE = 500


@dataclasses.dataclass(frozen=True)
class RunsQuery:
    """What the runs table of one experiment is asked to show.

    Attributes:
        experiment_name: the experiment.
        status: only runs in this state ("" for all).
        tag: only runs with this tag: ``key`` (any value) or ``key=value`` ("" for all).
        run_filter: only runs matching this filter of the run filter language (MLflow's
            search grammar, see :mod:`runlab.store.run_query`; "" for all).
        order_by: one of :data:`RUN_ORDERS`, or ``metric:<name> asc|desc`` (by the last
            value of a metric; see :func:`runlab.store.runs.metric_order`).
        limit: rows per page (1 to 500).
        offset: rows skipped.
        metrics: metric names shown as columns (their last value).
        tag_columns: tag keys shown as columns.
        chart: the metric whose histories the page overlays ("": the first column).
        param: the parameter the page's scatter puts on x ("": the first one).
    """

    experiment_name: str
    status: str = ""
    tag: str = ""
    run_filter: str = ""
    order_by: str = "created_time desc"
    limit: int = 50
    offset: int = 0
    metrics: tuple[str, ...] = ()
    tag_columns: tuple[str, ...] = ()
    chart: str = ""
    param: str = ""

    def filters(self) -> dict[str, Any]:
        """The store filters this query means.

        Raises:
            ValidationError: an unknown status.
        """
        filters: dict[str, Any] = {"experiment_name": self.experiment_name, "top_level_only": True}
        if self.status:
            filters["statuses"] = [RunStatus.parse(self.status)]
        if self.tag:
            key, has_value, value = self.tag.partition("=")
            filters["tags"] = {key.strip(): value.strip() if has_value else None}
        if self.run_filter.strip():
            filters["query"] = self.run_filter
        return filters

    def checked(self) -> RunsQuery:
        """This query with its order and page size checked.

        Raises:
            ValidationError: an order the store does not offer, or a bad page.
        """
        if self.order_by not in RUN_ORDERS and parse_metric_order(self.order_by) is None:
            raise ValidationError(
                f"runs sort by one of: {', '.join(RUN_ORDERS)}, or metric:NAME asc|desc"
            )
        if not 1 <= self.limit <= MAX_PAGE or self.offset < 0:
            raise ValidationError(f"a page holds 1 to {MAX_PAGE} runs from offset 0 on")
        return self


def format_time(timestamp: float | None) -> str:
    """``2026-11-27 00:28:35 UTC``, or ``""`` for None."""
    if timestamp is None:
        return ""
    moment = datetime.datetime.fromtimestamp(timestamp, tz=datetime.UTC)
    return moment.strftime("%Y-%m-%d %H:%M:%S UTC")


def format_duration(seconds: float | None) -> str:
    """``1h 02m 03s``, ``2m 05s``, ``4.2s``, or ``""`` for None."""
    if seconds is None:
        return ""
    if seconds < 60:
        return f"{seconds:.1f}s"
    whole = int(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m {secs:02d}s" if hours else f"{minutes}m {secs:02d}s"


def metric_charts(store: MetadataStore, run_id: str) -> dict[str, dict[str, list[Any]]]:
    """The run's numeric histories (:func:`runlab.entities.numeric_histories`) as the charts
    take them: ``{name: {"steps", "values"}}``, None in values for a gap."""
    return {
        name: {"steps": history.steps, "values": history.values}
        for name, history in numeric_histories(store.get_metric_histories(run_id)).items()
    }


def parameters_in(properties: dict[str, str]) -> dict[str, str]:
    """The ``param.*`` properties of a run, by parameter name."""
    return {
        name: value for key, value in properties.items() if (name := param_name(key)) is not None
    }


def runs_page(store: MetadataStore, query: RunsQuery) -> dict[str, Any]:
    """One page of the runs table: the rows, the total count, and the columns shown.

    When no metric columns were chosen, the metrics of the page's first run are shown (at
    most three); when no tag columns were chosen, the tag keys on the page (at most five).
    Sorted by a metric, that metric is among the columns.

    Raises:
        NotFoundError: no such experiment.
        ValidationError: a bad status, order or page.
    """
    query.checked()
    filters = query.filters()
    total = store.count_runs(**filters)
    records = store.search_runs(
        order_by=query.order_by, limit=query.limit, offset=query.offset, **filters
    )
    metrics = query.metrics
    if not metrics and records:
        metrics = tuple(sorted(store.get_last_steps(records[0].run_id)))[:3]
    sorted_by = parse_metric_order(query.order_by)
    if sorted_by is not None and sorted_by[0] not in metrics:
        metrics = (sorted_by[0], *metrics)
    tag_columns = (
        query.tag_columns or tuple(sorted({key for record in records for key in record.tags}))[:5]
    )
    latest = (
        store.get_last_metric_values([record.run_id for record in records], metrics)
        if metrics and records
        else {}
    )
    now = time.time()
    rows = [
        {
            "record": record,
            "duration": format_duration(record.duration(now)),
            "metrics": latest.get(record.run_id, {}),
        }
        for record in records
    ]
    # A metric column's header sorts by it, highest first; clicked again, lowest first.
    metric_orders = {
        name: metric_order(name, descending=sorted_by != (name, True)) for name in metrics
    }
    parameters = {record.run_id: parameters_in(record.properties) for record in records}
    param_names = sorted({name for names in parameters.values() for name in names})
    charts = {
        "runs": [
            {
                "id": record.run_id,
                "name": record.display_name,
                "params": {
                    name: _param_value(value) for name, value in parameters[record.run_id].items()
                },
                "last": {
                    name: value
                    for name, value in latest.get(record.run_id, {}).items()
                    if finite_number(value) is not None
                },
            }
            for record in records
        ],
        "metrics": list(metrics),
        "params": param_names,
        "chart": query.chart if query.chart in metrics else (metrics[0] if metrics else ""),
        "param": query.param if query.param in param_names else next(iter(param_names), ""),
    }
    return {
        "rows": rows,
        "total": total,
        "metrics": metrics,
        "tag_columns": tag_columns,
        "metric_orders": metric_orders,
        "charts": charts,
    }


def _param_value(text: str) -> float | str:
    try:
        return float(text)
    except ValueError:
        return text


def compare_data(
    store: MetadataStore, run_ids: list[str], metric: str | None, param: str | None
) -> dict[str, Any]:
    """What the compare page draws for ``run_ids``: each run's ``metric`` against step
    (one line per run), and its last value against the run property ``param.<param>``;
    and each run's parameters (``parameters[run_id]``: ``{name: value}``).

    ``metric`` and ``param`` default to the first name the runs have.

    Raises:
        NotFoundError: a run does not exist.
    """
    records = [store.get_run(run_id) for run_id in run_ids]
    histories = {record.run_id: metric_charts(store, record.run_id) for record in records}
    metric_names = sorted({name for charts in histories.values() for name in charts})
    parameters = {
        record.run_id: {
            name: value
            for key, value in record.properties.items()
            if (name := param_name(key)) is not None
        }
        for record in records
    }
    param_names = sorted({name for names in parameters.values() for name in names})
    metric = metric if metric in metric_names else (metric_names[0] if metric_names else None)
    param = param if param in param_names else (param_names[0] if param_names else None)
    overlay = []
    scatter: dict[str, list[Any]] = {"x": [], "y": [], "text": []}
    for record in records:
        chart = histories[record.run_id].get(metric or "")
        if chart is None:
            continue
        overlay.append({"name": record.display_name, "x": chart["steps"], "y": chart["values"]})
        param_text = record.properties.get(param_key(param or ""))
        last = next((value for value in reversed(chart["values"]) if value is not None), None)
        if param_text is not None and last is not None:
            scatter["x"].append(_param_value(param_text))
            scatter["y"].append(last)
            scatter["text"].append(record.display_name)
    return {
        "records": records,
        "metric": metric,
        "param": param,
        "metric_names": metric_names,
        "param_names": param_names,
        "parameters": parameters,
        "overlay": overlay,
        "scatter": scatter,
    }
