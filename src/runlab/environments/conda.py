"""``CondaDependencies``: the SDK v1's description of a conda environment file, read and written
as the same YAML, and installed by runlab from PyPI with uv (runlab does not use conda).

A conda ``environment.yml`` lists conda packages, ``python=X.Y``, and a ``pip:`` section.
runlab reads the file, keeps each kind of package apart, and an
:class:`~runlab.environments.Environment` built from it installs both kinds with uv.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from runlab.environments._requirements import conda_to_pip, normalize_requirement
from runlab.errors import ValidationError

__all__ = ["CondaDependencies", "read_conda_specification"]

DEFAULT_FILE_NAME = "conda_dependencies.yml"
_PYTHON = re.compile(r"python[ \t]*(?:==?|>=)?[ \t]*(?P<version>\d+\.\d+(?:\.\d+)?)(?:\.\*)?")
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]*")


def _name_of(requirement: str) -> str:
    match = _NAME.match(requirement.strip())
    return re.sub(r"[-_.]+", "-", match[0]).lower() if match else requirement.strip().lower()


class CondaDependencies:
    """The packages of an environment as a conda environment file has them (SDK v1's name).

    runlab installs every package from PyPI with uv, conda packages by the same names
    (conda's ``name=1.2`` becomes ``name==1.2.*``); give a package whose PyPI name differs
    under its PyPI name. Assign it to ``env.python.conda_dependencies``.

    Args:
        conda_dependencies_file_path: a conda environment file to start from
            (:func:`read_conda_specification` reads it); None starts empty.

    Raises:
        ValidationError: the file cannot be read, or a line runlab cannot install, naming it.

    Example:
        >>> cd = CondaDependencies.create(pip_packages=["joblib"], conda_packages=["numpy"])
        >>> cd.add_pip_package("scikit-learn")
        >>> list(cd.pip_packages), list(cd.conda_packages)
        (['joblib', 'scikit-learn'], ['numpy'])
    """

    def __init__(self, conda_dependencies_file_path: str | os.PathLike[str] | None = None) -> None:
        self._name = "project_environment"
        self._python_version: str | None = None
        self._conda: list[str] = []
        self._pip: list[str] = []
        self._channels: list[str] = []
        if conda_dependencies_file_path is not None:
            spec = read_conda_specification(Path(conda_dependencies_file_path))
            self._name = spec["name"] or self._name
            self._python_version = spec["python_version"]
            self._conda = list(spec["conda_packages"])
            self._pip = list(spec["pip_packages"])
            self._channels = list(spec["channels"])

    @classmethod
    def create(
        cls,
        pip_packages: Sequence[str] | None = None,
        conda_packages: Sequence[str] | None = None,
        python_version: str | None = None,
        pin_sdk_version: bool = True,
        pip_indexurl: str | None = None,
    ) -> CondaDependencies:
        """Dependencies with these packages.

        Args:
            pip_packages: PyPI requirements.
            conda_packages: conda specs, installed from PyPI by the same names.
            python_version: ``"3.11"`` or ``"3.11.7"``; None: the submitter's.
            pin_sdk_version: accepted for the SDK's sake; runlab always installs the runlab
                the submitter has, and installs its ``azureml`` shim in place of ``azureml-*``.
            pip_indexurl: not supported: set ``UV_INDEX_URL`` for uv instead.

        Raises:
            ValidationError: a package that is not a requirement, or ``pip_indexurl``.
        """
        del pin_sdk_version  # runlab always installs the submitter's runlab
        if pip_indexurl is not None:
            raise ValidationError(
                "pip_indexurl is not supported: set UV_INDEX_URL (or uv's configuration) "
                "where the environment is built"
            )
        dependencies = cls()
        for package in pip_packages or ():
            dependencies.add_pip_package(package)
        for package in conda_packages or ():
            dependencies.add_conda_package(package)
        if python_version is not None:
            dependencies.set_python_version(python_version)
        return dependencies

    @property
    def pip_packages(self) -> Iterator[str]:
        """The pip requirements, in the order added (an iterator, as the SDK's)."""
        return iter(list(self._pip))

    @property
    def conda_packages(self) -> Iterator[str]:
        """The conda specs, ``python`` excluded, in the order added (an iterator)."""
        return iter(list(self._conda))

    @property
    def conda_channels(self) -> Iterator[str]:
        """The conda channels the file named; kept for the file, unused by runlab."""
        return iter(list(self._channels))

    def get_python_version(self) -> str | None:
        """The Python version asked for, or None for the submitter's."""
        return self._python_version

    def set_python_version(self, version: str) -> None:
        """Ask for Python ``version`` (``"3.11"``).

        Raises:
            ValidationError: not like ``3.11`` or ``3.11.7``.
        """
        match = _PYTHON.fullmatch(f"python={version}".strip()) if isinstance(version, str) else None
        if match is None:
            raise ValidationError(f"python_version {version!r} is not like '3.11' or '3.11.7'")
        self._python_version = match["version"]

    def add_pip_package(self, pip_package: str) -> None:
        """Add a PyPI requirement, replacing one of the same package name.

        Raises:
            ValidationError: not a requirement runlab accepts.
        """
        normalize_requirement(pip_package)
        self._pip = _replaced(self._pip, pip_package.strip())

    def add_conda_package(self, conda_package: str) -> None:
        """Add a conda spec (installed from PyPI by the same name), replacing one of the same
        package name; ``python=X.Y`` sets the Python version instead.

        Raises:
            ValidationError: not a package runlab can install.
        """
        if isinstance(conda_package, str) and (match := _PYTHON.fullmatch(conda_package.strip())):
            self._python_version = match["version"]
            return
        conda_to_pip(conda_package)
        self._conda = _replaced(self._conda, conda_package.strip())

    def add_channel(self, channel: str) -> None:
        """Record a conda channel (written to the file; runlab installs from PyPI)."""
        if channel not in self._channels:
            self._channels.append(channel)

    def remove_pip_package(self, pip_package: str) -> None:
        """Remove the pip requirement of that package name, if any."""
        self._pip = [item for item in self._pip if _name_of(item) != _name_of(pip_package)]

    def remove_conda_package(self, conda_package: str) -> None:
        """Remove the conda spec of that package name, if any."""
        self._conda = [item for item in self._conda if _name_of(item) != _name_of(conda_package)]

    def serialize_to_string(self) -> str:
        """The conda environment file's text (YAML)."""
        lines = [f"name: {self._name}"]
        if self._channels:
            lines.append("channels:")
            lines += [f"  - {channel}" for channel in self._channels]
        lines.append("dependencies:")
        python = f"python={self._python_version}" if self._python_version else "python"
        lines.append(f"  - {python}")
        lines += [f"  - {_quoted(package)}" for package in self._conda]
        if self._pip:
            lines.append("  - pip")
            lines.append("  - pip:")
            lines += [f"    - {_quoted(package)}" for package in self._pip]
        return "\n".join(lines) + "\n"

    def save_to_file(
        self,
        base_directory: str | os.PathLike[str],
        conda_file_path: str | os.PathLike[str] | None = None,
    ) -> str:
        """Write the conda environment file and return its path.

        Args:
            base_directory: the folder to write into.
            conda_file_path: the file's name in that folder; default ``conda_dependencies.yml``.
        """
        path = Path(base_directory) / (conda_file_path or DEFAULT_FILE_NAME)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(self.serialize_to_string(), encoding="utf-8")
        return str(path)

    save = save_to_file

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, CondaDependencies):
            return NotImplemented
        return self.serialize_to_string() == other.serialize_to_string()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def __repr__(self) -> str:
        return (
            f"CondaDependencies(pip_packages={self._pip!r}, conda_packages={self._conda!r}, "
            f"python_version={self._python_version!r})"
        )


def _replaced(packages: Iterable[str], package: str) -> list[str]:
    name = _name_of(package)
    kept = [item for item in packages if _name_of(item) != name]
    return [*kept, package]


def _quoted(package: str) -> str:
    # YAML would read "a: b" or "# x" otherwise; plain names stay bare as conda writes them.
    return f'"{package}"' if re.search(r"[:#'\"{}\[\],&*!|>%@`]", package) else package


def _scalar(text: str) -> str:
    text = re.sub(r"(^|\s)#.*$", "", text).strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def read_conda_specification(path: Path) -> dict[str, Any]:
    """Read a conda environment file: ``name``, ``channels``, ``dependencies`` with conda
    specs, ``python=X.Y`` and one ``pip:`` list.

    Returns:
        ``name``, ``python_version``, ``conda_packages``, ``pip_packages``, ``channels``.

    Raises:
        ValidationError: the file cannot be read, or a line runlab cannot install (a pip
            option such as ``-e`` or ``--index-url``, an unknown section, a malformed
            spec), naming the file and line.
    """
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ValidationError(f"cannot read conda specification {path}: {error}") from error
    spec: dict[str, Any] = {
        "name": None,
        "python_version": None,
        "conda_packages": [],
        "pip_packages": [],
        "channels": [],
    }
    section: str | None = None
    for number, raw in enumerate(lines, start=1):
        where = f"{path}:{number}"
        if not raw.strip() or raw.lstrip().startswith("#"):
            continue
        indent = len(raw) - len(raw.lstrip())
        line = raw.strip()
        if indent == 0:
            key, _, value = line.partition(":")
            key = key.strip()
            if key == "name":
                spec["name"] = _scalar(value) or None
                section = None
            elif key in ("channels", "dependencies") and not _scalar(value):
                section = key
            elif key == "prefix":
                section = None
            else:
                raise ValidationError(
                    f"{where}: cannot honour {line!r}: runlab reads name, channels and "
                    "dependencies (with one pip: list) from a conda specification"
                )
            continue
        if not line.startswith("-"):
            raise ValidationError(f"{where}: expected a '- item' line, not {line!r}")
        item = _scalar(line[1:])
        if section == "channels":
            spec["channels"].append(item)
        elif section == "dependencies" and indent <= 4 and item.replace(" ", "") == "pip:":
            section = "pip"
        elif section == "pip" and _is_pip_item(raw, lines, number):
            _add(spec["pip_packages"], item, where, pip=True)
        elif section in ("dependencies", "pip"):
            section = "dependencies"
            if (match := _PYTHON.fullmatch(item)) is not None:
                spec["python_version"] = match["version"]
            elif item != "python" and _name_of(item) != "pip":
                _add(spec["conda_packages"], item, where, pip=False)
        else:
            raise ValidationError(f"{where}: {line!r} is outside any section runlab reads")
    return spec


def _is_pip_item(raw: str, lines: list[str], number: int) -> bool:
    """Whether line ``number`` is nested under the ``- pip:`` line above it."""
    indent = len(raw) - len(raw.lstrip())
    for previous in reversed(lines[: number - 1]):
        stripped = previous.strip()
        if stripped.replace(" ", "") == "-pip:":
            return indent > len(previous) - len(previous.lstrip())
    return False


def _add(packages: list[str], item: str, where: str, *, pip: bool) -> None:
    try:
        if pip:
            if item.startswith("-"):
                raise ValidationError(
                    f"{item!r} is a pip option: runlab installs plain requirements only "
                    "(set an index for uv with UV_INDEX_URL)"
                )
            normalize_requirement(item)
        else:
            conda_to_pip(item)
    except ValidationError as error:
        raise ValidationError(f"{where}: cannot install {item!r}: {error.message}") from error
    packages.append(item)
