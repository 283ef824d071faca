"""Parameter expressions with the SDK's conventions; samplings; Bayesian beats random."""

from __future__ import annotations

import math
import statistics
from collections.abc import Callable
from pathlib import Path

import optuna
import pytest
from sweep_scripts import QUADRATIC

from runlab import Experiment
from runlab.errors import ValidationError
from runlab.jobs import ScriptRunConfig
from runlab.sweeps import (
    BayesianParameterSampling,
    GridParameterSampling,
    HyperDriveConfig,
    ParameterSampling,
    PrimaryMetricGoal,
    RandomParameterSampling,
    choice,
    lognormal,
    loguniform,
    normal,
    qlognormal,
    qloguniform,
    qnormal,
    quniform,
    randint,
    uniform,
)
from runlab.sweeps.arguments import with_parameters
from runlab.sweeps.controller import sweep_folder
from runlab.sweeps.expressions import expression_from_dict
from runlab.sweeps.sampling import sampling_from_dict


def _draw(sampling: ParameterSampling, count: int) -> list[dict[str, object]]:
    study = optuna.create_study(sampler=sampling.make_sampler())
    drawn = []
    for _ in range(count):
        trial = study.ask(sampling.distributions())
        drawn.append(sampling.values(trial.params))
        study.tell(trial, 0.0)
    return drawn


def test_expressions_follow_the_sdk_conventions() -> None:
    space = {
        "--c": choice(["a", "b"]),
        "--r": randint(3),
        "--u": uniform(2, 4),
        "--qu": quniform(0, 10, 2),
        "--lu": loguniform(-3, 0),  # exp(uniform(-3, 0)): the bounds are exponents
        "--qlu": qloguniform(0, 3, 5),
        "--n": normal(10, 1),
        "--qn": qnormal(10, 1, 0.5),
        "--ln": lognormal(0, 0.1),
        "--qln": qlognormal(0, 0.1, 0.25),
    }
    drawn = _draw(RandomParameterSampling(space, seed=1), 300)
    assert {row["--c"] for row in drawn} == {"a", "b"}
    assert {row["--r"] for row in drawn} == {0, 1, 2}
    assert all(2 <= row["--u"] <= 4 for row in drawn)  # type: ignore[operator]
    assert {row["--qu"] for row in drawn} <= {0, 2, 4, 6, 8, 10}
    assert all(math.exp(-3) <= row["--lu"] <= 1 for row in drawn)  # type: ignore[operator]
    assert all(float(row["--qlu"]) % 5 == 0 for row in drawn)  # type: ignore[arg-type]
    normals = [float(row["--n"]) for row in drawn]  # type: ignore[arg-type]
    assert 9.7 < statistics.fmean(normals) < 10.3
    assert 0.8 < statistics.stdev(normals) < 1.2
    assert all(float(row["--qn"]) % 0.5 == 0 for row in drawn)  # type: ignore[arg-type]
    assert all(row["--ln"] > 0 for row in drawn)  # type: ignore[operator]
    assert all(float(row["--qln"]) % 0.25 == 0 for row in drawn)  # type: ignore[arg-type]


