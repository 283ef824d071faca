"""How a sweep draws its trials' parameters: every combination, at random, or guided (Bayesian).

Random and Bayesian sampling are Optuna samplers (``RandomSampler``; ``TPESampler`` or
``GPSampler``) asked through Optuna's ask-and-tell interface. Grid sampling enumerates the
combinations itself, in a fixed order, so a restarted sweep knows exactly which are left.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar

from runlab.errors import ValidationError
from runlab.sweeps.expressions import ParameterExpression, expression_from_dict

if TYPE_CHECKING:  # Optuna is imported where a sweep runs, not with runlab's CLI
    import optuna

__all__ = [
    "BayesianParameterSampling",
    "GridParameterSampling",
    "ParameterSampling",
    "RandomParameterSampling",
    "sampling_from_dict",
]

BAYESIAN_KINDS = ("choice", "uniform", "quniform")
"""The expressions Bayesian sampling takes, as in the SDK."""


def _argument_key(key: object) -> str:
    if not isinstance(key, str) or not key.strip("-").strip():
        raise ValidationError(
            f"a parameter space key must be the script's argument, like '--regularization',"
            f" not {key!r}"
        )
    return key if key.startswith("-") else f"--{key}"


class ParameterSampling:
    """The base of the samplings: a parameter space of script arguments and expressions.

    Args:
        parameter_space: ``{"--argument": expression}``; a key without a leading ``-`` gets
            ``--`` (Estimator ``script_params`` names).
        properties: the SDK's sampler properties; ``rngSeed`` seeds the sampler.
        seed: the sampler's seed (overrides ``properties["rngSeed"]``).

    Raises:
        ValidationError: an empty space, a key that is not an argument name, a value that
            is not a parameter expression.
    """

    kind: ClassVar[str] = ""
    supports_early_termination: ClassVar[bool] = True

    def __init__(
        self,
        parameter_space: Mapping[str, ParameterExpression],
        properties: Mapping[str, Any] | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        if not isinstance(parameter_space, Mapping) or not parameter_space:
            raise ValidationError(
                "the parameter space is empty: give at least one"
                " {'--argument': choice(...) | uniform(...) | ...}"
            )
        space: dict[str, ParameterExpression] = {}
        for key, expression in parameter_space.items():
            if not isinstance(expression, ParameterExpression):
                raise ValidationError(
                    f"the parameter space's {key!r} must be a parameter expression (choice,"
                    f" uniform, ...), not {type(expression).__name__}"
                )
            space[_argument_key(key)] = expression
        self.parameter_space = space
        self.properties = dict(properties or {})
        rng_seed = self.properties.get("rngSeed")
        self.seed = seed if seed is not None else (None if rng_seed is None else int(rng_seed))

    def distributions(self) -> dict[str, optuna.distributions.BaseDistribution]:
        """The Optuna distribution of each key's raw value."""
        return {key: value.distribution() for key, value in self.parameter_space.items()}

    def values(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Each key's value from the raw values a sampler drew."""
        return {key: self.parameter_space[key].value(raw[key]) for key in self.parameter_space}

    def make_sampler(self) -> optuna.samplers.BaseSampler:
        """The Optuna sampler that draws this sampling's raw values."""
        import optuna

        return optuna.samplers.RandomSampler(seed=self.seed)

    def capacity(self) -> int | None:
        """How many distinct trials there are (None: unbounded)."""
        return None

    def to_dict(self) -> dict[str, Any]:
        """JSON-able data :func:`sampling_from_dict` reads back."""
        return {
            "kind": self.kind,
            "parameter_space": {
                key: value.to_dict() for key, value in self.parameter_space.items()
            },
            "properties": self.properties,
            "seed": self.seed,
        }

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.parameter_space!r})"


class RandomParameterSampling(ParameterSampling):
    """Each trial's values drawn at random from every expression (Optuna's RandomSampler)."""

    kind = "random"


