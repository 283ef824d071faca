"""A run's lineage: the code, environment, data, parent and children, and models of a run.

A submitted run records them as it goes (see :mod:`runlab.entities.run_layout`): the
snapshot and what was submitted at submit time, with the git state; the environment lock and
the inputs in the job. This module reads them back into one plain dictionary.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from runlab.entities import (
    COMPUTE_KEY,
    ENVIRONMENT_HASH_KEY,
    ENVIRONMENT_KEY,
    INPUTS_KEY,
    SCRIPT_KEY,
    SNAPSHOT_ID_KEY,
    run_file_key,
)
from runlab.entities.run_layout import (
    ENVIRONMENT_LOCK,
    ENVIRONMENT_LOCK_KEY,
    GIT_COMMIT_KEY,
    GIT_DIRTY_KEY,
    INPUT_DATASETS_KEY,
    JOB_DEFINITION_KEY,
    MODEL_DATASETS_KEY,
    RERUN_CHANGES_KEY,
    RERUN_OF_KEY,
)
from runlab.errors import NotFoundError
from runlab.tracking.run_common import parameters_in

if TYPE_CHECKING:
    from runlab.store import MetadataStore
    from runlab.tracking.workspace import Workspace

__all__ = ["environment_lock_of", "model_lineage", "run_lineage"]


def _json(properties: dict[str, str], key: str, default: Any) -> Any:
    text = properties.get(key)
    if text is None:
        return default
    try:
        return json.loads(text)
    except ValueError:
        return default


def environment_lock_of(workspace: Workspace, run_id: str) -> dict[str, Any] | None:
    """The environment lock a job recorded for ``run_id``, or None (not a submitted run, or
    it did not get that far)."""
    try:
        data = workspace.artifacts.get_bytes(run_file_key(run_id, ENVIRONMENT_LOCK))
    except NotFoundError:
        return None
    lock: dict[str, Any] = json.loads(data)
    return lock


def run_lineage(workspace: Workspace, run_id: str) -> dict[str, Any]:
    """Everything a run's result can be traced to, as JSON values.

    Keys: ``run_id``, ``experiment``, ``status``; ``code`` (snapshot id, script, git commit
    and dirty flag, source folder); ``environment`` (name, spec hash, lock hash, Python,
    platform, package count and the packages); ``arguments``, ``parameters``;
    ``datasets`` (each input's dataset name, version, id, content hash); ``data_references``
    (datastore paths and their manifests' hashes); ``parent``, ``children``; ``models``
    registered from it; ``rerun_of`` and ``rerun_changes``.

    Raises:
        NotFoundError: there is no such run.
    """
    store: MetadataStore = workspace.store
    record = store.get_run(run_id)
    properties = record.properties
    definition = _json(properties, JOB_DEFINITION_KEY, {})
    lock = environment_lock_of(workspace, run_id)
    dirty = properties.get(GIT_DIRTY_KEY)
    environment: dict[str, Any] = {
        "name": properties.get(ENVIRONMENT_KEY),
        "spec_hash": properties.get(ENVIRONMENT_HASH_KEY),
        "lock_sha256": properties.get(ENVIRONMENT_LOCK_KEY),
        "spec": definition.get("environment"),
    }
    if lock is not None:
        environment |= {
            "python": lock.get("python"),
            "platform": lock.get("platform"),
            "user_managed": lock.get("user_managed"),
            "packages": lock.get("packages", {}),
        }
    children = store.search_runs(parent_run_id=run_id, order_by="created_time asc")
    return {
        "run_id": record.run_id,
        "experiment": record.experiment_name,
        "status": record.status.value,
        "code": {
            "snapshot_id": properties.get(SNAPSHOT_ID_KEY),
            "script": properties.get(SCRIPT_KEY),
            "git_commit": properties.get(GIT_COMMIT_KEY),
            "git_dirty": None if dirty is None else dirty == "true",
            "source_directory": definition.get("source_directory"),
        },
        "environment": environment,
        "compute_target": properties.get(COMPUTE_KEY),
        "arguments": definition.get("arguments"),
        "parameters": parameters_in(properties),
        "datasets": _json(properties, INPUT_DATASETS_KEY, []),
        "data_references": _json(properties, INPUTS_KEY, []),
        "parent": record.parent_run_id,
        "children": [child.run_id for child in children],
        "models": [model.id for model in store.search_model_versions(run_id=run_id)],
        "rerun_of": properties.get(RERUN_OF_KEY),
        "rerun_changes": _json(properties, RERUN_CHANGES_KEY, None),
    }


def model_lineage(workspace: Workspace, name: str, version: int | None = None) -> dict[str, Any]:
    """A model version's lineage: the datasets it names and the run it came from (that run's
    :func:`run_lineage`, or None for a model registered from local files).

    Raises:
        NotFoundError: no such model version.
    """
    record = workspace.store.get_model_version(name, version)
    run = None if record.run_id is None else run_lineage(workspace, record.run_id)
    return {
        "model": record.id,
        "content_hash": record.content_hash,
        "datasets": _json(record.properties, MODEL_DATASETS_KEY, []),
        "run": run,
    }
