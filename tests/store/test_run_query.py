"""The run filter language (MLflow's search grammar): parsed with errors that name the
position, and run as SQL with the same answers on SQLite and PostgreSQL."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from runlab.entities import Metric, RunStatus
from runlab.errors import ValidationError
from runlab.store.run_query import Comparison, OrderKey, parse_filter, parse_order
from runlab.store.sql import SqlMetadataStore


def test_a_filter_parses_into_clauses() -> None:
    clauses = parse_filter(
        "params.lr = '0.1' and metrics.`val loss` <= -1e3 AND tags.\"mlflow.user\" LIKE '%a%'"
        " AND attributes.status IN ('FINISHED', 'FAILED') AND run_name != 'x'"
        " AND metrics.val.acc > 0.5"
    )
    assert clauses == [
        Comparison("param", "lr", "=", "0.1"),
        Comparison("metric", "val loss", "<=", -1000.0),
        Comparison("tag", "mlflow.user", "LIKE", "%a%"),
        Comparison("attribute", "status", "IN", ("FINISHED", "FAILED")),
        Comparison("attribute", "run_name", "!=", "x"),
        Comparison("metric", "val.acc", ">", 0.5),
    ]
    assert parse_filter("  ") == []
    assert parse_order(["metrics.acc DESC", "params.lr"]) == [
        OrderKey("metric", "acc", True),
        OrderKey("param", "lr", False),
    ]


@pytest.mark.parametrize(
    ("text", "position", "problem"),
    [
        ("params.lr = 0.1", 13, "expected a quoted string"),
        ("metrics.acc > 'high'", 15, "expected a number"),
        ("colour = 'red'", 1, "unknown attribute 'colour'"),
        ("params.a = 'x' OR params.b = 'y'", 16, "expected AND, found 'OR'"),
        ("metrics.a LIKE '3'", 11, "LIKE does not apply to metric 'a'"),
        ("params.a = 'x' AND", 19, "the filter ends too early"),
        ("params.a = 'x' ; drop", 16, "unexpected character ';'"),
    ],
)
def test_a_bad_filter_names_the_position(text: str, position: int, problem: str) -> None:
    with pytest.raises(ValidationError) as caught:
        parse_filter(text)
    assert f"at position {position}: {problem}" in str(caught.value)


@pytest.fixture(params=["sqlite", "postgresql"])
def store(request: pytest.FixtureRequest) -> Iterator[SqlMetadataStore]:
    """A store with five runs of experiment ``e`` (r0..r4) and one of ``other``."""
    is_sqlite = request.param == "sqlite"
    uri = "sqlite://" if is_sqlite else request.getfixturevalue("postgres_url")
    store = SqlMetadataStore(uri)
    store.create_experiment("e")
    store.create_experiment("other")
    for index in range(5):
        run_id = f"r{index}"
        store.create_run(
            "e",
            run_id,
            display_name=f"run-{index}",
            tags={"team": "vision" if index % 2 else "Vision"},
            properties={"param.lr": str(index / 10)},
        )
        store.set_run_status(run_id, RunStatus.RUNNING)
        store.log_metrics(
            run_id, [Metric("acc", index / 5, 0, 1.0), Metric("acc", index / 4, 1, 2.0)]
        )
        if index < 3:
            store.set_run_status(run_id, RunStatus.COMPLETED)
    store.create_run("other", "o1", properties={"param.lr": "0.2"})
    yield store
    store.close()


def _ids(store: SqlMetadataStore, query: str, order_by: str = "number asc") -> list[str]:
    return [
        record.run_id
        for record in store.search_runs(experiment_name="e", query=query, order_by=order_by)
    ]


def test_filters_run_as_sql(store: SqlMetadataStore) -> None:
    # The last value of acc is index / 4: r3 has 0.75, r4 1.0.
    assert _ids(store, "metrics.acc > 0.5", "metrics.acc DESC") == ["r4", "r3"]
    assert _ids(store, "metrics.acc <= 0.5 AND metrics.acc != 0.25") == ["r0", "r2"]
    assert _ids(store, "params.lr = '0.2'") == ["r2"]
    assert _ids(store, "params.lr NOT IN ('0.0', '0.1')") == ["r2", "r3", "r4"]
    # LIKE is case-sensitive (as in MLflow), ILIKE is not.
    assert _ids(store, "tags.team LIKE 'V%'") == ["r0", "r2", "r4"]
    assert _ids(store, "tags.team ILIKE 'v%'") == ["r0", "r1", "r2", "r3", "r4"]
    assert _ids(store, "tags.team != 'vision'") == ["r0", "r2", "r4"]
    assert _ids(store, "tags.missing = 'x'") == []
    assert _ids(store, "attributes.status = 'FINISHED'") == ["r0", "r1", "r2"]
    assert _ids(store, "status = 'Running'") == ["r3", "r4"]
    assert _ids(store, "run_name LIKE '%-3'") == ["r3"]
    assert _ids(store, "attributes.start_time > 0 AND end_time > 0") == ["r0", "r1", "r2"]
    assert store.count_runs(query="params.lr = '0.2'") == 2


def test_orders_by_params_tags_and_attributes(store: SqlMetadataStore) -> None:
    assert _ids(store, "", "params.lr DESC") == ["r4", "r3", "r2", "r1", "r0"]
    assert _ids(store, "", "metrics.acc ASC") == ["r0", "r1", "r2", "r3", "r4"]
    assert _ids(store, "", "tags.team ASC, params.lr DESC")[:3] == ["r4", "r2", "r0"]
    assert [r.run_id for r in store.search_runs(experiment_names=["e", "other"])] == [
        "o1",
        "r4",
        "r3",
        "r2",
        "r1",
        "r0",
    ]


def test_a_bad_filter_or_order_is_refused_before_any_read(store: SqlMetadataStore) -> None:
    with pytest.raises(ValidationError, match="position 13"):
        store.search_runs(query="params.lr = 0.2")
    with pytest.raises(ValidationError, match="cannot order runs by"):
        store.search_runs(order_by="metrics.acc SIDEWAYS")
