"""Datasets: named, versioned data whose versions pin their content (Azure ML SDK v1's names).

``Dataset.File.from_files(...)`` and ``Dataset.Tabular.from_delimited_files(...)`` (also
``from_parquet_files``, ``from_json_lines_files``) describe data on datastores or at http(s)
URLs; ``register`` records a version that pins every file it resolved to (path, size,
sha256), and ``Dataset.get_by_name`` gets it back. Reading a registered version checks its
files against the pins: a file changed on its datastore is a :class:`DataChangedError`
naming it, unless ``allow_changed=True``; a version registered with ``snapshot=True`` reads
its own copy in the workspace instead.
"""

from __future__ import annotations

import builtins
import contextlib
import copy
import random
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from runlab.data._dataset_files import (
    DataChangedError,
    check_source,
    fetch_files,
    resolve_sources,
    snapshot_files,
)
from runlab.data._mount import MountContext
from runlab.data._tabular import apply_transforms, read_table, require_pyarrow
from runlab.data.datastore import Datastore
from runlab.data.reference import DataReference
from runlab.entities.dataset import DatasetRecord, content_hash_of
from runlab.errors import AlreadyExistsError, ValidationError

if TYPE_CHECKING:
    from runlab.data.consumption import DatasetConsumptionConfig
    from runlab.tracking import Workspace

__all__ = [
    "AbstractDataset",
    "DataChangedError",
    "Dataset",
    "FileDataset",
    "TabularDataset",
]

PathSource = str | DataReference | tuple[Datastore, str]
"""A dataset source: ``(datastore, "path/or/*.glob")``, ``datastore.path(...)``, or a URL."""


def _sources(path: PathSource | Sequence[PathSource]) -> tuple[Workspace | None, list[Any]]:
    """The sources as JSON and the workspace their datastores belong to."""
    items: list[Any] = [path] if isinstance(path, str | DataReference | tuple) else list(path)
    if not items:
        raise ValidationError("a dataset needs at least one path")
    workspace: Workspace | None = None
    sources = []
    for item in items:
        if isinstance(item, tuple) and len(item) == 2 and isinstance(item[0], Datastore):
            workspace = workspace or item[0].workspace
            sources.append(check_source({"datastore": item[0].name, "path": str(item[1])}))
        elif isinstance(item, DataReference):
            sources.append(
                check_source({"datastore": item.datastore_name, "path": item.path_on_datastore})
            )
        elif isinstance(item, str) and item.startswith(("http://", "https://")):
            sources.append(check_source({"url": item}))
        else:
            raise ValidationError(
                f"a dataset path is (datastore, 'path/or/*.glob'), datastore.path('...') or an"
                f" http(s) URL, not {item!r}"
            )
    return workspace, sources


def _check_workspace(workspace: object) -> Workspace:
    from runlab.tracking import Workspace

    if not isinstance(workspace, Workspace):
        raise ValidationError(f"expected a Workspace, not {type(workspace).__name__}")
    return workspace


