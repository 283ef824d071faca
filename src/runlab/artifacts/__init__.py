"""Artifact stores: where run outputs, logs, snapshots and models are kept.

:class:`ArtifactStore` is the interface and its docstring the contract;
:class:`FsspecArtifactStore` implements it for a local folder and every fsspec file system;
:func:`open_artifact_store` picks a store by URI scheme. Every relative path from outside
passes :func:`vet_path`, and every local destination :func:`safe_local_path`.
"""

from runlab.artifacts.base import AppendableArtifactStore, ArtifactStore
from runlab.artifacts.fsspec_store import FsspecArtifactStore
from runlab.artifacts.paths import safe_local_path, vet_path
from runlab.artifacts.registry import open_artifact_store, register_artifact_store

__all__ = [
    "AppendableArtifactStore",
    "ArtifactStore",
    "FsspecArtifactStore",
    "open_artifact_store",
    "register_artifact_store",
    "safe_local_path",
    "vet_path",
]
