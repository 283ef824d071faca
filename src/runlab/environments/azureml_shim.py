"""runlab's ``azureml`` shim: a tiny wheel whose ``azureml`` package is
:mod:`runlab.compat.azureml` under the SDK's own name, so SDK v1 code runs with no edit.

The wheel is written from this module (it travels inside runlab's own wheel) on demand:
``runlab compat install-azureml`` puts it into an environment, and an environment a job
builds gets it in place of any ``azureml-*`` package it asks for (the real SDK would install
some 117 packages and log to its own offline run, never reaching runlab).
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import io
import re
import zipfile
from pathlib import Path

from runlab._files import write_atomic
from runlab._version import __version__

__all__ = [
    "SHIM_DISTRIBUTION",
    "azureml_requirements",
    "build_shim_wheel",
    "real_sdk_version",
    "without_azureml",
]

SHIM_DISTRIBUTION = "runlab-azureml-shim"
"""The shim's distribution name (``pip show runlab-azureml-shim``)."""

_AZUREML = re.compile(r"azureml(?:[-_.][A-Za-z0-9._-]*)?(?=$|[\[<>=!~;@ ])", re.IGNORECASE)

_INIT = '''"""runlab's azureml shim: ``azureml.X`` is ``runlab.compat.azureml.X``.

SDK v1 code runs unchanged and logs to runlab. Remove it with ``pip uninstall {dist}``.
"""

try:
    from runlab.compat.azureml._alias import install_alias as _install_alias
except ImportError as _error:  # runlab itself is missing from this environment
    raise ImportError(
        "runlab's azureml shim is installed but runlab is not: pip install runlab"
    ) from _error

_install_alias(__name__)
del _install_alias
'''


def real_sdk_version() -> str | None:
    """The version of a real ``azureml-core`` installed in this environment, or None."""
    try:
        return importlib.metadata.version("azureml-core")
    except importlib.metadata.PackageNotFoundError:
        return None


def azureml_requirements(requirements: list[str]) -> list[str]:
    """The requirements among ``requirements`` that ask for the SDK (``azureml-*``)."""
    return [item for item in requirements if _AZUREML.match(item.strip())]


def without_azureml(requirements: list[str]) -> list[str]:
    """``requirements`` without the ones that ask for the SDK."""
    asked = set(azureml_requirements(requirements))
    return [item for item in requirements if item not in asked]


def _record_line(path: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{path},sha256={digest},{len(data)}"


def build_shim_wheel(folder: Path) -> Path:
    """Write the shim's wheel into ``folder`` (same bytes every time for one runlab version)
    and return its path.

    Raises:
        OSError: the folder cannot be written.
    """
    dist_info = f"runlab_azureml_shim-{__version__}.dist-info"
    files = {
        "azureml/__init__.py": _INIT.format(dist=SHIM_DISTRIBUTION).encode(),
        f"{dist_info}/METADATA": (
            "Metadata-Version: 2.1\n"
            f"Name: {SHIM_DISTRIBUTION}\n"
            f"Version: {__version__}\n"
            "Summary: The azureml import package as aliases of runlab.compat.azureml\n"
        ).encode(),
        f"{dist_info}/WHEEL": (
            b"Wheel-Version: 1.0\nGenerator: runlab\nRoot-Is-Purelib: true\nTag: py3-none-any\n"
        ),
        f"{dist_info}/top_level.txt": b"azureml\n",
    }
    record = [_record_line(path, data) for path, data in files.items()]
    files[f"{dist_info}/RECORD"] = ("\n".join([*record, f"{dist_info}/RECORD,,"]) + "\n").encode()
    folder.mkdir(parents=True, exist_ok=True)
    wheel = folder / f"runlab_azureml_shim-{__version__}-py3-none-any.whl"
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, data in files.items():
            # A fixed date: the same bytes each time, so caches keyed by them stay valid.
            info = zipfile.ZipInfo(path, date_time=(2020, 1, 1, 0, 0, 0))
            info.external_attr = 0o644 << 16
            archive.writestr(info, data)
    write_atomic(wheel, buffer.getvalue())
    return wheel