class AbstractDataset:
    """What file and tabular datasets share: their definition, pinned files and registration.

    Not made directly: use :class:`Dataset` (``Dataset.File``, ``Dataset.Tabular``,
    ``Dataset.get_by_name``).
    """

    _kind = ""

    def __init__(
        self,
        definition: Mapping[str, Any],
        *,
        workspace: Workspace | None = None,
        record: DatasetRecord | None = None,
        files: Sequence[Mapping[str, Any]] | None = None,
        allow_changed: bool = False,
        parent: AbstractDataset | None = None,
    ) -> None:
        self._definition: dict[str, Any] = copy.deepcopy(dict(definition))
        self._workspace: Workspace | None
        self._allow_changed: bool
        self._snapshot: bool
        if parent is not None:
            workspace, allow_changed = parent._workspace, parent._allow_changed
        # A part of a registered version (take, split, columns) is checked as the version is.
        self._pinned_by: str | None = None if parent is None else parent._pinned_by
        # The registered version this dataset is, or is a part of (take, split, columns).
        self._origin: DatasetRecord | None = record or (None if parent is None else parent._origin)
        if record is not None:
            self._pinned_by = f"dataset {record.name!r} version {record.version}"
        self._snapshot = (
            record.snapshot if record is not None else bool(parent is not None and parent._snapshot)
        )
        self._workspace = workspace
        self._record = record
        self._files = None if files is None else [dict(item) for item in files]
        if record is not None:
            self._files = [dict(item) for item in record.files]
        self._allow_changed = allow_changed

    # -- what it is ------------------------------------------------------------------------

    @property
    def name(self) -> str | None:
        """The registered name, or None for a dataset not registered."""
        return None if self._record is None else self._record.name

    @property
    def version(self) -> int | None:
        """The registered version, or None."""
        return None if self._record is None else self._record.version

    @property
    def id(self) -> str | None:
        """``name:version`` of a registered version, or None."""
        return None if self._record is None else self._record.id

    @property
    def description(self) -> str | None:
        """The registered description."""
        return None if self._record is None else self._record.description

    @property
    def tags(self) -> dict[str, str]:
        """The registered tags."""
        return {} if self._record is None else dict(self._record.tags)

    @property
    def is_snapshot(self) -> bool:
        """Whether the workspace keeps a copy of this version's files."""
        return self._record is not None and self._record.snapshot

    @property
    def _snapshotted(self) -> bool:
        return self._pinned_by is not None and self._snapshot

    @property
    def workspace(self) -> Workspace | None:
        """The workspace its datastores (and registration) belong to."""
        return self._workspace

    @property
    def definition(self) -> dict[str, Any]:
        """How it is made: sources, format and transformations, as JSON values."""
        return copy.deepcopy(self._definition)

    @property
    def files(self) -> builtins.list[dict[str, Any]]:
        """Its files, pinned: ``path`` in the dataset, ``source``, ``size``, ``sha256``.
        Resolved (listed and hashed) on first use for a dataset not registered."""
        if self._files is None:
            self._files = resolve_sources(self._workspace, self._definition["sources"])
            self._files = self._file_transforms(self._files)
        return [dict(item) for item in self._files]

    @property
    def content_hash(self) -> str:
        """The sha256 over its files' paths, sizes and hashes: equal content, equal hash."""
        if self._record is not None:
            return self._record.content_hash
        return content_hash_of(self.files)

    def _file_transforms(self, files: builtins.list[dict[str, Any]]) -> builtins.list[Any]:
        return files

    def _describe(self) -> str:
        return self._pinned_by or "the dataset"

    def __repr__(self) -> str:
        kind = type(self).__name__
        if self._record is not None:
            return f"{kind}(name={self.name!r}, version={self.version})"
        return f"{kind}(sources={self._definition.get('sources')!r})"

    def __eq__(self, other: object) -> bool:
        return (
            type(other) is type(self)
            and isinstance(other, AbstractDataset)
            and other._definition == self._definition
            and other.id == self.id
        )

    def __hash__(self) -> int:
        return hash((type(self).__name__, self.id))

    # -- registering -----------------------------------------------------------------------

    def register(
        self,
        workspace: Workspace,
        name: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        create_new_version: bool = False,
        *,
        snapshot: bool = False,
    ) -> Any:
        """Register this dataset as a version of ``name``, pinning its files now.

        Args:
            workspace: where to register it.
            name: the dataset's name.
            description: free text.
            tags: string labels.
            create_new_version: add a version to an existing name; without it, registering a
                name again with the same content returns the existing version, and with
                other content is refused.
            snapshot: copy the files into the workspace so the version stays readable
                whatever happens to its sources.

        Returns:
            The registered dataset version.

        Raises:
            AlreadyExistsError: the name exists with other content and
                ``create_new_version`` is false.
            NotFoundError: a source matches nothing.
            DataChangedError: with ``snapshot``, a file changed while being copied.
        """
        workspace = _check_workspace(workspace)
        if self._workspace is None:
            self._workspace = workspace
        files = self.files
        if snapshot:
            snapshot_files(workspace, files)
        record = workspace.store.create_dataset_version(
            name,
            kind=self._kind,
            definition=self._definition,
            files=files,
            content_hash=content_hash_of(files),
            description=description,
            tags=tags,
            snapshot=snapshot,
            create_new_version=create_new_version,
        )
        if snapshot and not record.snapshot:
            # The same content was registered before without a snapshot: keep that version.
            raise AlreadyExistsError(
                f"dataset {name!r} version {record.version} has this content without a"
                " snapshot: register with create_new_version=True for a snapshotted version"
            )
        return dataset_from_record(workspace, record)

    # -- in runs ---------------------------------------------------------------------------

    def as_named_input(self, name: str) -> DatasetConsumptionConfig:
        """This dataset as a run's input called ``name`` (``run.input_datasets[name]``);
        then ``.as_mount()`` or ``.as_download()``."""
        from runlab.data.consumption import DatasetConsumptionConfig

        return DatasetConsumptionConfig(name, self)

    def as_mount(self) -> DatasetConsumptionConfig:
        """This dataset as a run's input (named after it), mounted."""
        return self.as_named_input(self.name or "input").as_mount()

    def as_download(self, path_on_compute: str | None = None) -> DatasetConsumptionConfig:
        """This dataset as a run's input (named after it), downloaded first."""
        return self.as_named_input(self.name or "input").as_download(path_on_compute)

    def _fetch(self, target: Path, mode: str) -> builtins.list[Path]:
        return fetch_files(
            self._workspace,
            self.files,
            target,
            mode=mode,
            describe=self._describe(),
            snapshot=self._snapshotted,
            allow_changed=self._allow_changed,
            verify=self._pinned_by is not None,
        )