class GridParameterSampling(ParameterSampling):
    """Every combination of ``choice`` values, each once, in the order of the keys.

    Raises:
        ValidationError: a key whose expression is not ``choice``.
    """

    kind = "grid"

    def __init__(
        self,
        parameter_space: Mapping[str, ParameterExpression],
        properties: Mapping[str, Any] | None = None,
        *,
        seed: int | None = None,
    ) -> None:
        super().__init__(parameter_space, properties, seed=seed)
        for key, expression in self.parameter_space.items():
            if expression.kind != "choice":
                raise ValidationError(
                    f"grid sampling takes choice() only, but {key!r} is {expression!r}: list"
                    " its values in choice(...) or use RandomParameterSampling"
                )

    def grid(self) -> list[dict[str, Any]]:
        """The raw values (option indexes) of every combination, in order."""
        keys = list(self.parameter_space)
        ranges = [range(len(self.parameter_space[key].grid_values())) for key in keys]
        return [dict(zip(keys, point, strict=True)) for point in itertools.product(*ranges)]

    def capacity(self) -> int | None:
        """The number of combinations."""
        return math.prod(len(value.grid_values()) for value in self.parameter_space.values())


class BayesianParameterSampling(ParameterSampling):
    """Values guided by the trials so far: Optuna's TPE sampler (``sampler="tpe"``, the
    default) or its Gaussian-process sampler (``sampler="gp"``, needs scipy and torch).

    As in the SDK it takes ``choice``, ``uniform`` and ``quniform`` only, and a sweep with it
    takes no early termination policy.

    Raises:
        ValidationError: another expression, an unknown sampler.
    """

    kind = "bayesian"
    supports_early_termination = False

    def __init__(
        self,
        parameter_space: Mapping[str, ParameterExpression],
        properties: Mapping[str, Any] | None = None,
        *,
        seed: int | None = None,
        sampler: str = "tpe",
    ) -> None:
        super().__init__(parameter_space, properties, seed=seed)
        for key, expression in self.parameter_space.items():
            if expression.kind not in BAYESIAN_KINDS:
                raise ValidationError(
                    f"Bayesian sampling takes {', '.join(BAYESIAN_KINDS)} only, but {key!r} is"
                    f" {expression!r}: use RandomParameterSampling for it"
                )
        if sampler not in ("tpe", "gp"):
            raise ValidationError(f"unknown Bayesian sampler {sampler!r}: use 'tpe' or 'gp'")
        self.sampler = sampler

    def make_sampler(self) -> optuna.samplers.BaseSampler:
        """TPE (with a constant liar, since trials run concurrently) or GP."""
        import optuna

        if self.sampler == "gp":
            return optuna.samplers.GPSampler(seed=self.seed)
        return optuna.samplers.TPESampler(seed=self.seed, constant_liar=True)

    def to_dict(self) -> dict[str, Any]:
        """As the base, with the sampler's name."""
        return super().to_dict() | {"sampler": self.sampler}


_KINDS: dict[str, type[ParameterSampling]] = {
    "random": RandomParameterSampling,
    "grid": GridParameterSampling,
    "bayesian": BayesianParameterSampling,
}


def sampling_from_dict(data: Mapping[str, Any]) -> ParameterSampling:
    """The sampling :meth:`ParameterSampling.to_dict` wrote.

    Raises:
        ValidationError: unknown kind or bad content.
    """
    kind = _KINDS.get(str(data.get("kind")))
    if kind is None:
        raise ValidationError(f"unknown parameter sampling {data.get('kind')!r}")
    space = {
        key: expression_from_dict(value) for key, value in dict(data["parameter_space"]).items()
    }
    options: dict[str, Any] = {"seed": data.get("seed")}
    if kind is BayesianParameterSampling:
        options["sampler"] = data.get("sampler", "tpe")
    return kind(space, data.get("properties"), **options)
