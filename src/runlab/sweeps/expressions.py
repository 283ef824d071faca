"""Parameter expressions: how one hyperparameter is drawn, with the Azure ML SDK's arguments.

Each expression is an Optuna distribution of a *raw* value plus the SDK's transform of it
(``loguniform(a, b)`` is ``exp(uniform(a, b))``; ``quniform(a, b, q)`` is
``round(uniform(a, b) / q) * q``; ``choice`` draws the index of an option). The raw value is
what the samplers see and what a trial records beside its value, so a sweep's Optuna study can
be rebuilt exactly from its child runs.

Example:
    >>> space = {"--regularization": uniform(0.1, 1.0), "--solver": choice("lbfgs", "saga")}
    >>> choice([1, 2, 3]).grid_values()
    [1, 2, 3]
"""

from __future__ import annotations

import abc
import math
import statistics
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, ClassVar

from runlab.errors import ValidationError

if TYPE_CHECKING:  # Optuna is imported where a sweep runs, not with runlab's CLI
    import optuna.distributions as od

__all__ = [
    "ParameterExpression",
    "choice",
    "expression_from_dict",
    "lognormal",
    "loguniform",
    "normal",
    "qlognormal",
    "qloguniform",
    "qnormal",
    "quniform",
    "randint",
    "uniform",
]

_STANDARD_NORMAL = statistics.NormalDist()
_EDGE = 1e-12
"""How close to 0 or 1 a normal expression's quantile may come (the inverse CDF is infinite
at both)."""


