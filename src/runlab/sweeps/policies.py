"""Early termination: the SDK's rules for stopping trials whose primary metric lags.

Each time a trial logs its primary metric counts as one *interval*. A policy evaluates a
trial at interval ``n`` when ``n`` is a multiple of ``evaluation_interval`` and at least
``delay_evaluation``, comparing the trial's ``n``-th value with the ``n``-th values (or the
first ``n``) of every trial that has reached interval ``n``, finished trials included.

The rules are the SDK's, not Optuna's pruners: Optuna's ``MedianPruner`` compares a trial's
value at a step with the median of the others' values at that step, where the SDK's median
rule compares the trial's best value with the median of the others' running averages; and
Optuna has no bandit slack nor truncation by percentage. So the rules are written here, each
in a few lines, and each decision carries the reason a user reads on the stopped trial.
"""

from __future__ import annotations

import statistics
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from runlab.errors import ValidationError

__all__ = [
    "BanditPolicy",
    "EarlyTerminationPolicy",
    "MedianStoppingPolicy",
    "NoTerminationPolicy",
    "TruncationSelectionPolicy",
    "policy_from_dict",
]

Curves = Mapping[str, Sequence[float]]
"""Each trial's primary metric values so far, in the order logged, by run id."""


def _count(name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ValidationError(f"{name} must be an integer >= {minimum}, not {value!r}")
    return value


def _better(a: float, b: float, maximize: bool) -> bool:
    return a > b if maximize else a < b


class EarlyTerminationPolicy:
    """The base of the policies: when to evaluate.

    Args:
        evaluation_interval: evaluate every this many intervals.
        delay_evaluation: the first evaluation is at this interval or later.
    """

    kind: ClassVar[str] = ""

    def __init__(self, evaluation_interval: int = 1, delay_evaluation: int = 0) -> None:
        self.evaluation_interval = _count("evaluation_interval", evaluation_interval, 1)
        self.delay_evaluation = _count("delay_evaluation", delay_evaluation, 0)

    @property
    def stops_trials(self) -> bool:
        """Whether the policy can stop a trial at all."""
        return True

    def evaluates_at(self, interval: int) -> bool:
        """Whether the policy evaluates a trial when it reaches ``interval`` (from 1)."""
        return (
            self.stops_trials
            and interval >= max(1, self.delay_evaluation)
            and interval % self.evaluation_interval == 0
        )

    def stop_reason(self, run_id: str, interval: int, curves: Curves, maximize: bool) -> str | None:
        """Why trial ``run_id`` should stop at ``interval``, or None to let it go on.

        Args:
            run_id: the trial evaluated; ``curves[run_id]`` has at least ``interval`` values.
            interval: the interval it reached.
            curves: every trial's values so far (itself included).
            maximize: whether a larger primary metric is better.
        """
        return None

    def _arguments(self) -> dict[str, Any]:
        return {
            "evaluation_interval": self.evaluation_interval,
            "delay_evaluation": self.delay_evaluation,
        }

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data :func:`policy_from_dict` reads back."""
        return {"kind": self.kind, **self._arguments()}

    def __repr__(self) -> str:
        arguments = ", ".join(f"{key}={value!r}" for key, value in self._arguments().items())
        return f"{type(self).__name__}({arguments})"


class NoTerminationPolicy(EarlyTerminationPolicy):
    """Never stops a trial early."""

    kind = "none"

    def __init__(self) -> None:
        super().__init__()

    @property
    def stops_trials(self) -> bool:
        """Never."""
        return False

    def _arguments(self) -> dict[str, Any]:
        return {}


class BanditPolicy(EarlyTerminationPolicy):
    """Stops a trial whose value falls outside the slack of the best value at that interval.

    With ``slack_factor`` a trial of a maximized metric stops when its value is below
    ``best / (1 + slack_factor)`` (above ``best * (1 + slack_factor)`` when minimized); with
    ``slack_amount`` when it is below ``best - slack_amount`` (above ``best + slack_amount``).

    Raises:
        ValidationError: neither or both of ``slack_factor`` and ``slack_amount``, or a
            negative one.
    """

    kind = "bandit"

    def __init__(
        self,
        evaluation_interval: int = 1,
        slack_factor: float | None = None,
        slack_amount: float | None = None,
        delay_evaluation: int = 0,
    ) -> None:
        super().__init__(evaluation_interval, delay_evaluation)
        if (slack_factor is None) == (slack_amount is None):
            raise ValidationError("BanditPolicy needs exactly one of slack_factor and slack_amount")
        slack = slack_factor if slack_factor is not None else slack_amount
        if isinstance(slack, bool) or not isinstance(slack, int | float) or slack < 0:
            raise ValidationError(f"BanditPolicy's slack must be a number >= 0, not {slack!r}")
        self.slack_factor = None if slack_factor is None else float(slack_factor)
        self.slack_amount = None if slack_amount is None else float(slack_amount)

    def stop_reason(self, run_id: str, interval: int, curves: Curves, maximize: bool) -> str | None:
        """See the class docstring."""
        at_interval = [curve[interval - 1] for curve in curves.values() if len(curve) >= interval]
        best = max(at_interval) if maximize else min(at_interval)
        value = curves[run_id][interval - 1]
        if self.slack_factor is not None:
            factor = 1 + self.slack_factor
            limit, shown = (
                (best / factor, f"{best:.4g} / {factor:.4g}")
                if maximize
                else (best * factor, f"{best:.4g} * {factor:.4g}")
            )
        else:
            amount = self.slack_amount or 0.0
            sign = "-" if maximize else "+"
            limit = best - amount if maximize else best + amount
            shown = f"{best:.4g} {sign} {amount:.4g}"
        if not _better(limit, value, maximize):
            return None
        side = "below" if maximize else "above"
        return f"BanditPolicy: {value:.4g} is {side} {shown} at interval {interval}"

    def _arguments(self) -> dict[str, Any]:
        return super()._arguments() | {
            "slack_factor": self.slack_factor,
            "slack_amount": self.slack_amount,
        }


class MedianStoppingPolicy(EarlyTerminationPolicy):
    """Stops a trial whose best value so far is worse than the median of the other trials'
    running averages (the mean of their first ``n`` values) at interval ``n``."""

    kind = "median"

    def stop_reason(self, run_id: str, interval: int, curves: Curves, maximize: bool) -> str | None:
        """See the class docstring."""
        averages = [
            statistics.fmean(curve[:interval])
            for other, curve in curves.items()
            if other != run_id and len(curve) >= interval
        ]
        if not averages:
            return None
        median = statistics.median(averages)
        own = curves[run_id][:interval]
        best = max(own) if maximize else min(own)
        if not _better(median, best, maximize):
            return None
        return (
            f"MedianStoppingPolicy: the best value {best:.4g} is worse than the median"
            f" {median:.4g} of the running averages at interval {interval}"
        )


class TruncationSelectionPolicy(EarlyTerminationPolicy):
    """At each evaluation, stops a trial whose value is among the lowest
    ``truncation_percentage`` percent of the values at that interval.

    Args:
        truncation_percentage: 1 to 99.
        exclude_finished_jobs: rank only trials still running.

    Raises:
        ValidationError: a percentage outside 1-99.
    """

    kind = "truncation"

    def __init__(
        self,
        truncation_percentage: int,
        evaluation_interval: int = 1,
        delay_evaluation: int = 0,
        exclude_finished_jobs: bool = False,
    ) -> None:
        super().__init__(evaluation_interval, delay_evaluation)
        percentage = _count("truncation_percentage", truncation_percentage, 1)
        if percentage > 99:
            raise ValidationError(f"truncation_percentage must be 1-99, not {percentage}")
        self.truncation_percentage = percentage
        self.exclude_finished_jobs = bool(exclude_finished_jobs)

    def stop_reason(self, run_id: str, interval: int, curves: Curves, maximize: bool) -> str | None:
        """See the class docstring (finished trials are in ``curves`` unless excluded by the
        caller)."""
        ranked = sorted(
            (curve[interval - 1], other)
            for other, curve in curves.items()
            if len(curve) >= interval
        )
        if not maximize:
            ranked.reverse()
        cut = len(ranked) * self.truncation_percentage // 100
        worst = {other for _value, other in ranked[:cut]}
        if run_id not in worst:
            return None
        value = curves[run_id][interval - 1]
        return (
            f"TruncationSelectionPolicy: {value:.4g} is in the lowest"
            f" {self.truncation_percentage}% of {len(ranked)} trials at interval {interval}"
        )

    def _arguments(self) -> dict[str, Any]:
        return super()._arguments() | {
            "truncation_percentage": self.truncation_percentage,
            "exclude_finished_jobs": self.exclude_finished_jobs,
        }


_KINDS: dict[str, type[EarlyTerminationPolicy]] = {
    policy.kind: policy
    for policy in (
        NoTerminationPolicy,
        BanditPolicy,
        MedianStoppingPolicy,
        TruncationSelectionPolicy,
    )
}


def policy_from_dict(data: Mapping[str, Any]) -> EarlyTerminationPolicy:
    """The policy :meth:`EarlyTerminationPolicy.to_dict` wrote.

    Raises:
        ValidationError: unknown kind or bad arguments.
    """
    arguments = dict(data)
    kind = _KINDS.get(str(arguments.pop("kind", None)))
    if kind is None:
        raise ValidationError(f"unknown early termination policy {data.get('kind')!r}")
    return kind(**arguments)
