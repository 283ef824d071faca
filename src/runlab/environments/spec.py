"""The environment a job's script runs in, as a plain spec: names of packages, no I/O."""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from runlab.environments._requirements import (
    absolute_wheel_path,
    conda_to_pip,
    normalize_requirement,
    read_requirements,
)
from runlab.environments.conda import read_conda_specification
from runlab.environments.sections import DockerSection, PythonSection
from runlab.errors import ValidationError

if TYPE_CHECKING:
    from runlab.store import MetadataStore

__all__ = ["Environment"]

_PYTHON_VERSION = re.compile(r"\d+\.\d+(?:\.\d+)?")
_ENV_VAR_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


def _string_list(value: object, what: str) -> list[str]:
    # A bare string is a Sequence too: "six" would become ["s", "i", "x"].
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValidationError(f"{what} must be a list of strings, not {value!r}")
    items: list[str] = []
    for item in value:
        if not isinstance(item, str):
            raise ValidationError(f"{what}: package {item!r} is not a string")
        items.append(item)
    return items


class HasStore(Protocol):
    """What :meth:`Environment.register` needs of a workspace: its metadata store."""

    @property
    def store(self) -> MetadataStore:
        """The workspace's metadata store."""
        ...


class Environment:
    """The Python environment a submitted job's script runs in (Azure ML SDK v1's name).

    A plain description: constructing one checks it and does nothing else. An
    :class:`~runlab.environments.EnvironmentBuilder` turns it into an interpreter.

    Args:
        name: a name for people; it does not change what gets built.
        pip_packages: requirements installed from PyPI: ``name``, ``name==1.2``,
            ``name[extra]>=1,<2``, with a ``; marker`` or not, ``name @ https://...``, or the
            path of a wheel; relative wheel paths are made absolute against the current folder.
        conda_packages: installed from PyPI by the same names too (runlab does not use conda);
            conda's ``name=1.2`` becomes ``name==1.2.*``.
        python_version: ``"3.11"`` or ``"3.11.7"``; None means the submitter's version.
        user_managed: True runs the script with the submitter's own interpreter and
            installs nothing.
        environment_variables: set for the script when it runs; not part of the build.
        interpreter_path: the interpreter a user-managed environment runs the script with;
            None: the submitter's.

    Attributes:
        python: the SDK's ``env.python`` section (:class:`PythonSection`):
            ``conda_dependencies``, ``user_managed_dependencies``, ``interpreter_path``.
        docker: the SDK's ``env.docker`` section, accepted and ignored with a warning.
        version: the registered version (:meth:`register`, :meth:`get`), else None.

    Raises:
        ValidationError: a blank name, a package that is not a plain requirement, a malformed
            Python version or environment variable name.

    Example:
        >>> env = Environment("sklearn-env", pip_packages=["scikit-learn>=1.3"])
        >>> len(env.spec_hash())
        64
    """

    def __init__(
        self,
        name: str,
        pip_packages: Sequence[str] = (),
        conda_packages: Sequence[str] = (),
        python_version: str | None = None,
        user_managed: bool = False,
        environment_variables: Mapping[str, str] | None = None,
        interpreter_path: str | None = None,
    ) -> None:
        if not isinstance(name, str) or not name.strip():
            raise ValidationError(f"environment name {name!r} is blank")
        self.name: str = name.strip()
        self.pip_packages: list[str] = [
            absolute_wheel_path(item) for item in _string_list(pip_packages, "pip_packages")
        ]
        self.conda_packages: list[str] = _string_list(conda_packages, "conda_packages")
        for package in self.conda_packages:
            conda_to_pip(package)
        self.conda_packages = [package.strip() for package in self.conda_packages]
        if python_version is not None and (
            not isinstance(python_version, str)
            or not _PYTHON_VERSION.fullmatch(python_version.strip())
        ):
            raise ValidationError(
                f"python_version {python_version!r} is not like '3.11' or '3.11.7'"
            )
        self.python_version: str | None = python_version.strip() if python_version else None
        if not isinstance(user_managed, bool):
            raise ValidationError(f"user_managed must be True or False, not {user_managed!r}")
        self.user_managed: bool = user_managed
        variables = dict(environment_variables or {})
        for key, value in variables.items():
            if not isinstance(key, str) or not _ENV_VAR_NAME.fullmatch(key):
                raise ValidationError(f"environment variable name {key!r} is not allowed")
            if not isinstance(value, str) or "\0" in value:
                raise ValidationError(f"environment variable {key}: value must be a string")
        self.environment_variables: dict[str, str] = variables
        if interpreter_path is not None and (
            not isinstance(interpreter_path, str) or not interpreter_path.strip()
        ):
            raise ValidationError(f"interpreter_path {interpreter_path!r} is not a path")
        self.interpreter_path: str | None = interpreter_path
        self.version: int | None = None
        self.python = PythonSection(self)
        self.docker = DockerSection()

    @classmethod
    def from_pip_requirements(cls, name: str, path: str | os.PathLike[str]) -> Environment:
        """An environment with the packages of a pip requirements file.

        Comments, blank lines, ``\\`` line continuations and ``-r other.txt`` includes
        (relative to the including file) are understood; relative wheel paths are taken
        relative to the file that lists them.

        Args:
            name: the environment's name.
            path: the requirements file.

        Raises:
            ValidationError: a line runlab cannot honour (``-e``, ``--index-url``, ``-c``,
                ``--hash``, ...) or an invalid requirement, naming the file and line; a
                missing file; an include cycle.
        """
        return cls(name, pip_packages=read_requirements(Path(path)))

    @classmethod
    def from_conda_specification(cls, name: str, file_path: str | os.PathLike[str]) -> Environment:
        """An environment with the packages and Python version of a conda environment file.

        Conda packages are installed from PyPI by the same names, with uv.

        Raises:
            ValidationError: the file cannot be read, or a line runlab cannot install (a pip
                option, an unknown section, a malformed spec), naming the file and line.
        """
        spec = read_conda_specification(Path(file_path))
        return cls(
            name,
            pip_packages=spec["pip_packages"],
            conda_packages=spec["conda_packages"],
            python_version=spec["python_version"],
        )

    def register(self, workspace: HasStore) -> Environment:
        """Register this environment in ``workspace``: the next version of its name, or the
        latest one when that has the same spec. Values of environment variables are not
        stored (they may be secrets); their names are.

        Returns:
            self, with :attr:`version` set.

        Raises:
            ValidationError: the name is a curated environment's.
        """
        from runlab.environments.registered import register

        self.version = register(workspace.store, self)
        return self

    @classmethod
    def get(cls, workspace: HasStore, name: str, version: int | str | None = None) -> Environment:
        """A registered environment (its latest version unless ``version`` is given), or a
        curated one (``AzureML-sklearn-1.0-ubuntu20.04-py38-cpu``...).

        Raises:
            NotFoundError: no such registered environment or version; an unknown curated
                name (the message lists the known ones).
        """
        from runlab.environments.registered import get

        return get(workspace.store, name, version)

    def install_requirements(self) -> list[str]:
        """The canonical requirements to install: pip packages, then conda ones, once each.

        Raises:
            ValidationError: an item changed after construction into something invalid.
        """
        packages = [normalize_requirement(item) for item in self.pip_packages]
        packages += [conda_to_pip(item) for item in self.conda_packages]
        return list(dict.fromkeys(packages))

    def spec_hash(self) -> str:
        """The sha256 (hex) of what determines the built environment.

        That is the sorted canonical packages (pip and conda alike), ``python_version`` and
        ``user_managed``; not the name, not the environment variables.

        Raises:
            ValidationError: an item changed after construction into something invalid.
        """
        canonical = {
            "format": 1,
            "packages": sorted(self.install_requirements()),
            "python_version": self.python_version,
            "user_managed": self.user_managed,
        }
        if self.interpreter_path is not None:
            canonical["interpreter_path"] = self.interpreter_path
        text = json.dumps(canonical, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(text.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The spec as JSON-able data; :meth:`from_dict` reads it back."""
        data: dict[str, Any] = {
            "name": self.name,
            "pip_packages": list(self.pip_packages),
            "conda_packages": list(self.conda_packages),
            "python_version": self.python_version,
            "user_managed": self.user_managed,
            "environment_variables": dict(self.environment_variables),
        }
        if self.interpreter_path is not None:
            data["interpreter_path"] = self.interpreter_path
        return data

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Environment:
        """The environment :meth:`to_dict` described.

        Raises:
            ValidationError: not a mapping, unknown keys, no name, or invalid values.
        """
        if not isinstance(data, Mapping):
            raise ValidationError(f"an environment spec must be a mapping, not {data!r}")
        unknown = set(data) - set(_FIELDS)
        if unknown:
            raise ValidationError(f"unknown environment spec keys: {sorted(unknown)}")
        if "name" not in data:
            raise ValidationError("an environment spec needs a name")
        return cls(**{key: data[key] for key in _FIELDS if key in data})

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Environment):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable, like the SDK's

    def __repr__(self) -> str:
        # Values of environment variables may be secrets: show their names only.
        masked = dict.fromkeys(self.environment_variables, "***")
        return (
            f"Environment(name={self.name!r}, version={self.version!r}, "
            f"pip_packages={self.pip_packages!r}, conda_packages={self.conda_packages!r}, "
            f"python_version={self.python_version!r}, "
            f"user_managed={self.user_managed!r}, environment_variables={masked!r})"
        )

    @classmethod
    def list(cls, workspace: HasStore) -> dict[str, Environment]:
        """The latest version of every registered environment, by name."""
        from runlab.environments.registered import latest_of_each

        return latest_of_each(workspace.store)


_FIELDS = (
    "name",
    "pip_packages",
    "conda_packages",
    "python_version",
    "user_managed",
    "environment_variables",
    "interpreter_path",
)
