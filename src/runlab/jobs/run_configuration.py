"""``RunConfiguration``: the SDK v1's bundle of where and how a script runs, which
``ScriptRunConfig.run_config`` holds."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from runlab.compute import ComputeTarget
from runlab.entities.numbers import whole_number
from runlab.environments import Environment
from runlab.errors import ValidationError

__all__ = ["RunConfiguration"]


class RunConfiguration:
    """Where and how a script runs: its environment, its target, how many nodes.

    ``ScriptRunConfig(..., run_config=rc)`` takes its target and environment from ``rc``
    unless given themselves, and ``src.run_config`` is the same object the config submits
    with: ``src.run_config.environment = env`` and ``src.run_config.target = "cpu-cluster"``
    change what runs.

    Args:
        script: the script (the ``ScriptRunConfig``'s own ``script`` wins).
        arguments: the script's arguments (likewise).
        framework: only ``"Python"`` is provided.
        communicator: only ``"None"`` (one process) is provided.
        conda_dependencies: a :class:`~runlab.environments.conda.CondaDependencies` to build
            the environment from.

    Attributes:
        environment: the :class:`~runlab.environments.Environment` (None: the submitter's
            interpreter).
        target: ``"local"``, a compute target's name, or the target itself.
        node_count: 1; runlab runs one process per run (a whole-number string is taken).
        environment_variables: set for the script, over the environment's own.
        max_run_duration_seconds: recorded; runlab does not stop long runs (None).

    Raises:
        ValidationError: a framework or communicator runlab does not provide.
    """

    def __init__(
        self,
        script: str | None = None,
        arguments: Sequence[Any] | None = None,
        framework: str = "Python",
        communicator: str = "None",
        conda_dependencies: Any = None,
    ) -> None:
        if framework.lower() != "python":
            raise ValidationError(f"framework {framework!r} is not provided: only 'Python'")
        if communicator.lower() != "none":
            raise ValidationError(
                f"communicator {communicator!r} is not provided: runlab runs one process per run"
            )
        self.script = script
        self.arguments: list[Any] = list(arguments or [])
        self.framework = framework
        self.communicator = communicator
        self.environment: Environment | None = None
        if conda_dependencies is not None:
            environment = Environment("run-configuration-environment")
            environment.python.conda_dependencies = conda_dependencies
            self.environment = environment
        self.target: str | ComputeTarget = "local"
        self._node_count = 1
        self.environment_variables: dict[str, str] = {}
        self.max_run_duration_seconds: int | None = None

    @property
    def node_count(self) -> int:
        """How many nodes the run uses: 1 (runlab runs one process per run)."""
        return self._node_count

    @node_count.setter
    def node_count(self, value: int | str) -> None:
        count = whole_number(value, "node_count", minimum=1)
        if count != 1:
            raise ValidationError(
                f"node_count {value!r}: runlab runs one process per run (distributed runs are "
                "not provided); use node_count=1, or a sweep for many runs"
            )
        self._node_count = count

    def target_name(self) -> str:
        """The target's name."""
        return self.target if isinstance(self.target, str) else self.target.name

    def check(self) -> None:
        """Raise now what submitting would refuse.

        Raises:
            ValidationError: an environment that is not a runlab ``Environment``, bad
                environment variables.
        """
        if self.environment is not None and not isinstance(self.environment, Environment):
            raise ValidationError(
                "run_config.environment must be a runlab Environment, "
                f"not {type(self.environment).__name__}"
            )
        if not isinstance(self.environment_variables, Mapping) or not all(
            isinstance(key, str) and isinstance(value, str)
            for key, value in self.environment_variables.items()
        ):
            raise ValidationError("run_config.environment_variables must map str to str")

    def __repr__(self) -> str:
        environment = self.environment.name if self.environment is not None else None
        return (
            f"RunConfiguration(target={self.target_name()!r}, environment={environment!r}, "
            f"node_count={self.node_count})"
        )
