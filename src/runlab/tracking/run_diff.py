"""Comparing two runs on everything that decides a result: code, packages, arguments and
parameters, datasets; and their metrics side by side (``Run.diff``, ``runlab run diff``)."""

from __future__ import annotations

import dataclasses
import difflib
import io
import tarfile
from typing import TYPE_CHECKING, Any

from runlab.artifacts.snapshots import snapshot_path
from runlab.entities import last_values
from runlab.errors import BackendError, NotFoundError
from runlab.tracking.lineage import run_lineage

if TYPE_CHECKING:
    from runlab.tracking.workspace import Workspace

__all__ = ["RunDiff", "diff_runs"]

_MAX_TEXT_BYTES = 1024 * 1024


@dataclasses.dataclass(frozen=True)
class RunDiff:
    """How run ``b`` differs from run ``a``.

    Attributes:
        a: the first run's id.
        b: the second run's id.
        code: a unified diff of each source file that differs, by path (binary or large
            files say so instead); empty when the snapshots are the same.
        packages: ``added``, ``removed`` (name to version) and ``changed`` (name to
            ``[version in a, version in b]``) between the environment locks; plus ``python``
            when the Python versions differ.
        arguments: the script's arguments of each run, ``[a, b]``, when they differ.
        parameters: each named parameter that differs, ``[a, b]`` (None where missing).
        datasets: each input (by input name) whose dataset version or content differs,
            ``[a, b]`` as ``"name:version (hash[:12])"``, or None where missing.
        metrics: every metric's last value in each run, ``[a, b]``.
    """

    a: str
    b: str
    code: dict[str, str]
    packages: dict[str, Any]
    arguments: list[Any] | None
    parameters: dict[str, list[str | None]]
    datasets: dict[str, list[str | None]]
    metrics: dict[str, list[Any]]

    @property
    def same_inputs(self) -> bool:
        """Whether code, packages, arguments, parameters and datasets are all the same."""
        return not (
            self.code or self.packages or self.arguments or self.parameters or self.datasets
        )

    def to_dict(self) -> dict[str, Any]:
        """The diff as JSON values."""
        return dataclasses.asdict(self)


def _snapshot_files(workspace: Workspace, snapshot_id: str | None) -> dict[str, bytes]:
    if snapshot_id is None:
        return {}
    try:
        data = workspace.artifacts.get_bytes(snapshot_path(snapshot_id))
    except NotFoundError:
        return {}
    files = {}
    try:
        with tarfile.open(fileobj=io.BytesIO(data), mode="r:gz") as archive:
            for member in archive.getmembers():
                extracted = archive.extractfile(member) if member.isfile() else None
                if extracted is not None:
                    files[member.name] = extracted.read()
    except tarfile.TarError as error:
        raise BackendError(f"cannot read snapshot {snapshot_id}: {error}") from error
    return files


def _code_diff(before: dict[str, bytes], after: dict[str, bytes]) -> dict[str, str]:
    changes = {}
    for path in sorted(set(before) | set(after)):
        old, new = before.get(path), after.get(path)
        if old == new:
            continue
        try:
            if max(len(old or b""), len(new or b"")) > _MAX_TEXT_BYTES:
                raise UnicodeDecodeError("utf-8", b"", 0, 1, "too large")
            old_lines = (old or b"").decode("utf-8").splitlines(keepends=True)
            new_lines = (new or b"").decode("utf-8").splitlines(keepends=True)
        except UnicodeDecodeError:
            changes[path] = (
                f"binary or large file differs ({len(old or b'')} -> {len(new or b'')} bytes)\n"
            )
            continue
        changes[path] = "".join(
            difflib.unified_diff(
                old_lines,
                new_lines,
                fromfile=f"a/{path}" if old is not None else "/dev/null",
                tofile=f"b/{path}" if new is not None else "/dev/null",
            )
        )
    return changes


def _package_diff(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    before, after = a.get("packages") or {}, b.get("packages") or {}
    result: dict[str, Any] = {}
    added = {name: after[name] for name in sorted(set(after) - set(before))}
    removed = {name: before[name] for name in sorted(set(before) - set(after))}
    changed = {
        name: [before[name], after[name]]
        for name in sorted(set(before) & set(after))
        if before[name] != after[name]
    }
    for key, value in (("added", added), ("removed", removed), ("changed", changed)):
        if value:
            result[key] = value
    if a.get("python") != b.get("python"):
        result["python"] = [a.get("python"), b.get("python")]
    return result


def _dataset_label(entry: dict[str, Any] | None) -> str | None:
    if entry is None:
        return None
    name = entry.get("id") or "unregistered"
    return f"{name} ({str(entry.get('content_hash', ''))[:12]})"


def _data_parameters(arguments: list[Any] | None) -> set[str]:
    """The names of ``--name <data input>`` among submitted arguments."""
    names = set()
    for flag, value in zip(arguments or [], (arguments or [])[1:], strict=False):
        if isinstance(flag, str) and flag.startswith("--") and isinstance(value, dict):
            names.add(flag[2:])
    return names


def diff_runs(workspace: Workspace, a: str, b: str) -> RunDiff:
    """How run ``b`` differs from run ``a`` (see :class:`RunDiff`).

    Raises:
        NotFoundError: either run does not exist.
    """
    first, second = run_lineage(workspace, a), run_lineage(workspace, b)
    snapshots = first["code"]["snapshot_id"], second["code"]["snapshot_id"]
    code = (
        {}
        if snapshots[0] == snapshots[1]
        else _code_diff(
            _snapshot_files(workspace, snapshots[0]), _snapshot_files(workspace, snapshots[1])
        )
    )
    arguments = None
    if first["arguments"] != second["arguments"]:
        arguments = [first["arguments"], second["arguments"]]
    # A data input's parameter is a local path that differs from run to run: its data is
    # compared under datasets (and arguments) instead.
    data_names = _data_parameters(first["arguments"]) | _data_parameters(second["arguments"])
    parameters = {
        name: [first["parameters"].get(name), second["parameters"].get(name)]
        for name in sorted(set(first["parameters"]) | set(second["parameters"]))
        if first["parameters"].get(name) != second["parameters"].get(name)
        and name not in data_names
    }
    inputs_a = {item["input_name"]: item for item in first["datasets"]}
    inputs_b = {item["input_name"]: item for item in second["datasets"]}
    datasets = {
        name: [_dataset_label(inputs_a.get(name)), _dataset_label(inputs_b.get(name))]
        for name in sorted(set(inputs_a) | set(inputs_b))
        if _dataset_label(inputs_a.get(name)) != _dataset_label(inputs_b.get(name))
    }
    values_a = last_values(workspace.store.get_metric_histories(a))
    values_b = last_values(workspace.store.get_metric_histories(b))
    metrics = {
        name: [values_a.get(name), values_b.get(name)]
        for name in sorted(set(values_a) | set(values_b))
    }
    return RunDiff(
        a=a,
        b=b,
        code=code,
        packages=_package_diff(first["environment"], second["environment"]),
        arguments=arguments,
        parameters=parameters,
        datasets=datasets,
        metrics=metrics,
    )
