"""The SDK v1's curated environments, by name, as runlab environments with the same libraries.

Azure ML's curated environments were Docker images with a fixed set of libraries. runlab
builds the same libraries with uv, on the submitter's Python, at the newest versions that
install there from the curated version on (an old ``scikit-learn==1.0`` has no wheels for
today's Pythons); the exact versions a run got are in its environment log.
"""

from __future__ import annotations

from runlab.environments.spec import Environment
from runlab.errors import NotFoundError

__all__ = ["CURATED_ENVIRONMENTS", "curated_environment", "is_curated_name"]

_SKLEARN = ["pandas", "numpy", "scipy", "joblib", "matplotlib"]
_DL = ["pandas", "numpy", "scipy", "matplotlib", "pillow"]

CURATED_ENVIRONMENTS: dict[str, list[str]] = {
    "AzureML-Minimal": [],
    "AzureML-Tutorial": ["scikit-learn", "pandas", "numpy", "matplotlib", "joblib"],
    "AzureML-sklearn-0.24-ubuntu18.04-py37-cpu": ["scikit-learn>=0.24", *_SKLEARN],
    "AzureML-sklearn-0.24.1-ubuntu18.04-py37-cpu-inference": ["scikit-learn>=0.24", *_SKLEARN],
    "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu": ["scikit-learn>=1.0", *_SKLEARN],
    "AzureML-sklearn-1.0-ubuntu20.04-py38-cpu-inference": ["scikit-learn>=1.0", *_SKLEARN],
    "azureml-sklearn-1.5": ["scikit-learn>=1.5", *_SKLEARN],
    "AzureML-lightgbm-3.2-ubuntu18.04-py37-cpu": ["lightgbm>=3.2", "scikit-learn", *_SKLEARN],
    "AzureML-pytorch-1.9-ubuntu18.04-py37-cuda11-gpu": ["torch>=1.9", "torchvision", *_DL],
    "AzureML-pytorch-1.10-ubuntu18.04-py38-cuda11-gpu": ["torch>=1.10", "torchvision", *_DL],
    "AzureML-PyTorch-1.6-CPU": ["torch>=1.6", "torchvision", *_DL],
    "AzureML-PyTorch-1.6-GPU": ["torch>=1.6", "torchvision", *_DL],
    "AzureML-ACPT-pytorch-1.13-py38-cuda11.7-gpu": ["torch>=1.13", "torchvision", *_DL],
    "azureml-acpt-pytorch-2.2-cuda12.1": ["torch>=2.2", "torchvision", *_DL],
    "AzureML-TensorFlow-2.3-CPU": ["tensorflow>=2.3", *_DL],
    "AzureML-TensorFlow-2.3-GPU": ["tensorflow>=2.3", *_DL],
    "AzureML-tensorflow-2.4-ubuntu18.04-py37-cuda11-gpu": ["tensorflow>=2.4", *_DL],
    "AzureML-tensorflow-2.12-cuda11": ["tensorflow>=2.12", *_DL],
    "azureml-tensorflow-2.16-cuda12": ["tensorflow>=2.16", *_DL],
}
"""Each curated name and the PyPI requirements runlab installs for it."""

_BY_LOWER_NAME = {name.lower(): name for name in CURATED_ENVIRONMENTS}


def is_curated_name(name: str) -> bool:
    """Whether ``name`` is in the curated namespace (``AzureML-...``, any case)."""
    return name.lower().startswith("azureml-")


def curated_environment(name: str) -> Environment:
    """The runlab environment for the curated name ``name`` (case does not matter).

    Raises:
        NotFoundError: an unknown curated name; the message lists the known ones.
    """
    known = _BY_LOWER_NAME.get(name.lower())
    if known is None:
        raise NotFoundError(
            f"{name!r} is not a curated environment runlab knows; known: "
            + ", ".join(sorted(CURATED_ENVIRONMENTS, key=str.lower))
        )
    return Environment(known, pip_packages=CURATED_ENVIRONMENTS[known])
