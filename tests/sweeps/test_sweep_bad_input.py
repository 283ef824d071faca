"""Bad input: refused at once with a clear error, or a clear failure of the sweep."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sweep_scripts import CURVE_TRAIN

from runlab import Experiment
from runlab.errors import JobFailedError, ValidationError
from runlab.jobs import ScriptRunConfig
from runlab.sweeps import (
    BanditPolicy,
    BayesianParameterSampling,
    GridParameterSampling,
    HyperDriveConfig,
    PrimaryMetricGoal,
    RandomParameterSampling,
    choice,
    normal,
    uniform,
)

BROKEN = """
import argparse
parser = argparse.ArgumentParser()
parser.add_argument("--quality", type=float)
parser.add_argument("--intervals", type=int)
parser.parse_args()
raise RuntimeError("this script is broken")
"""


def _config(folder: Path, **overrides: Any) -> HyperDriveConfig:
    options: dict[str, Any] = {
        "run_config": ScriptRunConfig(folder, "train.py", arguments=["--intervals", 3]),
        "hyperparameter_sampling": RandomParameterSampling({"--quality": choice(0.2, 0.9)}),
        "primary_metric_name": "accuracy",
        "primary_metric_goal": PrimaryMetricGoal.MAXIMIZE,
        "max_total_runs": 4,
        "max_concurrent_runs": 2,
    }
    return HyperDriveConfig(**(options | overrides))


def test_an_empty_space_is_refused() -> None:
    with pytest.raises(ValidationError, match="the parameter space is empty"):
        RandomParameterSampling({})


def test_grid_takes_choice_only() -> None:
    with pytest.raises(ValidationError, match=r"grid sampling takes choice\(\) only.*'--lr'"):
        GridParameterSampling({"--lr": uniform(0.01, 0.1), "--batch": choice(16, 32)})


def test_bayesian_refuses_other_expressions_and_policies(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="Bayesian sampling takes choice, uniform, quniform"):
        BayesianParameterSampling({"--lr": normal(0, 1)})
    sampling = BayesianParameterSampling({"--quality": uniform(0, 1)})
    with pytest.raises(ValidationError, match="takes no early termination policy"):
        _config(
            tmp_path,
            hyperparameter_sampling=sampling,
            policy=BanditPolicy(slack_factor=0.1),
        )


def test_max_concurrent_runs_above_max_total_runs(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match=r"max_concurrent_runs \(5\) is above max_total_runs"):
        _config(tmp_path, max_total_runs=3, max_concurrent_runs=5)


@pytest.mark.parametrize(
    ("overrides", "words"),
    [
        ({"max_total_runs": 0}, "max_total_runs must be an integer >= 1"),
        ({"primary_metric_goal": "largest"}, "primary_metric_goal must be"),
        ({"primary_metric_name": ""}, "primary_metric_name must name"),
        ({"run_config": None}, "exactly one of run_config and estimator"),
        ({"hyperparameter_sampling": {"--quality": choice(1, 2)}}, "hyperparameter_sampling"),
        ({"max_duration_minutes": 0}, "max_duration_minutes must be a positive number"),
    ],
)
def test_bad_config_values(tmp_path: Path, overrides: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        _config(tmp_path, **overrides)


def test_a_key_that_is_not_an_argument_of_the_script(
    experiment: Experiment, source: Callable[[str], Path]
) -> None:
    config = _config(
        source(CURVE_TRAIN),
        hyperparameter_sampling=RandomParameterSampling({"--learning-rate": uniform(0, 1)}),
    )
    with pytest.raises(ValidationError, match=r"'--learning-rate' is not an argument of train\.py"):
        experiment.submit(config)
    assert list(experiment.get_runs()) == []  # nothing was started


def test_an_unknown_primary_metric_fails_the_sweep_at_the_first_evaluation(
    experiment: Experiment, source: Callable[[str], Path]
) -> None:
    config = _config(
        source(CURVE_TRAIN),
        primary_metric_name="acc",
        policy=BanditPolicy(evaluation_interval=1, slack_factor=0.1, delay_evaluation=2),
        max_total_runs=6,
    )
    run = experiment.submit(config)
    with pytest.raises(JobFailedError, match="no trial logs the primary metric 'acc'") as caught:
        run.wait_for_completion()
    message = caught.value.details["error"]["error"]["message"]
    assert "logged 'accuracy'" in message
    assert "set primary_metric_name" in message
    assert run.get_status() == "Failed"
    # It failed at the first evaluation, not after running every trial.
    children = list(run.get_children())
    assert len(children) < 6
    assert all(child.get_status() in ("Completed", "Canceled") for child in children)


def test_a_script_that_always_fails_fails_the_sweep(
    experiment: Experiment, source: Callable[[str], Path]
) -> None:
    run = experiment.submit(_config(source(BROKEN), max_total_runs=10))
    with pytest.raises(JobFailedError, match="the first 3 trials failed") as caught:
        run.wait_for_completion()
    message = caught.value.details["error"]["error"]["message"]
    assert "exited with code 1 (RuntimeError: this script is broken)" in message
    assert len(list(run.get_children())) < 10
