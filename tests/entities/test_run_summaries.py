"""What every view of a run shows, computed once: its duration, its numeric histories and the
last value of each metric."""

from __future__ import annotations

import math
import time
from typing import Any

from runlab.entities import (
    MetricHistory,
    MetricKind,
    RunRecord,
    RunStatus,
    finite_number,
    last_values,
    numeric_histories,
)


def _record(
    status: RunStatus, start_time: float | None = None, end_time: float | None = None
) -> RunRecord:
    return RunRecord(
        run_id="exp_1_ab",
        experiment_name="exp",
        number=1,
        status=status,
        parent_run_id=None,
        display_name="exp_1_ab",
        target="local",
        created_time=100.0,
        start_time=start_time,
        end_time=end_time,
        tags={},
        properties={},
    )


def _history(name: str, values: list[Any], kind: MetricKind = MetricKind.SCALAR) -> MetricHistory:
    steps = list(range(len(values)))
    return MetricHistory(name, kind, steps, values, [1000.0 + step for step in steps])


# -- duration ----------------------------------------------------------------------------


def test_a_run_not_started_has_no_duration() -> None:
    assert _record(RunStatus.QUEUED).duration() is None
    assert _record(RunStatus.QUEUED).duration(now=500.0) is None


def test_a_finished_run_lasts_from_start_to_end_whatever_now_is() -> None:
    record = _record(RunStatus.COMPLETED, start_time=110.0, end_time=135.5)
    assert record.duration() == 25.5
    assert record.duration(now=10_000.0) == 25.5


def test_a_running_run_lasts_until_now() -> None:
    record = _record(RunStatus.RUNNING, start_time=110.0)
    assert record.duration(now=150.0) == 40.0
    assert record.duration(now=0.0) == 0.0  # a now of 0 is a now, not "no now"
    before = time.time() - 110.0
    measured = record.duration()
    assert measured is not None and measured >= before


def test_clock_skew_reads_as_zero_not_negative() -> None:
    # The end stamped by a machine whose clock is behind the one that stamped the start.
    assert _record(RunStatus.COMPLETED, start_time=200.0, end_time=199.2).duration() == 0.0
    # A watcher whose clock is behind the job's.
    assert _record(RunStatus.RUNNING, start_time=200.0).duration(now=150.0) == 0.0


# -- numeric histories -------------------------------------------------------------------


def test_finite_number_keeps_only_what_a_chart_can_draw() -> None:
    assert finite_number(3) == 3.0 and isinstance(finite_number(3), float)
    assert finite_number(0.25) == 0.25
    for value in (True, "0.5", math.nan, math.inf, -math.inf, [1.0], None):
        assert finite_number(value) is None, value


def test_numeric_histories_keep_scalar_numbers_with_gaps() -> None:
    histories = {
        "loss": _history("loss", [1.0, math.nan, 3, "diverged", math.inf]),
        "phase": _history("phase", ["warmup", "train"]),
        "flags": _history("flags", [True, False]),
        "sizes": _history("sizes", [[1, 2], [3]], MetricKind.LIST),
        "row": _history("row", [{"a": 1}], MetricKind.ROW),
        "empty": _history("empty", []),
        "acc": _history("acc", [0.5, 0.75]),
    }
    drawable = numeric_histories(histories)
    assert list(drawable) == ["loss", "acc"]  # the order given, nothing to draw left out
    assert drawable["loss"].values == [1.0, None, 3.0, None, None]
    assert drawable["loss"].steps == [0, 1, 2, 3, 4]
    assert drawable["loss"].timestamps == histories["loss"].timestamps
    assert drawable["loss"].kind is MetricKind.SCALAR
    assert drawable["acc"].values == [0.5, 0.75]


def test_numeric_histories_leave_the_store_records_alone() -> None:
    history = _history("loss", [1.0, math.nan])
    drawable = numeric_histories({"loss": history})
    drawable["loss"].steps.append(99)
    assert history.steps == [0, 1] and math.isnan(history.values[1])


# -- last values -------------------------------------------------------------------------


def test_last_values_whatever_the_kind() -> None:
    histories = {
        "loss": _history("loss", [1.0, 0.5, math.nan]),
        "phase": _history("phase", ["warmup", "train"]),
        "sizes": _history("sizes", [[1, 2], [3]], MetricKind.LIST),
        "empty": _history("empty", []),
    }
    last = last_values(histories)
    assert list(last) == ["loss", "phase", "sizes"]
    assert math.isnan(last["loss"])
    assert last["phase"] == "train"
    assert last["sizes"] == [3]


def test_no_histories_no_values() -> None:
    assert last_values({}) == {}
    assert numeric_histories({}) == {}
