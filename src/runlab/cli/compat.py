"""``runlab compat install-azureml``: SDK v1 code runs with no edit at all."""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

import typer

from runlab.cli.output import say
from runlab.environments._uv import find_uv, run_uv
from runlab.environments.azureml_shim import (
    SHIM_DISTRIBUTION,
    build_shim_wheel,
    real_sdk_version,
)
from runlab.errors import InvalidStateError

__all__ = ["compat_app"]

compat_app = typer.Typer(
    help="Other libraries' import names over runlab (the Azure ML SDK v1's azureml).",
    no_args_is_help=True,
)


@compat_app.command("install-azureml")
def install_azureml() -> None:
    """Install runlab's `azureml` package into this Python environment: `azureml.X` becomes
    `runlab.compat.azureml.X`, so SDK v1 code runs unedited and logs to runlab.

    Refused where the real azureml-core is installed (the two would mix). Undo it with
    `pip uninstall runlab-azureml-shim`.
    """
    version = real_sdk_version()
    if version is not None:
        raise InvalidStateError(
            f"the real azureml-core {version} is installed in {sys.prefix}: uninstall it first "
            "(pip uninstall azureml-core), or use another environment"
        )
    with tempfile.TemporaryDirectory() as folder:
        wheel = build_shim_wheel(Path(folder))
        command = [find_uv(None), "pip", "install", "--python", sys.executable]
        command += ["--reinstall-package", SHIM_DISTRIBUTION, str(wheel)]
        run_uv(command, lambda line: None, Path(folder), SHIM_DISTRIBUTION)
    say(
        f"Installed {SHIM_DISTRIBUTION} into {sys.prefix}: `import azureml` is runlab's now "
        f"(undo: pip uninstall {SHIM_DISTRIBUTION})"
    )
