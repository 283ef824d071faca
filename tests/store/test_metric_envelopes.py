"""The SQLite store's metric envelopes: the same points the UI's own downsampling keeps from
the whole history, gaps and a zoomed window included, and None where a store has no fast way."""

from __future__ import annotations

import math
import time

from runlab.entities import Metric
from runlab.server.ui.series import downsample
from runlab.store import MetadataStore
from runlab.tracking import Experiment, Workspace


def _value(step: int) -> float:
    # distinct values (no ties in a bucket), with a shape: a falling wave
    return math.sin(step / 7.0) / (1 + step / 50) + step * 1e-9


def test_envelopes_keep_each_buckets_lowest_and_highest_point(workspace: Workspace) -> None:
    run = Experiment(workspace, "env").start_logging()
    now = time.time()
    points = [Metric("wave", _value(step), step, now) for step in range(1000)]
    points += [Metric("short", 1.0, 0, now), Metric("short", math.nan, 1, now)]
    points += [Metric("short", 3, 2, now), Metric("label", "x", 0, now)]
    workspace.store.log_metrics(run.id, points)
    run.complete()

    envelopes = workspace.store.get_metric_envelopes(run.id, points=100)
    assert envelopes is not None and sorted(envelopes) == ["short", "wave"]
    wave = envelopes["wave"]
    expected = downsample(list(range(1000)), [_value(step) for step in range(1000)], 100)
    assert (wave.steps, wave.values) == expected
    assert wave.total == 1000 and wave.last_step == 999 and wave.sampled
    short = envelopes["short"]
    assert short.steps == [0, 1, 2] and short.values == [1.0, None, 3.0] and not short.sampled

    zoomed = workspace.store.get_metric_envelopes(
        run.id, points=100, name="wave", start=500, end=540
    )
    assert zoomed is not None and list(zoomed) == ["wave"]
    assert zoomed["wave"].steps == list(range(499, 542)) and not zoomed["wave"].sampled
    assert zoomed["wave"].last_step == 999


def test_the_base_store_says_it_has_no_fast_way(workspace: Workspace) -> None:
    run = Experiment(workspace, "env").start_logging()
    assert MetadataStore.get_metric_envelopes(workspace.store, run.id, points=10) is None


def test_a_zoomed_window_too_long_to_show_whole_is_cut_by_its_own_steps(
    workspace: Workspace,
) -> None:
    run = Experiment(workspace, "env").start_logging()
    now = time.time()
    workspace.store.log_metrics(
        run.id, [Metric("wave", _value(step), step, now) for step in range(1000)]
    )
    run.complete()
    envelopes = workspace.store.get_metric_envelopes(
        run.id, points=50, name="wave", start=101, end=498
    )
    assert envelopes is not None
    window = envelopes["wave"]
    assert window.sampled and window.total == 400 and window.last_step == 999
    assert (window.steps, window.values) == downsample(
        list(range(100, 500)), [_value(step) for step in range(100, 500)], 50
    )