def test_choice_takes_options_or_a_list_or_a_range() -> None:
    assert choice(1, 2).grid_values() == [1, 2]
    assert choice([1, 2]).grid_values() == [1, 2]
    assert choice(range(1, 4)).grid_values() == [1, 2, 3]


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: choice(), "at least one option"),
        (lambda: uniform(1, 1), "min_value < max_value"),
        (lambda: quniform(0, 1, 0), "q must be positive"),
        (lambda: normal(0, -1), "sigma must be positive"),
        (lambda: randint(0), "upper >= 1"),
        (lambda: uniform("a", 2), "min_value must be a finite number"),
    ],
)
def test_bad_expressions(make: Callable[[], object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        make()


def test_grid_enumerates_every_combination() -> None:
    grid = GridParameterSampling({"--a": choice(1, 2, 3), "b": choice("x", "y")})
    assert grid.capacity() == 6
    assert list(grid.parameter_space) == ["--a", "--b"]  # a bare name is an argument too
    points = [grid.values(raw) for raw in grid.grid()]
    assert len({tuple(point.items()) for point in points}) == 6


def test_samplings_and_expressions_round_trip_as_data() -> None:
    sampling = BayesianParameterSampling({"--a": choice(1, 2), "--b": quniform(0, 1, 0.1)}, seed=4)
    again = sampling_from_dict(sampling.to_dict())
    assert isinstance(again, BayesianParameterSampling)
    assert again.to_dict() == sampling.to_dict()
    expression = qlognormal(1, 2, 3)
    assert expression_from_dict(expression.to_dict()) == expression


def test_trial_arguments_replace_or_append() -> None:
    assert with_parameters(["--data", "/d", "--reg", "0.8"], {"--reg": 0.5, "--iter": 9}) == [
        "--data",
        "/d",
        "--reg",
        "0.5",
        "--iter",
        "9",
    ]
    assert with_parameters(["--reg=0.8"], {"--reg": 0.1}) == ["--reg=0.1"]


@pytest.mark.slow
def test_bayesian_finds_a_better_value_than_random_with_the_same_budget(
    experiment: Experiment, source: Callable[[str], Path]
) -> None:
    folder = source(QUADRATIC)
    space = {"--x": uniform(-2, 2), "--y": uniform(-2, 2)}

    def best_loss(sampling: ParameterSampling) -> float:
        config = HyperDriveConfig(
            run_config=ScriptRunConfig(folder, "train.py"),
            hyperparameter_sampling=sampling,
            primary_metric_name="loss",
            primary_metric_goal=PrimaryMetricGoal.MINIMIZE,
            max_total_runs=30,
            max_concurrent_runs=2,
        )
        run = experiment.submit(config)
        assert run.wait_for_completion()["status"] == "Completed"
        best = run.get_children_sorted_by_primary_metric(top=1)[0]
        return float(best["best_primary_metric"])

    seeds = [11, 12, 13]
    bayesian = [best_loss(BayesianParameterSampling(space, seed=seed)) for seed in seeds]
    random = [best_loss(RandomParameterSampling(space, seed=seed)) for seed in seeds]
    wins = sum(b < r for b, r in zip(bayesian, random, strict=True))
    assert wins >= 2, (bayesian, random)
    assert statistics.fmean(bayesian) < statistics.fmean(random), (bayesian, random)


def test_resume_from_warm_starts_from_an_earlier_sweep(
    experiment: Experiment, source: Callable[[str], Path]
) -> None:
    from runlab.errors import NotFoundError

    folder = source(QUADRATIC)

    def config(seed: int, resume_from: object = None) -> HyperDriveConfig:
        return HyperDriveConfig(
            run_config=ScriptRunConfig(folder, "train.py"),
            hyperparameter_sampling=BayesianParameterSampling(
                {"--x": uniform(-2, 2), "--y": uniform(-2, 2)}, seed=seed
            ),
            primary_metric_name="loss",
            primary_metric_goal=PrimaryMetricGoal.MINIMIZE,
            max_total_runs=4,
            max_concurrent_runs=2,
            resume_from=resume_from,
        )

    with pytest.raises(NotFoundError):
        experiment.submit(config(1, resume_from="no-such-sweep"))
    first = experiment.submit(config(1))
    assert first.wait_for_completion()["status"] == "Completed"
    second = experiment.submit(config(2, resume_from=first))
    assert second.wait_for_completion()["status"] == "Completed"
    assert len(list(second.get_children())) == 4  # the earlier trials are not counted
    rows = first.get_children_sorted_by_primary_metric() + (
        second.get_children_sorted_by_primary_metric()
    )
    best_of_both = min(rows, key=lambda row: row["best_primary_metric"])["run_id"]
    best = second.get_best_run_by_primary_metric()
    assert best is not None and best.id == best_of_both
    log = (sweep_folder() / f"{second.id}.controller.log").read_text()
    assert f"warm start from {first.id}: 4 trials" in log