def _number(name: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise ValidationError(f"{name} must be a finite number, not {value!r}")
    return float(value)


def _positive(name: str, value: object) -> float:
    number = _number(name, value)
    if number <= 0:
        raise ValidationError(f"{name} must be positive, not {value!r}")
    return number


def _quantize(value: float, q: float | None) -> float:
    return value if q is None else round(value / q) * q


class ParameterExpression(abc.ABC):
    """One hyperparameter's distribution. Build it with the functions of this module."""

    kind: ClassVar[str]
    """The SDK's name of the expression (``uniform``, ``choice``, ...)."""

    @property
    @abc.abstractmethod
    def arguments(self) -> list[Any]:
        """The arguments it was made with, in the SDK's order."""

    @abc.abstractmethod
    def distribution(self) -> od.BaseDistribution:
        """The Optuna distribution of the raw value."""

    @abc.abstractmethod
    def value(self, raw: Any) -> Any:
        """The parameter's value for the raw value ``raw``."""

    def grid_values(self) -> list[Any]:
        """Every value, for grid sampling.

        Raises:
            ValidationError: a continuous expression, which has no finite grid.
        """
        raise ValidationError(
            f"{self} is continuous and has no grid: grid sampling takes choice() only"
        )

    def to_dict(self) -> dict[str, Any]:
        """The expression as JSON-able data (:func:`expression_from_dict` reads it)."""
        return {"kind": self.kind, "arguments": self.arguments}

    def __repr__(self) -> str:
        return f"{self.kind}({', '.join(repr(argument) for argument in self.arguments)})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, ParameterExpression) and other.to_dict() == self.to_dict()

    def __hash__(self) -> int:
        return hash(repr(self))


class _Choice(ParameterExpression):
    kind = "choice"

    def __init__(self, options: list[Any]) -> None:
        if not options:
            raise ValidationError("choice() needs at least one option")
        self.options = options

    @property
    def arguments(self) -> list[Any]:
        return list(self.options)

    def distribution(self) -> od.BaseDistribution:
        import optuna.distributions as od

        return od.CategoricalDistribution(list(range(len(self.options))))

    def value(self, raw: Any) -> Any:
        return self.options[int(raw)]

    def grid_values(self) -> list[Any]:
        return list(self.options)


class _RandInt(ParameterExpression):
    kind = "randint"

    def __init__(self, upper: object) -> None:
        if isinstance(upper, bool) or not isinstance(upper, int) or upper < 1:
            raise ValidationError(f"randint(upper) needs an integer upper >= 1, not {upper!r}")
        self.upper = upper

    @property
    def arguments(self) -> list[Any]:
        return [self.upper]

    def distribution(self) -> od.BaseDistribution:
        import optuna.distributions as od

        return od.IntDistribution(0, self.upper - 1)

    def value(self, raw: Any) -> Any:
        return int(raw)


class _Uniform(ParameterExpression):
    """``uniform``, ``quniform``, ``loguniform`` and ``qloguniform``: a uniform raw value in
    ``[min_value, max_value]``, exponentiated for the log kinds, then quantized by ``q``."""

    def __init__(self, kind: str, min_value: object, max_value: object, q: object = None) -> None:
        self._kind = kind
        self.min_value = _number(f"{kind}'s min_value", min_value)
        self.max_value = _number(f"{kind}'s max_value", max_value)
        if self.min_value >= self.max_value:
            raise ValidationError(
                f"{kind}(min_value, max_value) needs min_value < max_value,"
                f" not {min_value!r} and {max_value!r}"
            )
        self.q = None if q is None else _positive(f"{kind}'s q", q)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self._kind

    @property
    def arguments(self) -> list[Any]:
        return [self.min_value, self.max_value] + ([] if self.q is None else [self.q])

    def distribution(self) -> od.BaseDistribution:
        import optuna.distributions as od

        return od.FloatDistribution(self.min_value, self.max_value)

    def value(self, raw: Any) -> Any:
        drawn = math.exp(raw) if "log" in self._kind else float(raw)
        return _quantize(drawn, self.q)


class _Normal(ParameterExpression):
    """``normal``, ``qnormal``, ``lognormal``, ``qlognormal``: the raw value is a quantile in
    (0, 1), mapped through the normal distribution's inverse CDF."""

    def __init__(self, kind: str, mu: object, sigma: object, q: object = None) -> None:
        self._kind = kind
        self.mu = _number(f"{kind}'s mu", mu)
        self.sigma = _positive(f"{kind}'s sigma", sigma)
        self.q = None if q is None else _positive(f"{kind}'s q", q)

    @property
    def kind(self) -> str:  # type: ignore[override]
        return self._kind

    @property
    def arguments(self) -> list[Any]:
        return [self.mu, self.sigma] + ([] if self.q is None else [self.q])

    def distribution(self) -> od.BaseDistribution:
        import optuna.distributions as od

        return od.FloatDistribution(_EDGE, 1 - _EDGE)

    def value(self, raw: Any) -> Any:
        drawn = self.mu + self.sigma * _STANDARD_NORMAL.inv_cdf(float(raw))
        if "log" in self._kind:
            drawn = math.exp(drawn)
        return _quantize(drawn, self.q)


def choice(*options: Any) -> ParameterExpression:
    """One of ``options``: ``choice(0.1, 0.5)``, ``choice([0.1, 0.5])`` or
    ``choice(range(1, 5))``. Options must be JSON values (numbers, strings, booleans).

    Raises:
        ValidationError: no option given.
    """
    values: Iterable[Any] = options
    if len(options) == 1 and isinstance(options[0], list | tuple | range):
        values = options[0]
    return _Choice(list(values))


def randint(upper: int) -> ParameterExpression:
    """An integer in ``[0, upper)``."""
    return _RandInt(upper)


def uniform(min_value: float, max_value: float) -> ParameterExpression:
    """A number drawn uniformly between ``min_value`` and ``max_value``."""
    return _Uniform("uniform", min_value, max_value)


def quniform(min_value: float, max_value: float, q: float) -> ParameterExpression:
    """``round(uniform(min_value, max_value) / q) * q``."""
    return _Uniform("quniform", min_value, max_value, q)


def loguniform(min_value: float, max_value: float) -> ParameterExpression:
    """``exp(uniform(min_value, max_value))``: the bounds are exponents, as in the SDK."""
    return _Uniform("loguniform", min_value, max_value)


def qloguniform(min_value: float, max_value: float, q: float) -> ParameterExpression:
    """``round(exp(uniform(min_value, max_value)) / q) * q``."""
    return _Uniform("qloguniform", min_value, max_value, q)


def normal(mu: float, sigma: float) -> ParameterExpression:
    """A number drawn from the normal distribution of mean ``mu`` and deviation ``sigma``."""
    return _Normal("normal", mu, sigma)


def qnormal(mu: float, sigma: float, q: float) -> ParameterExpression:
    """``round(normal(mu, sigma) / q) * q``."""
    return _Normal("qnormal", mu, sigma, q)


def lognormal(mu: float, sigma: float) -> ParameterExpression:
    """``exp(normal(mu, sigma))``."""
    return _Normal("lognormal", mu, sigma)


def qlognormal(mu: float, sigma: float, q: float) -> ParameterExpression:
    """``round(exp(normal(mu, sigma)) / q) * q``."""
    return _Normal("qlognormal", mu, sigma, q)


_UNIFORM_KINDS = ("uniform", "quniform", "loguniform", "qloguniform")
_NORMAL_KINDS = ("normal", "qnormal", "lognormal", "qlognormal")


def expression_from_dict(data: dict[str, Any]) -> ParameterExpression:
    """The expression :meth:`ParameterExpression.to_dict` wrote.

    Raises:
        ValidationError: an unknown kind or bad arguments.
    """
    kind = str(data.get("kind"))
    arguments = list(data.get("arguments", []))
    if kind == "choice":
        return choice(arguments)
    if kind == "randint":
        return randint(*arguments)
    if kind in _UNIFORM_KINDS:
        return _Uniform(kind, *arguments)
    if kind in _NORMAL_KINDS:
        return _Normal(kind, *arguments)
    raise ValidationError(f"unknown parameter expression {data.get('kind')!r}")