class FileDataset(AbstractDataset):
    """Files as they are: download them, mount them, or pass them to a run."""

    _kind = "file"

    def _file_transforms(self, files: builtins.list[dict[str, Any]]) -> builtins.list[Any]:
        for transform in self._definition.get("transforms", []):
            files = _file_transform(files, transform)
        return files

    def to_path(self) -> builtins.list[str]:
        """The paths of its files inside the dataset, each starting with ``/``."""
        return [f"/{item['path']}" for item in self.files]

    def download(
        self, target_path: str | Path | None = None, overwrite: bool = False
    ) -> builtins.list[str]:
        """Copy its files into a local folder (default: a new temporary one), checked
        against their pins.

        Raises:
            AlreadyExistsError: a file is there already and ``overwrite`` is false.
            DataChangedError: files changed since registration (see the module).
        """
        target = Path(target_path) if target_path is not None else Path(tempfile.mkdtemp())
        if not overwrite:
            present = [item["path"] for item in self.files if (target / item["path"]).exists()]
            if present:
                raise AlreadyExistsError(
                    f"files are in the way in {target}: {', '.join(present[:10])}; pass"
                    " overwrite=True to replace them"
                )
        return [str(path) for path in self._fetch(target, "download")]

    def mount(self, mount_point: str | Path | None = None) -> MountContext:
        """A context manager whose ``mount_point`` holds the files: links to a local
        datastore's files (read in place), copies of others; removed again on exit."""
        return MountContext(self, Path(mount_point) if mount_point is not None else None)

    def take(self, count: int) -> FileDataset:
        """The first ``count`` files (by path), as a new dataset."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"take needs a count >= 0, not {count!r}")
        return self._transformed({"take": count})

    def random_split(
        self, percentage: float, seed: int | None = None
    ) -> tuple[FileDataset, FileDataset]:
        """Split its files at random, about ``percentage`` of them into the first dataset
        and the rest into the second; the same ``seed`` gives the same split."""
        first, second = _split_transforms(percentage, seed)
        return self._transformed(first), self._transformed(second)

    def _transformed(self, transform: dict[str, Any]) -> FileDataset:
        definition = self.definition
        definition["transforms"] = [*definition.get("transforms", []), transform]
        files = _file_transform(self.files, transform)
        return FileDataset(definition, files=files, parent=self)


class TabularDataset(AbstractDataset):
    """Rows read from delimited, Parquet or JSON-lines files (pyarrow underneath; pandas
    only for :meth:`to_pandas_dataframe`)."""

    _kind = "tabular"

    def to_arrow_table(self) -> Any:
        """The rows as a ``pyarrow.Table``, files checked against their pins."""
        require_pyarrow()
        local_root = self._definition.get("local_root")
        if local_root is not None:
            # Inside a run: the job put the files here, checked, already.
            paths = [Path(local_root, item["path"]) for item in self.files]
            table = read_table(paths, self._definition["format"])
        else:
            with contextlib.ExitStack() as stack:
                scratch = Path(stack.enter_context(tempfile.TemporaryDirectory()))
                table = read_table(self._fetch(scratch, "mount"), self._definition["format"])
        return apply_transforms(table, self._definition.get("transforms", []))

    def to_pandas_dataframe(self) -> Any:
        """The rows as a pandas DataFrame (pandas must be installed)."""
        try:
            import pandas  # noqa: F401
        except ImportError as error:
            from runlab.errors import BackendError

            raise BackendError(
                "to_pandas_dataframe needs pandas: pip install 'runlab[tabular]'"
            ) from error
        return self.to_arrow_table().to_pandas()

    def _with(self, transform: dict[str, Any]) -> TabularDataset:
        definition = self.definition
        definition["transforms"] = [*definition.get("transforms", []), transform]
        return TabularDataset(definition, files=self.files, parent=self)

    def take(self, count: int) -> TabularDataset:
        """The first ``count`` rows, as a new dataset."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"take needs a count >= 0, not {count!r}")
        return self._with({"take": count})

    def skip(self, count: int) -> TabularDataset:
        """All rows but the first ``count``, as a new dataset."""
        if isinstance(count, bool) or not isinstance(count, int) or count < 0:
            raise ValidationError(f"skip needs a count >= 0, not {count!r}")
        return self._with({"skip": count})

    def keep_columns(self, columns: str | Sequence[str]) -> TabularDataset:
        """Only these columns, as a new dataset."""
        return self._with({"keep_columns": _columns(columns)})

    def drop_columns(self, columns: str | Sequence[str]) -> TabularDataset:
        """All columns but these, as a new dataset."""
        return self._with({"drop_columns": _columns(columns)})

    def random_split(
        self, percentage: float, seed: int | None = None
    ) -> tuple[TabularDataset, TabularDataset]:
        """Split the rows at random, about ``percentage`` into the first dataset and the rest
        into the second; the same ``seed`` gives the same split."""
        first, second = _split_transforms(percentage, seed)
        return self._with(first), self._with(second)


