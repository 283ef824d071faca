"""The SQL stores' metric envelopes (SQLite and PostgreSQL): the same points the UI's own
downsampling keeps from the whole history, gaps and zoomed windows included; and None where a
store has no fast way."""

from __future__ import annotations

import math
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from runlab.entities import Metric
from runlab.server.ui.series import downsample
from runlab.store import MetadataStore, SqlMetadataStore


@pytest.fixture(params=["sqlite", "postgresql"])
def metadata_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[MetadataStore]:
    url = (
        f"sqlite:///{tmp_path}/metadata.db"
        if request.param == "sqlite"
        else request.getfixturevalue("postgres_url")
    )
    with SqlMetadataStore(url) as store:
        yield store


def _value(step: int) -> float:
    # distinct values (no ties in a bucket), with a shape: a falling wave
    return math.sin(step / 7.0) / (1 + step / 50) + step * 1e-9


def _run_with_a_wave(store: MetadataStore, extra: list[Metric]) -> str:
    store.create_experiment("env")
    run_id = store.create_run("env", "env_1").run_id
    now = time.time()
    store.log_metrics(run_id, [Metric("wave", _value(step), step, now) for step in range(1000)])
    store.log_metrics(run_id, extra)
    return run_id


def test_envelopes_keep_each_buckets_lowest_and_highest_point(
    metadata_store: MetadataStore,
) -> None:
    now = time.time()
    extra = [Metric("short", 1.0, 0, now), Metric("short", math.nan, 1, now)]
    extra += [Metric("short", 3, 2, now), Metric("label", "x", 0, now)]
    run_id = _run_with_a_wave(metadata_store, extra)

    envelopes = metadata_store.get_metric_envelopes(run_id, points=100)
    assert envelopes is not None and sorted(envelopes) == ["short", "wave"]
    wave = envelopes["wave"]
    expected = downsample(list(range(1000)), [_value(step) for step in range(1000)], 100)
    assert (wave.steps, wave.values) == expected
    assert wave.total == 1000 and wave.last_step == 999 and wave.sampled
    short = envelopes["short"]
    assert short.steps == [0, 1, 2] and short.values == [1.0, None, 3.0] and not short.sampled

    zoomed = metadata_store.get_metric_envelopes(
        run_id, points=100, name="wave", start=500, end=540
    )
    assert zoomed is not None and list(zoomed) == ["wave"]
    assert zoomed["wave"].steps == list(range(499, 542)) and not zoomed["wave"].sampled
    assert zoomed["wave"].last_step == 999


def test_a_zoomed_window_too_long_to_show_whole_is_cut_by_its_own_steps(
    metadata_store: MetadataStore,
) -> None:
    run_id = _run_with_a_wave(metadata_store, [])
    envelopes = metadata_store.get_metric_envelopes(
        run_id, points=50, name="wave", start=101, end=498
    )
    assert envelopes is not None
    window = envelopes["wave"]
    assert window.sampled and window.total == 400 and window.last_step == 999
    assert (window.steps, window.values) == downsample(
        list(range(100, 500)), [_value(step) for step in range(100, 500)], 50
    )


def test_the_base_store_says_it_has_no_fast_way(metadata_store: MetadataStore) -> None:
    run_id = _run_with_a_wave(metadata_store, [])
    assert MetadataStore.get_metric_envelopes(metadata_store, run_id, points=10) is None
