"""How the ``azureml`` shim's package (see :mod:`runlab.environments.azureml_shim`) becomes
:mod:`runlab.compat.azureml`: a finder on ``sys.meta_path`` answers every ``azureml.X`` with
the module ``runlab.compat.azureml.X`` itself, so ``azureml.core.Run is runlab.Run``."""

from __future__ import annotations

import importlib
import importlib.abc
import importlib.machinery
import sys
import types
from collections.abc import Sequence

from runlab.environments.azureml_shim import real_sdk_version

__all__ = ["AzuremlAliasFinder", "install_alias"]

_TARGET = "runlab.compat.azureml"


class _AliasLoader(importlib.abc.Loader):
    """Loads ``azureml.X`` as the already imported ``runlab.compat.azureml.X``."""

    def __init__(self, target: types.ModuleType) -> None:
        self._target = target
        self._own_spec = target.__spec__

    def create_module(self, spec: importlib.machinery.ModuleSpec) -> types.ModuleType:
        return self._target

    def exec_module(self, module: types.ModuleType) -> None:
        # The import machinery set the alias's spec on the module: give it its own back.
        module.__spec__ = self._own_spec


class AzuremlAliasFinder(importlib.abc.MetaPathFinder):
    """Finds ``azureml.X`` (any depth) as ``runlab.compat.azureml.X``.

    Args:
        name: the alias package's name (``azureml``).
    """

    def __init__(self, name: str) -> None:
        self._prefix = name + "."

    def find_spec(
        self,
        fullname: str,
        path: Sequence[str] | None,
        target: types.ModuleType | None = None,
    ) -> importlib.machinery.ModuleSpec | None:
        """The spec aliasing ``fullname``; None for names outside the alias package, or ones
        runlab does not provide (the import then fails as usual, naming the module)."""
        if not fullname.startswith(self._prefix):
            return None
        real_name = _TARGET + "." + fullname.removeprefix(self._prefix)
        try:
            module = importlib.import_module(real_name)
        except ModuleNotFoundError as error:
            if error.name == real_name:
                return None
            raise
        return importlib.machinery.ModuleSpec(
            fullname, _AliasLoader(module), is_package=hasattr(module, "__path__")
        )


def install_alias(name: str) -> None:
    """Make the package ``name`` (the shim's ``azureml``) an alias of runlab.compat.azureml.

    Raises:
        ImportError: a real ``azureml-core`` is installed in this environment too: the two
            would mix silently, so neither is used.
    """
    version = real_sdk_version()
    if version is not None:
        raise ImportError(
            f"runlab's azureml shim and the real azureml-core {version} are both installed in "
            f"this environment ({sys.prefix}): uninstall one (pip uninstall azureml-core, or "
            "pip uninstall runlab-azureml-shim)"
        )
    package = sys.modules[name]
    target = importlib.import_module(_TARGET)
    for attribute in getattr(target, "__all__", ()):
        setattr(package, attribute, getattr(target, attribute))
    if not any(isinstance(finder, AzuremlAliasFinder) for finder in sys.meta_path):
        sys.meta_path.insert(0, AzuremlAliasFinder(name))
