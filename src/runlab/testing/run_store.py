"""The contract of :class:`runlab.store.RunStore`: experiments, runs, states, heartbeats,
search, tags and properties.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store (a whole metadata store: runs are sorted by metrics too).
A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import math
import threading
import time

import pytest

from runlab.entities import Metric, MetricKind, RunStatus
from runlab.errors import (
    AlreadyExistsError,
    InvalidStateError,
    NotFoundError,
    ValidationError,
)
from runlab.store import MetadataStore
from runlab.store.runs import metric_order

__all__ = ["RunStoreContract"]


def _point(name: str, value: object, step: int, kind: MetricKind = MetricKind.SCALAR) -> Metric:
    return Metric(name, value, step, time.time(), kind)


class RunStoreContract:
    """Tests every backend of :class:`runlab.store.RunStore` must pass."""

    # -- experiments ---------------------------------------------------------------------

    def test_experiment_round_trip(self, metadata_store: MetadataStore) -> None:
        created = metadata_store.create_experiment("mnist")
        assert metadata_store.get_experiment("mnist") == created
        assert [e.name for e in metadata_store.list_experiments()] == ["mnist"]

    def test_experiments_are_listed_by_name(self, metadata_store: MetadataStore) -> None:
        for name in ("b", "c", "a"):
            metadata_store.create_experiment(name)
        assert [e.name for e in metadata_store.list_experiments()] == ["a", "b", "c"]

    def test_duplicate_experiment_is_refused(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("mnist")
        with pytest.raises(AlreadyExistsError, match="mnist"):
            metadata_store.create_experiment("mnist")

    def test_unknown_experiment(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(NotFoundError, match="nope"):
            metadata_store.get_experiment("nope")

    def test_get_or_create_under_a_race(self, metadata_store: MetadataStore) -> None:
        ids: list[int] = []

        def worker() -> None:
            ids.append(metadata_store.get_or_create_experiment("raced").experiment_id)

        threads = [threading.Thread(target=worker) for _ in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(ids) == 8 and len(set(ids)) == 1
        assert len(metadata_store.list_experiments()) == 1

    # -- runs ----------------------------------------------------------------------------

    def test_runs_are_numbered_per_experiment(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("a")
        metadata_store.create_experiment("b")
        numbers = [metadata_store.create_run("a", f"a{i}").number for i in range(3)]
        assert numbers == [1, 2, 3]
        assert metadata_store.create_run("b", "b0").number == 1

    def test_run_round_trip(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        created = metadata_store.create_run(
            "e", "r1", display_name="first", tags={"t": "1"}, properties={"p": "x"}
        )
        stored = metadata_store.get_run("r1")
        assert stored == created
        assert (stored.display_name, stored.tags, stored.properties) == (
            "first",
            {"t": "1"},
            {"p": "x"},
        )
        assert stored.status is RunStatus.NOT_STARTED
        assert stored.experiment_name == "e" and stored.target == "local"

    def test_display_name_defaults_to_id_and_can_change(
        self, metadata_store: MetadataStore
    ) -> None:
        metadata_store.create_experiment("e")
        assert metadata_store.create_run("e", "r1").display_name == "r1"
        assert metadata_store.update_run("r1", display_name="better").display_name == "better"
        assert metadata_store.get_run("r1").display_name == "better"

    def test_run_errors(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r1")
        with pytest.raises(AlreadyExistsError, match="r1"):
            metadata_store.create_run("e", "r1")
        with pytest.raises(NotFoundError, match="nope"):
            metadata_store.create_run("nope", "r2")
        with pytest.raises(NotFoundError, match="ghost"):
            metadata_store.create_run("e", "r3", parent_run_id="ghost")
        with pytest.raises(NotFoundError, match="ghost"):
            metadata_store.get_run("ghost")
        for call in (
            lambda: metadata_store.set_run_status("ghost", RunStatus.RUNNING),
            lambda: metadata_store.set_tags("ghost", {"a": "b"}),
            lambda: metadata_store.add_properties("ghost", {"a": "b"}),
            lambda: metadata_store.update_run("ghost", display_name="x"),
        ):
            with pytest.raises(NotFoundError):
                call()

    def test_numbers_stay_unique_under_a_race(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")

        def worker(index: int) -> None:
            for n in range(5):
                metadata_store.create_run("e", f"r{index}_{n}")

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        numbers = sorted(r.number for r in metadata_store.search_runs(experiment_name="e"))
        assert numbers == list(range(1, 21))

    # -- states --------------------------------------------------------------------------

    def test_status_moves_forward_and_stamps_times(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r")
        for status in (RunStatus.QUEUED, RunStatus.STARTING, RunStatus.RUNNING):
            assert metadata_store.set_run_status("r", status).status is status
        running = metadata_store.get_run("r")
        assert running.start_time is not None and running.end_time is None
        done = metadata_store.set_run_status("r", RunStatus.COMPLETED)
        assert done.status is RunStatus.COMPLETED
        assert done.end_time is not None and done.end_time >= running.start_time

    def test_terminal_states_are_final(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r", status=RunStatus.RUNNING)
        metadata_store.set_run_status("r", RunStatus.CANCELED)
        for status in (RunStatus.RUNNING, RunStatus.COMPLETED, RunStatus.FAILED):
            with pytest.raises(InvalidStateError, match="Canceled"):
                metadata_store.set_run_status("r", status)
        assert metadata_store.get_run("r").status is RunStatus.CANCELED
        # Setting the state a run already has is a no-op, not an error.
        assert metadata_store.set_run_status("r", RunStatus.CANCELED).status is RunStatus.CANCELED

    def test_states_never_move_back(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r", status=RunStatus.RUNNING)
        with pytest.raises(InvalidStateError):
            metadata_store.set_run_status("r", RunStatus.QUEUED)

    def test_complete_needs_a_started_run(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r", status=RunStatus.QUEUED)
        with pytest.raises(InvalidStateError):
            metadata_store.set_run_status("r", RunStatus.COMPLETED)
        failed = metadata_store.set_run_status(
            "r", RunStatus.FAILED, error_details={"message": "boom", "exit_code": 3}
        )
        assert failed.error_details == {"message": "boom", "exit_code": 3}

    def test_only_one_of_two_racing_endings_wins(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        for attempt in range(5):
            run_id = f"r{attempt}"
            metadata_store.create_run("e", run_id, status=RunStatus.RUNNING)
            outcomes: list[RunStatus | str] = []

            def end(
                status: RunStatus,
                run_id: str = run_id,
                outcomes: list[RunStatus | str] = outcomes,
            ) -> None:
                try:
                    outcomes.append(metadata_store.set_run_status(run_id, status).status)
                except InvalidStateError:
                    outcomes.append("refused")

            threads = [
                threading.Thread(target=end, args=(status,))
                for status in (RunStatus.COMPLETED, RunStatus.CANCELED)
            ]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
            assert outcomes.count("refused") == 1
            assert metadata_store.get_run(run_id).status in outcomes

    def test_a_silent_job_run_is_failed_when_read(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "alive", status=RunStatus.RUNNING, heartbeat_timeout=60)
        metadata_store.create_run("e", "gone", status=RunStatus.RUNNING, heartbeat_timeout=0.2)
        metadata_store.create_run("e", "interactive", status=RunStatus.RUNNING)
        assert metadata_store.get_run("gone").heartbeat_time is not None
        time.sleep(0.3)
        metadata_store.heartbeat("alive")
        statuses = {r.run_id: r.status for r in metadata_store.search_runs()}
        assert statuses == {
            "alive": RunStatus.RUNNING,
            "gone": RunStatus.FAILED,
            "interactive": RunStatus.RUNNING,
        }
        gone = metadata_store.get_run("gone")
        assert gone.error_details is not None and "heartbeat" in gone.error_details["message"]
        assert gone.end_time is not None
        with pytest.raises(NotFoundError):
            metadata_store.heartbeat("ghost")

    def test_a_heartbeat_keeps_a_job_run_alive(self, metadata_store: MetadataStore) -> None:
        # Beats 20 times per timeout, for longer than the timeout: only a stall of nearly 2 s
        # between two beats, not a merely busy machine, could fail the run.
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r", status=RunStatus.QUEUED, heartbeat_timeout=2.0)
        for _ in range(25):
            time.sleep(0.1)
            metadata_store.heartbeat("r")
            assert metadata_store.get_run("r").status is RunStatus.QUEUED

    # -- search --------------------------------------------------------------------------

    def test_search_filters_and_orders(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_experiment("other")
        for i in range(6):
            metadata_store.create_run(
                "e", f"r{i}", tags={"lr": str(i % 2)}, status=RunStatus.RUNNING
            )
        metadata_store.create_run("e", "child", parent_run_id="r0")
        metadata_store.create_run("other", "x")
        for i in (0, 1, 2):
            metadata_store.set_run_status(f"r{i}", RunStatus.COMPLETED)

        def ids(**filters: object) -> list[str]:
            return [r.run_id for r in metadata_store.search_runs(**filters)]  # type: ignore[arg-type]

        assert ids(experiment_name="e", order_by="number asc") == [
            "r0",
            "r1",
            "r2",
            "r3",
            "r4",
            "r5",
            "child",
        ]
        assert ids(experiment_name="e", order_by="number desc")[0] == "child"
        assert ids(statuses=[RunStatus.COMPLETED], order_by="number asc") == ["r0", "r1", "r2"]
        assert ids(tags={"lr": "1"}, order_by="number asc") == ["r1", "r3", "r5"]
        assert ids(tags={"lr": None}, experiment_name="e", order_by="number asc") == [
            f"r{i}" for i in range(6)
        ]
        assert ids(parent_run_id="r0") == ["child"]
        assert "child" not in ids(experiment_name="e", top_level_only=True)
        assert ids(experiment_name="e", order_by="number asc", limit=2, offset=1) == ["r1", "r2"]
        assert set(ids()) == {f"r{i}" for i in range(6)} | {"child", "x"}
        assert metadata_store.count_runs() == 8
        assert metadata_store.count_runs(experiment_name="e", top_level_only=True) == 6
        assert metadata_store.count_runs(statuses=[RunStatus.COMPLETED], tags={"lr": "1"}) == 1
        newest_first = metadata_store.search_runs(experiment_name="e")
        times = [r.created_time for r in newest_first]
        assert times == sorted(times, reverse=True)

    def test_search_by_properties(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "a", properties={"kind": "sweep"})
        metadata_store.create_run("e", "b")
        assert [r.run_id for r in metadata_store.search_runs(properties={"kind": "sweep"})] == ["a"]

    def test_search_errors(self, metadata_store: MetadataStore) -> None:
        with pytest.raises(NotFoundError, match="nope"):
            metadata_store.search_runs(experiment_name="nope")
        with pytest.raises(NotFoundError, match="nope"):
            metadata_store.count_runs(experiment_name="nope")
        with pytest.raises(ValidationError, match="order"):
            metadata_store.search_runs(order_by="name; drop table runs")
        with pytest.raises(ValidationError):
            metadata_store.search_runs(limit=-1)

    def test_search_orders_by_a_metrics_last_value(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        last = {"a": 0.5, "b": 0.9, "c": 0.1, "d": None, "e": "text", "f": math.nan}
        for run_id, value in last.items():
            metadata_store.create_run("e", run_id)
            if value is None:
                continue  # never logged "acc"
            # An earlier step with a higher value must not count, nor one at the last step
            # logged before the last one.
            points = [_point("acc", 100.0, 0), _point("acc", -1.0, 7), _point("acc", value, 7)]
            metadata_store.log_metrics(run_id, points)
        metadata_store.log_metrics("d", [_point("loss", 1.0, 0)])

        def ids(order_by: str, limit: int | None = None, offset: int = 0) -> list[str]:
            records = metadata_store.search_runs(
                experiment_name="e", order_by=order_by, limit=limit, offset=offset
            )
            return [record.run_id for record in records]

        # Runs without a finite last value come last, newest first, in either direction.
        assert ids(metric_order("acc")) == ["b", "a", "c", "f", "e", "d"]
        assert ids(metric_order("acc", descending=False)) == ["c", "a", "b", "f", "e", "d"]
        assert ids("metric:acc DESC", limit=2, offset=1) == ["a", "c"]
        assert ids(metric_order("loss"))[0] == "d"
        with pytest.raises(ValidationError, match="order"):
            metadata_store.search_runs(order_by="metric:acc sideways")
        with pytest.raises(ValidationError, match="order"):
            metadata_store.search_runs(order_by="metric: desc")

    def test_metric_orders_respect_filters(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_experiment("other")
        for index in range(4):
            metadata_store.create_run("e", f"r{index}", tags={"odd": str(index % 2)})
            metadata_store.log_metrics(f"r{index}", [_point("Loss", float(index), 0)])
        metadata_store.create_run("other", "x")
        metadata_store.log_metrics("x", [_point("Loss", 99.0, 0)])
        records = metadata_store.search_runs(
            experiment_name="e", tags={"odd": "1"}, order_by="metric:Loss desc"
        )
        assert [record.run_id for record in records] == ["r3", "r1"]
        # Metric names are case-sensitive.
        records = metadata_store.search_runs(experiment_name="e", order_by="metric:loss desc")
        assert [record.run_id for record in records] == ["r3", "r2", "r1", "r0"]

    # -- tags and properties -------------------------------------------------------------

    def test_tags_are_set_replaced_and_removed(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r", tags={"a": "1"})
        metadata_store.set_tags("r", {"a": "2", "b": "ü"})
        assert metadata_store.get_run("r").tags == {"a": "2", "b": "ü"}
        metadata_store.delete_tag("r", "a")
        assert metadata_store.get_run("r").tags == {"b": "ü"}
        with pytest.raises(NotFoundError, match="a"):
            metadata_store.delete_tag("r", "a")

    def test_properties_are_add_only(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r")
        metadata_store.add_properties("r", {"a": "1"})
        metadata_store.add_properties("r", {"a": "1", "b": "2"})
        with pytest.raises(AlreadyExistsError, match="'a'"):
            metadata_store.add_properties("r", {"c": "3", "a": "changed"})
        assert metadata_store.get_run("r").properties == {"a": "1", "b": "2"}

    def test_experiment_renamed_with_its_runs(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("old")
        metadata_store.create_experiment("taken")
        metadata_store.create_run("old", "r1")
        renamed = metadata_store.update_experiment("old", new_name="new")
        assert renamed.name == "new"
        assert metadata_store.get_run("r1").experiment_name == "new"
        assert [r.run_id for r in metadata_store.search_runs(experiment_name="new")] == ["r1"]
        with pytest.raises(NotFoundError):
            metadata_store.get_experiment("old")
        with pytest.raises(AlreadyExistsError):
            metadata_store.update_experiment("new", new_name="taken")
        with pytest.raises(NotFoundError):
            metadata_store.update_experiment("old", new_name="other")

    def test_experiment_tags_and_deletion_mark(self, metadata_store: MetadataStore) -> None:
        created = metadata_store.create_experiment("e")
        assert (created.tags, created.deleted_time) == ({}, None)
        tagged = metadata_store.update_experiment("e", tags={"team": "vision", "k": "v"})
        assert tagged.tags == {"team": "vision", "k": "v"}
        assert metadata_store.update_experiment("e", remove_tag="k").tags == {"team": "vision"}
        deleted = metadata_store.update_experiment("e", deleted=True)
        assert deleted.deleted_time is not None and deleted.tags == {"team": "vision"}
        assert metadata_store.get_experiment("e").deleted_time == deleted.deleted_time
        assert [r.name for r in metadata_store.list_experiments()] == ["e"]
        assert metadata_store.update_experiment("e", deleted=False).deleted_time is None

    def test_deleted_runs_keep_their_data(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "kept")
        metadata_store.create_run("e", "gone")
        metadata_store.set_tags("gone", {"t": "1"})
        deleted = metadata_store.set_run_deleted("gone", True)
        assert deleted.deleted_time is not None and deleted.tags == {"t": "1"}
        assert metadata_store.get_run("gone").deleted_time == deleted.deleted_time
        active = metadata_store.search_runs(experiment_name="e", deleted=False)
        assert [r.run_id for r in active] == ["kept"]
        marked = metadata_store.search_runs(experiment_name="e", deleted=True)
        assert [r.run_id for r in marked] == ["gone"]
        assert metadata_store.count_runs(experiment_name="e") == 2
        assert metadata_store.set_run_deleted("gone", False).deleted_time is None
        assert metadata_store.count_runs(experiment_name="e", deleted=False) == 2
        with pytest.raises(NotFoundError):
            metadata_store.set_run_deleted("ghost", True)
