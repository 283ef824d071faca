"""Early termination: the SDK's policy rules, and a random sweep whose bad trials are stopped."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sweep_scripts import CURVE_TRAIN

from runlab import Experiment
from runlab.errors import ValidationError
from runlab.jobs import ScriptRunConfig
from runlab.sweeps import (
    BanditPolicy,
    HyperDriveConfig,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    PrimaryMetricGoal,
    RandomParameterSampling,
    TruncationSelectionPolicy,
    choice,
)
from runlab.sweeps.policies import policy_from_dict

# -- the rules ---------------------------------------------------------------------------


def test_bandit_slack_factor_compares_with_the_best_at_the_same_interval() -> None:
    policy = BanditPolicy(evaluation_interval=1, slack_factor=0.1)
    curves = {"good": [0.5, 0.93], "bad": [0.9, 0.81], "close": [0.1, 0.86]}
    assert policy.stop_reason("bad", 2, curves, maximize=True) == (
        "BanditPolicy: 0.81 is below 0.93 / 1.1 at interval 2"
    )
    assert policy.stop_reason("close", 2, curves, maximize=True) is None  # 0.86 > 0.845
    assert policy.stop_reason("good", 2, curves, maximize=True) is None
    # Minimized: above best * (1 + slack).
    losses = {"a": [1.0], "b": [1.2]}
    assert policy.stop_reason("b", 1, losses, maximize=False) == (
        "BanditPolicy: 1.2 is above 1 * 1.1 at interval 1"
    )


def test_bandit_slack_amount() -> None:
    policy = BanditPolicy(slack_amount=0.2)
    curves = {"a": [0.9], "b": [0.71], "c": [0.69]}
    assert policy.stop_reason("b", 1, curves, maximize=True) is None
    reason = policy.stop_reason("c", 1, curves, maximize=True)
    assert reason == "BanditPolicy: 0.69 is below 0.9 - 0.2 at interval 1"


def test_evaluation_interval_and_delay() -> None:
    policy = BanditPolicy(evaluation_interval=2, slack_factor=0.1, delay_evaluation=5)
    assert [n for n in range(1, 11) if policy.evaluates_at(n)] == [6, 8, 10]
    assert not any(NoTerminationPolicy().evaluates_at(n) for n in range(1, 10))


def test_median_stopping_uses_the_best_value_against_running_averages() -> None:
    policy = MedianStoppingPolicy()
    curves = {"a": [0.5, 0.7], "b": [0.6, 0.8], "c": [0.2, 0.3]}
    reason = policy.stop_reason("c", 2, curves, maximize=True)
    assert reason is not None and reason.startswith("MedianStoppingPolicy: the best value 0.3")
    assert policy.stop_reason("b", 2, curves, maximize=True) is None
    assert policy.stop_reason("a", 1, {"a": [0.1]}, maximize=True) is None  # nobody to compare


def test_truncation_stops_the_lowest_percentage() -> None:
    policy = TruncationSelectionPolicy(truncation_percentage=40)
    curves = {"a": [0.9], "b": [0.8], "c": [0.7], "d": [0.2], "e": [0.1]}
    stopped = {run for run in curves if policy.stop_reason(run, 1, curves, maximize=True)}
    assert stopped == {"d", "e"}
    stopped = {run for run in curves if policy.stop_reason(run, 1, curves, maximize=False)}
    assert stopped == {"a", "b"}


@pytest.mark.parametrize(
    ("make", "words"),
    [
        (lambda: BanditPolicy(), "exactly one of slack_factor and slack_amount"),
        (lambda: BanditPolicy(slack_factor=0.1, slack_amount=0.1), "exactly one"),
        (lambda: BanditPolicy(slack_factor=-1), "slack must be a number >= 0"),
        (lambda: BanditPolicy(evaluation_interval=0, slack_factor=0.1), "evaluation_interval"),
        (lambda: TruncationSelectionPolicy(truncation_percentage=100), "1-99"),
        (lambda: MedianStoppingPolicy(delay_evaluation=-1), "delay_evaluation"),
    ],
)
def test_bad_policies_are_refused(make: Callable[[], object], words: str) -> None:
    with pytest.raises(ValidationError, match=words):
        make()


def test_policies_round_trip_as_data() -> None:
    for policy in (
        BanditPolicy(evaluation_interval=2, slack_amount=0.3, delay_evaluation=1),
        MedianStoppingPolicy(evaluation_interval=3),
        TruncationSelectionPolicy(20, exclude_finished_jobs=True),
        NoTerminationPolicy(),
    ):
        assert policy_from_dict(policy.to_dict()).to_dict() == policy.to_dict()


# -- in a sweep --------------------------------------------------------------------------


def test_bandit_stops_the_bad_trials_of_a_random_sweep(
    experiment: Experiment, source: Callable[[str], Path]
) -> None:
    config = HyperDriveConfig(
        run_config=ScriptRunConfig(source(CURVE_TRAIN), "train.py"),
        hyperparameter_sampling=RandomParameterSampling(
            {"--quality": choice(0.1, 0.9)}, properties={"rngSeed": 7}
        ),
        policy=BanditPolicy(evaluation_interval=1, slack_factor=0.2),
        primary_metric_name="accuracy",
        primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
        max_total_runs=8,
        max_concurrent_runs=2,
    )
    run = experiment.submit(config)
    details = run.wait_for_completion()
    assert details["status"] == "Completed"
    trials = {child.id: child for child in run.get_children()}
    assert len(trials) == 8
    quality = {run_id: params["--quality"] for run_id, params in run.get_hyperparameters().items()}
    good = {run_id for run_id, value in quality.items() if value == 0.9}
    bad = set(trials) - good
    assert good and bad, "the seed should draw both kinds"
    for run_id in good:
        assert trials[run_id].get_status() == "Completed"
    canceled = {run_id for run_id in trials if trials[run_id].get_status() == "Canceled"}
    assert canceled, "the policy stopped nothing"
    assert canceled <= bad
    for run_id in canceled:
        error = trials[run_id].get_details()["error"]["error"]
        assert error["message"].startswith("BanditPolicy: 0.1"), error
        assert "is below" in error["message"]
        # It was stopped early: it logged fewer than its 8 intervals.
        logged = trials[run_id].get_metrics()["accuracy"]
        assert not isinstance(logged, list) or len(logged) < 8
    # A bad trial that started once a good one had ended is always stopped.
    first_good_end = min(trials[run_id]._refresh().end_time or 0 for run_id in good)
    for run_id in bad:
        record = trials[run_id]._refresh()
        if (record.start_time or 0) > first_good_end:
            assert run_id in canceled
    best = run.get_best_run_by_primary_metric()
    assert best is not None and best.id in good
