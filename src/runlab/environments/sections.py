"""The SDK v1's sections of an environment: ``env.python`` and ``env.docker``.

Both are views onto the :class:`~runlab.environments.Environment` they belong to: setting
``env.python.conda_dependencies`` sets the environment's packages and Python version.
"""

from __future__ import annotations

import os
import warnings
from typing import TYPE_CHECKING, Any

from runlab.environments.conda import CondaDependencies
from runlab.errors import ValidationError

if TYPE_CHECKING:
    from runlab.environments.spec import Environment

__all__ = ["DockerSection", "DockerSettingIgnored", "PythonSection"]


class DockerSettingIgnored(UserWarning):
    """``env.docker`` was set: runlab builds no images, and the setting changes nothing."""


class PythonSection:
    """``env.python``: the packages, the interpreter, and who manages them.

    Attributes:
        conda_dependencies: the environment's packages and Python version as a
            :class:`~runlab.environments.conda.CondaDependencies`; assigning one replaces the
            environment's pip packages, conda packages and Python version.
        user_managed_dependencies: True runs the script with an existing interpreter
            (``interpreter_path``, else the submitter's) and installs nothing.
        interpreter_path: the interpreter of a user-managed environment; None: the
            submitter's own.
    """

    def __init__(self, environment: Environment) -> None:
        self._environment = environment

    @property
    def conda_dependencies(self) -> CondaDependencies:
        """See the class docstring."""
        environment = self._environment
        return CondaDependencies.create(
            pip_packages=environment.pip_packages,
            conda_packages=environment.conda_packages,
            python_version=environment.python_version,
        )

    @conda_dependencies.setter
    def conda_dependencies(self, dependencies: CondaDependencies) -> None:
        if not isinstance(dependencies, CondaDependencies):
            raise ValidationError(
                "env.python.conda_dependencies must be a CondaDependencies, "
                f"not {type(dependencies).__name__}"
            )
        environment = self._environment
        environment.pip_packages = list(dependencies.pip_packages)
        environment.conda_packages = list(dependencies.conda_packages)
        environment.python_version = dependencies.get_python_version()

    @property
    def user_managed_dependencies(self) -> bool:
        """See the class docstring."""
        return self._environment.user_managed

    @user_managed_dependencies.setter
    def user_managed_dependencies(self, value: bool) -> None:
        if not isinstance(value, bool):
            raise ValidationError(f"user_managed_dependencies must be True or False, not {value!r}")
        self._environment.user_managed = value

    @property
    def interpreter_path(self) -> str | None:
        """See the class docstring."""
        return self._environment.interpreter_path

    @interpreter_path.setter
    def interpreter_path(self, value: str | os.PathLike[str] | None) -> None:
        self._environment.interpreter_path = None if value is None else os.fspath(value)

    def __repr__(self) -> str:
        return (
            f"PythonSection(user_managed_dependencies={self.user_managed_dependencies!r}, "
            f"interpreter_path={self.interpreter_path!r})"
        )


class DockerSection:
    """``env.docker``: accepted so SDK code runs, and reported, never used.

    runlab builds no images: a job runs in a uv-built virtual environment on its compute
    target. Setting any attribute here stores it and warns (:class:`DockerSettingIgnored`),
    once per attribute and environment.
    """

    _FIELDS = ("enabled", "base_image", "base_dockerfile", "shm_size", "arguments", "gpu_support")

    def __init__(self) -> None:
        object.__setattr__(self, "_values", dict.fromkeys(self._FIELDS))
        object.__setattr__(self, "_warned", set())

    def __getattr__(self, name: str) -> Any:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        if name in values:
            return values[name]
        raise AttributeError(f"env.docker has no setting {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        if name not in values:
            raise ValidationError(
                f"env.docker has no setting {name!r} (known: {', '.join(self._FIELDS)})"
            )
        values[name] = value
        warned: set[str] = object.__getattribute__(self, "_warned")
        if value not in (None, False) and name not in warned:
            warned.add(name)
            warnings.warn(
                f"env.docker.{name} = {value!r} is ignored: runlab builds no Docker images; the "
                "job runs in a virtual environment built with uv on its compute target",
                DockerSettingIgnored,
                stacklevel=2,
            )

    def __repr__(self) -> str:
        values: dict[str, Any] = object.__getattribute__(self, "_values")
        return f"DockerSection({values!r})"