def _columns(columns: str | Sequence[str]) -> list[str]:
    names = [columns] if isinstance(columns, str) else list(columns)
    if not names or not all(isinstance(name, str) for name in names):
        raise ValidationError(f"give column names as strings, not {columns!r}")
    return names


def _split_transforms(percentage: float, seed: int | None) -> tuple[dict[str, Any], ...]:
    if isinstance(percentage, bool) or not isinstance(percentage, int | float):
        raise ValidationError(f"percentage must be a number between 0 and 1, not {percentage!r}")
    if not 0.0 < percentage < 1.0:
        raise ValidationError(f"percentage must be between 0 and 1, not {percentage!r}")
    seed = random.randrange(2**31) if seed is None else int(seed)
    split = {"seed": seed, "percentage": float(percentage)}
    return {"split": split | {"first": True}}, {"split": split | {"first": False}}


def _file_transform(files: list[dict[str, Any]], transform: Mapping[str, Any]) -> list[Any]:
    if "take" in transform:
        return files[: int(transform["take"])]
    if "split" in transform:
        return _split_files(files, transform["split"])
    return files


def _split_files(files: list[dict[str, Any]], split: Mapping[str, Any]) -> list[dict[str, Any]]:
    generator = random.Random(int(split["seed"]))
    chosen = [generator.random() < float(split["percentage"]) for _file in files]
    return [item for item, first in zip(files, chosen, strict=True) if first == split["first"]]


def dataset_from_record(
    workspace: Workspace, record: DatasetRecord, allow_changed: bool = False
) -> FileDataset | TabularDataset:
    """The dataset object of a stored version."""
    kind = FileDataset if record.kind == "file" else TabularDataset
    return kind(record.definition, workspace=workspace, record=record, allow_changed=allow_changed)


class _FileFactory:
    """``Dataset.File``: makes :class:`FileDataset` objects."""

    @staticmethod
    def from_files(path: PathSource | Sequence[PathSource], validate: bool = True) -> FileDataset:
        """Files from datastores (``(datastore, "mnist/*.gz")``, a folder, a file) or http(s)
        URLs.

        Args:
            path: one source or a list of them.
            validate: list (and hash) the files now, so a path matching nothing fails here.

        Raises:
            ValidationError: a source that is none of those.
            NotFoundError: with ``validate``, a source matches nothing.
        """
        workspace, sources = _sources(path)
        dataset = FileDataset({"sources": sources, "transforms": []}, workspace=workspace)
        if validate:
            dataset.files  # noqa: B018 - resolves now
        return dataset


