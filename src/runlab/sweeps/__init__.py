"""Sweeps (the SDK's HyperDrive): many runs of one script over its arguments' values,
sampled with Optuna, stopped early by policy, each trial a child run of the sweep's run.

Example:
    >>> from runlab.sweeps import (  # doctest: +SKIP
    ...     BanditPolicy, HyperDriveConfig, PrimaryMetricGoal, RandomParameterSampling, uniform)
    >>> config = HyperDriveConfig(  # doctest: +SKIP
    ...     run_config=ScriptRunConfig("src", "train.py"),
    ...     hyperparameter_sampling=RandomParameterSampling({"--regularization": uniform(0.05, 1)}),
    ...     policy=BanditPolicy(evaluation_interval=1, slack_factor=0.1),
    ...     primary_metric_name="accuracy", primary_metric_goal=PrimaryMetricGoal.MAXIMIZE,
    ...     max_total_runs=20, max_concurrent_runs=2)
    >>> hd_run = experiment.submit(config)  # doctest: +SKIP
    >>> hd_run.wait_for_completion(show_output=True)  # doctest: +SKIP
    >>> best = hd_run.get_best_run_by_primary_metric()  # doctest: +SKIP
"""

from runlab.sweeps.config import HyperDriveConfig, PrimaryMetricGoal
from runlab.sweeps.expressions import (
    ParameterExpression,
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
from runlab.sweeps.policies import (
    BanditPolicy,
    EarlyTerminationPolicy,
    MedianStoppingPolicy,
    NoTerminationPolicy,
    TruncationSelectionPolicy,
)
from runlab.sweeps.run import HyperDriveRun, is_sweep, trial_info
from runlab.sweeps.sampling import (
    BayesianParameterSampling,
    GridParameterSampling,
    ParameterSampling,
    RandomParameterSampling,
)

__all__ = [
    "BanditPolicy",
    "BayesianParameterSampling",
    "EarlyTerminationPolicy",
    "GridParameterSampling",
    "HyperDriveConfig",
    "HyperDriveRun",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "ParameterExpression",
    "ParameterSampling",
    "PrimaryMetricGoal",
    "RandomParameterSampling",
    "TruncationSelectionPolicy",
    "choice",
    "is_sweep",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "trial_info",
    "uniform",
]
