"""The contract of :class:`runlab.store.MetricStore`: logging points, reading histories,
last steps and last values.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import math
import threading
import time

import pytest

from runlab.entities import Metric, MetricKind
from runlab.errors import NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["MetricStoreContract"]


def _point(name: str, value: object, step: int, kind: MetricKind = MetricKind.SCALAR) -> Metric:
    return Metric(name, value, step, time.time(), kind)


class MetricStoreContract:
    """Tests every backend of :class:`runlab.store.MetricStore` must pass."""

    def test_unknown_runs(self, metadata_store: MetadataStore) -> None:
        for call in (
            lambda: metadata_store.log_metrics("ghost", [_point("m", 1.0, 0)]),
            lambda: metadata_store.get_metric_histories("ghost"),
            lambda: metadata_store.get_last_steps("ghost"),
            lambda: metadata_store.get_last_metric_values(["ghost"], ["m"]),
        ):
            with pytest.raises(NotFoundError, match="ghost"):
                call()

    # -- metrics -------------------------------------------------------------------------

    def test_every_kind_of_value_round_trips(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r")
        scalars = [
            0.5,
            math.nan,
            math.inf,
            -math.inf,
            3,
            2**62 + 1,
            -7,
            True,
            False,
            "text",
            "",
            "nan",
            "ü ✓",
            1e-300,
        ]
        structured = [
            ("list", MetricKind.LIST, [1, 2.5, math.nan, math.inf, "a"]),
            ("row", MetricKind.ROW, {"epoch": 1, "loss": -math.inf}),
            ("table", MetricKind.TABLE, {"x": [1, 2], "y": ["a", "b"]}),
            ("image", MetricKind.IMAGE, "images/plot_0.png"),
        ]
        points = [_point("scalar", value, step) for step, value in enumerate(scalars)]
        points += [_point(name, value, 0, kind) for name, kind, value in structured]
        metadata_store.log_metrics("r", points)
        histories = metadata_store.get_metric_histories("r")
        got = histories["scalar"].values
        assert len(got) == len(scalars)
        for stored, logged in zip(got, scalars, strict=True):
            assert type(stored) is type(logged)
            # repr tells NaN from NaN-looking strings and keeps ints exact.
            assert repr(stored) == repr(logged)
        assert histories["scalar"].steps == list(range(len(scalars)))
        for name, kind, value in structured:
            assert histories[name].kind is kind
            assert repr(histories[name].values) == repr([value])

    def test_history_is_in_step_order(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r")
        metadata_store.log_metrics("r", [_point("m", float(s), s) for s in (3, 1, 2)])
        metadata_store.log_metrics("r", [_point("m", 0.0, 0), _point("m", 10.0, 1)])
        history = metadata_store.get_metric_histories("r", "m")["m"]
        assert history.steps == [0, 1, 1, 2, 3]
        # Points that share a step keep the order they were logged in.
        assert history.values == [0.0, 1.0, 10.0, 2.0, 3.0]
        assert metadata_store.get_last_steps("r") == {"m": 3}
        assert metadata_store.get_metric_histories("r", "absent") == {}

    def test_a_bad_batch_stores_nothing(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r")
        with pytest.raises(ValidationError):
            metadata_store.log_metrics("r", [_point("m", 1.0, 0), _point("m", object(), 1)])
        assert metadata_store.get_metric_histories("r") == {}
        metadata_store.log_metrics("r", [])
        assert metadata_store.get_last_steps("r") == {}

    def test_a_batch_sent_again_is_stored_once(self, metadata_store: MetadataStore) -> None:
        # A client that did not hear the answer (a lost connection, a restarted server)
        # sends the same batch again.
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r")
        batch = [_point("m", float(step), step) for step in range(5)]
        metadata_store.log_metrics("r", batch)
        metadata_store.log_metrics("r", batch)
        assert metadata_store.get_metric_histories("r", "m")["m"].steps == list(range(5))
        # The same values logged again later are new points.
        metadata_store.log_metrics("r", [_point("m", 0.0, 0)])
        assert metadata_store.get_metric_histories("r", "m")["m"].steps == [0, 0, 1, 2, 3, 4]

    def test_concurrent_writers_lose_nothing(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        for i in range(4):
            metadata_store.create_run("e", f"r{i}")

        def worker(index: int) -> None:
            for batch in range(10):
                metadata_store.log_metrics(
                    f"r{index}",
                    [_point("m", float(step), batch * 100 + step) for step in range(100)],
                )
                metadata_store.set_tags(f"r{index}", {f"t{batch}": "x"})

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for i in range(4):
            assert len(metadata_store.get_metric_histories(f"r{i}")["m"].steps) == 1000
            assert len(metadata_store.get_run(f"r{i}").tags) == 10

    def test_last_values_are_the_histories_last(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        for run_id in ("a", "b", "c"):
            metadata_store.create_run("e", run_id)
        metadata_store.log_metrics(
            "a",
            [
                _point("loss", 0.1, 9),
                _point("loss", 5.0, 2),
                _point("loss", 0.3, 9),  # shares the last step: logged later, so it is last
                _point("acc", 2**62 + 1, 0),
                _point("note", "done", 3),
                _point("odd", math.nan, 1),
                _point("row", {"x": 1, "y": -math.inf}, 0, MetricKind.ROW),
            ],
        )
        metadata_store.log_metrics("b", [_point("loss", 1.0, 0), _point("acc", True, 4)])
        names = ["loss", "acc", "note", "odd", "row", "never"]
        values = metadata_store.get_last_metric_values(["a", "b", "c"], names)
        assert list(values) == ["a", "b", "c"]
        assert repr(values["a"]) == repr(
            {
                "loss": 0.3,
                "acc": 2**62 + 1,
                "note": "done",
                "odd": math.nan,
                "row": {"x": 1, "y": -math.inf},
            }
        )
        assert values["b"] == {"loss": 1.0, "acc": True} and type(values["b"]["acc"]) is bool
        assert values["c"] == {}
        for run_id in ("a", "b"):
            histories = metadata_store.get_metric_histories(run_id)
            expected = {name: history.values[-1] for name, history in histories.items()}
            assert repr(values[run_id]) == repr({n: expected[n] for n in names if n in expected})

    def test_last_points_carry_step_and_timestamp(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "a")
        metadata_store.create_run("e", "b")
        metadata_store.log_metrics(
            "a",
            [
                Metric("loss", 0.5, 1, 1_700_000_100.25),
                Metric("loss", 0.1, 7, 1_700_000_300.5),
                Metric("loss", 0.2, 7, 1_700_000_200.75),  # same step, logged later: last
                Metric("note", {"x": 1}, 2, 1_700_000_050.0, MetricKind.ROW),
            ],
        )
        points = metadata_store.get_last_metric_points(["a", "b"], ["loss", "note", "never"])
        assert list(points) == ["a", "b"] and points["b"] == {}
        loss, note = points["a"]["loss"], points["a"]["note"]
        assert (loss.value, loss.step, loss.kind) == (0.2, 7, MetricKind.SCALAR)
        assert loss.timestamp == pytest.approx(1_700_000_200.75)
        assert (note.value, note.step, note.kind) == ({"x": 1}, 2, MetricKind.ROW)
        assert note.timestamp == pytest.approx(1_700_000_050.0)
        with pytest.raises(NotFoundError):
            metadata_store.get_last_metric_points(["ghost"], ["loss"])

    def test_last_values_of_a_subset(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "a")
        metadata_store.log_metrics("a", [_point("x", 1.0, 0), _point("y", 2.0, 0)])
        assert metadata_store.get_last_metric_values(["a", "a"], ["y"]) == {"a": {"y": 2.0}}
        assert metadata_store.get_last_metric_values(["a"], []) == {"a": {}}
        assert metadata_store.get_last_metric_values([], ["x"]) == {}
        with pytest.raises(ValidationError):
            metadata_store.get_last_metric_values("a", ["x"])
        with pytest.raises(ValidationError):
            metadata_store.get_last_metric_values(["a"], "x")