def _tabular(
    path: PathSource | Sequence[PathSource], file_format: dict[str, Any], validate: bool
) -> TabularDataset:
    require_pyarrow()
    workspace, sources = _sources(path)
    definition = {"sources": sources, "format": file_format, "transforms": []}
    dataset = TabularDataset(definition, workspace=workspace)
    if validate:
        dataset.files  # noqa: B018 - resolves now
    return dataset


class _TabularFactory:
    """``Dataset.Tabular``: makes :class:`TabularDataset` objects."""

    @staticmethod
    def from_delimited_files(
        path: PathSource | Sequence[PathSource],
        validate: bool = True,
        separator: str = ",",
        header: bool | str = True,
    ) -> TabularDataset:
        """Rows of CSV (or other delimited) files; the first line holds the column names
        unless ``header`` is false."""
        if not isinstance(separator, str) or len(separator) != 1:
            raise ValidationError(f"separator must be one character, not {separator!r}")
        has_header = header not in (False, "NO_HEADERS", "no_headers")
        file_format = {"type": "delimited", "separator": separator, "header": has_header}
        return _tabular(path, file_format, validate)

    @staticmethod
    def from_parquet_files(
        path: PathSource | Sequence[PathSource], validate: bool = True
    ) -> TabularDataset:
        """Rows of Parquet files."""
        return _tabular(path, {"type": "parquet"}, validate)

    @staticmethod
    def from_json_lines_files(
        path: PathSource | Sequence[PathSource], validate: bool = True
    ) -> TabularDataset:
        """Rows of JSON-lines files (one JSON object per line)."""
        return _tabular(path, {"type": "json_lines"}, validate)


class Dataset:
    """The SDK's entry to datasets: ``Dataset.File``, ``Dataset.Tabular``, and finding
    registered versions.

    Example:
        >>> ds = ws.get_default_datastore()  # doctest: +SKIP
        >>> mnist = Dataset.File.from_files(path=[(ds, "mnist/*.gz")])  # doctest: +SKIP
        >>> mnist = mnist.register(ws, "mnist", create_new_version=True)  # doctest: +SKIP
        >>> Dataset.get_by_name(ws, "mnist").version  # doctest: +SKIP
        1
    """

    File = _FileFactory
    Tabular = _TabularFactory

    @staticmethod
    def get_by_name(
        workspace: Workspace,
        name: str,
        version: int | Literal["latest"] | str = "latest",
        *,
        allow_changed: bool = False,
    ) -> FileDataset | TabularDataset:
        """A registered version by name (``"latest"``: the newest).

        Args:
            workspace: its workspace.
            name: the dataset's name.
            version: a version number or ``"latest"``.
            allow_changed: read files that changed since registration as they are now,
                instead of failing.

        Raises:
            NotFoundError: no such dataset or version.
        """
        workspace = _check_workspace(workspace)
        number: int | None
        if version == "latest" or version is None:
            number = None
        elif isinstance(version, int) and not isinstance(version, bool):
            number = version
        elif isinstance(version, str) and version.isdigit():
            number = int(version)
        else:
            raise ValidationError(f"a dataset version is a number or 'latest', not {version!r}")
        record = workspace.store.get_dataset_version(name, number)
        return dataset_from_record(workspace, record, allow_changed)

    @staticmethod
    def get_by_id(
        workspace: Workspace, id: str, *, allow_changed: bool = False
    ) -> FileDataset | TabularDataset:
        """A registered version by its id, ``name:version``.

        Raises:
            NotFoundError: no such version.
            ValidationError: not such an id.
        """
        name, colon, version = str(id).rpartition(":")
        if not colon or not name or not version.isdigit():
            raise ValidationError(f"a dataset id is 'name:version', not {id!r}")
        return Dataset.get_by_name(workspace, name, int(version), allow_changed=allow_changed)

    @staticmethod
    def list(workspace: Workspace) -> builtins.list[FileDataset | TabularDataset]:
        """The latest version of every registered dataset, by name."""
        workspace = _check_workspace(workspace)
        return [dataset_from_record(workspace, r) for r in workspace.store.list_dataset_versions()]

    @staticmethod
    def get_all(workspace: Workspace) -> dict[str, FileDataset | TabularDataset]:
        """The latest version of every registered dataset, by name (``ws.datasets``)."""
        return {str(dataset.name): dataset for dataset in Dataset.list(workspace)}
