"""The files of a model version: collecting them, hashing them, storing and fetching them.

A version's files live under ``models/<name>/<version>/`` in the workspace's artifact store,
below one root named after what was registered: ``model.pkl`` for a file, ``model/...`` for a
folder. Their content hash is recorded when the version is registered and checked whenever
they are downloaded, so a copy on disk is always the registered bytes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import pathlib
import shutil
import tempfile
from collections.abc import Sequence

from runlab._files import walk_files
from runlab.artifacts import ArtifactStore, safe_local_path, vet_path
from runlab.entities.model import ModelRecord
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError

__all__ = [
    "LocalFile",
    "collect_local_files",
    "content_hash",
    "download_model",
    "hash_files",
    "local_model_path",
    "model_on_disk",
    "model_prefix",
    "model_root",
]

LocalFile = tuple[str, pathlib.Path]
"""A model file: its path below the version's folder, and where it is on this machine."""

_CHUNK = 1024 * 1024
# Where model_on_disk keeps copies of models from an artifact store that is not a local
# folder: .runlab/cache/models/<name>/<version>/ beside the workspace config.
_CACHE = ("cache", "models")
_COMPLETE = ".runlab-complete"
_SHOWN_CLASHES = 3


def model_prefix(record: ModelRecord) -> str:
    """The folder of a model version in the artifact store: ``models/<name>/<version>``."""
    return f"models/{record.name}/{record.version}"


def model_root(files: Sequence[str]) -> str:
    """The name of the file or folder a version holds (the first component of its files)."""
    return files[0].split("/", 1)[0]


def _file_sha256(path: pathlib.Path) -> str:
    digest = hashlib.sha256()
    try:
        with path.open("rb") as source:
            while chunk := source.read(_CHUNK):
                digest.update(chunk)
    except OSError as error:
        raise BackendError(f"cannot read {path}: {error}") from error
    return digest.hexdigest()


def hash_files(files: Sequence[LocalFile]) -> str:
    """The content hash of a model's files (see :func:`content_hash`)."""
    ordered = sorted(files)
    if len(ordered) == 1 and "/" not in ordered[0][0]:
        return _file_sha256(ordered[0][1])
    # The lines `sha256sum` prints inside the folder, so the hash can be checked without runlab.
    manifest = "".join(
        f"{_file_sha256(local)}  {relative.split('/', 1)[1]}\n" for relative, local in ordered
    )
    return hashlib.sha256(manifest.encode("utf-8")).hexdigest()


def collect_local_files(model_path: str | os.PathLike[str]) -> list[LocalFile]:
    """The files of a local model file or folder, as stored below the version's folder.

    A folder is walked by :func:`runlab._files.walk_files`: links to folders are not followed,
    links to files inside the folder count as the files they point to, a link leading outside
    the folder is refused, and anything else that is not a plain file is skipped.

    Raises:
        NotFoundError: nothing is at ``model_path``.
        ValidationError: the folder holds no file, a name the artifact store would refuse,
            or a link leading outside it.
        BackendError: the folder cannot be read.
    """
    path = pathlib.Path(model_path)
    # abspath, not resolve: a link keeps its own name, and "." becomes the folder's name.
    root = pathlib.Path(os.path.abspath(path)).name
    if not path.exists():
        raise NotFoundError(f"cannot register {os.fspath(model_path)!r}: no such file or folder")
    if not root:
        raise ValidationError(f"cannot register {os.fspath(model_path)!r}: name a file or folder")
    root = vet_path(root)
    if path.is_file():
        return [(root, path)]
    try:
        found = walk_files(path, links="refuse")
    except OSError as error:
        raise BackendError(f"cannot read {os.fspath(model_path)!r}: {error}") from error
    files: list[LocalFile] = [(vet_path(f"{root}/{file.relative}"), file.path) for file in found]
    if not files:
        raise ValidationError(f"cannot register {os.fspath(model_path)!r}: the folder is empty")
    return sorted(files)


def content_hash(model_path: str | os.PathLike[str]) -> str:
    """The content hash runlab records for a model file or folder.

    For a file, the sha256 of its bytes (what ``sha256sum FILE`` prints). For a folder, the
    sha256 of the lines ``sha256sum`` prints for its files, sorted by path, with paths relative
    to the folder (``cd FOLDER && find . -type f | cut -c3- | LC_ALL=C sort | xargs sha256sum``
    gives the same text). Names do not count: a renamed copy has the same hash.

    Raises:
        NotFoundError: nothing is at ``model_path``.
        ValidationError: an empty folder.
    """
    return hash_files(collect_local_files(model_path))


def _check_destinations(
    record: ModelRecord, root: pathlib.Path, targets: Sequence[pathlib.Path], exist_ok: bool
) -> None:
    """Refuse a download that would overwrite files (unless ``exist_ok``) or cannot be placed,
    before anything is written."""
    clashes: list[pathlib.Path] = []
    for target in targets:
        if target.is_dir() and not target.is_symlink():
            raise AlreadyExistsError(
                f"cannot download model {record.id}: {target} is a folder where a file goes"
            )
        if target.exists() or target.is_symlink():
            clashes.append(target)
        for parent in target.relative_to(root).parents:
            folder = root / parent
            if folder.exists() and not folder.is_dir():
                raise AlreadyExistsError(
                    f"cannot download model {record.id}: {folder} is a file where a folder goes"
                )
    if clashes and not exist_ok:
        shown = ", ".join(str(clash) for clash in clashes[:_SHOWN_CLASHES])
        more = f" and {len(clashes) - _SHOWN_CLASHES} more" if len(clashes) > _SHOWN_CLASHES else ""
        raise AlreadyExistsError(
            f"downloading model {record.id} would overwrite {shown}{more};"
            " nothing was written (to overwrite, pass exist_ok=True, or --exist-ok on the"
            " command line)"
        )


def download_model(
    artifacts: ArtifactStore,
    record: ModelRecord,
    target_dir: str | os.PathLike[str],
    *,
    exist_ok: bool = False,
) -> pathlib.Path:
    """Copy a model version's files into ``target_dir`` and return the file or folder written.

    Every destination is checked first, so a refused download writes nothing. The files are
    fetched into a hidden folder inside ``target_dir``, checked against the recorded content
    hash, and only then moved into place (each move replaces one file atomically).

    Raises:
        AlreadyExistsError: a file is in the way and ``exist_ok`` is false, or a folder is where
            a file goes (or the other way round).
        BackendError: the artifact store lacks a file, or the files do not match the hash.
    """
    root = pathlib.Path(target_dir)
    targets = [safe_local_path(root, relative) for relative in record.files]
    _check_destinations(record, root, targets, exist_ok)
    created = not root.exists()
    prefix = model_prefix(record)
    done = False
    try:
        root.mkdir(parents=True, exist_ok=True)
        staging = pathlib.Path(tempfile.mkdtemp(prefix=".runlab-download-", dir=root))
    except OSError as error:
        raise BackendError(f"cannot write into {root}: {error}") from error
    try:
        fetched: list[tuple[str, pathlib.Path]] = []
        for relative in record.files:
            local = safe_local_path(staging, relative)
            try:
                artifacts.get_file(f"{prefix}/{relative}", local)
            except NotFoundError as error:
                raise BackendError(
                    f"model {record.id} is incomplete in the artifact store: {relative!r} is"
                    f" missing under {prefix}"
                ) from error
            fetched.append((relative, local))
        if hash_files(fetched) != record.content_hash:
            raise BackendError(
                f"the files of model {record.id} in the artifact store do not match the hash"
                " recorded when it was registered; nothing was written"
            )
        try:
            for (_relative, local), target in zip(fetched, targets, strict=True):
                target.parent.mkdir(parents=True, exist_ok=True)
                os.replace(local, target)
        except OSError as error:
            raise BackendError(f"cannot write model {record.id} into {root}: {error}") from error
        done = True
    finally:
        shutil.rmtree(staging, ignore_errors=True)
        if created and not done:
            with contextlib.suppress(OSError):
                root.rmdir()
    return root / model_root(record.files)


def local_model_path(artifacts: ArtifactStore, record: ModelRecord) -> pathlib.Path | None:
    """Where a version's file or folder already is on this machine: inside the artifact store
    when that is a local folder holding all its files; otherwise None."""
    uri = artifacts.uri
    if "://" in uri or not os.path.isabs(uri):
        return None
    folder = safe_local_path(uri, model_prefix(record))
    if not all((folder / relative).is_file() for relative in record.files):
        return None
    return folder / model_root(record.files)


def model_on_disk(
    artifacts: ArtifactStore, record: ModelRecord, config_path: pathlib.Path | None
) -> pathlib.Path:
    """A local path to a version's file or folder: inside the artifact store when that is a
    local folder, else a copy downloaded once into the workspace's model cache.

    Args:
        artifacts: the workspace's artifact store.
        record: the version.
        config_path: the workspace's config file; the cache is ``.runlab/cache/models/``
            beside it (in the current folder when None, as for a job's workspace).

    Raises:
        BackendError: the stored files are missing or do not match the hash, or the cache
            cannot be written.
    """
    local = local_model_path(artifacts, record)
    if local is not None:
        return local
    if config_path is None:
        base = pathlib.Path.cwd() / ".runlab"
    elif config_path.parent.name == ".runlab":
        base = config_path.parent
    else:
        base = config_path.parent / ".runlab"
    cache = base.joinpath(*_CACHE, record.name, str(record.version))
    marker = cache / _COMPLETE
    path = cache / model_root(record.files)
    # Versions never change and their numbers are never reused, so a finished copy stays good.
    with contextlib.suppress(OSError):
        if marker.read_text(encoding="utf-8") == record.content_hash and path.exists():
            return path
    path = download_model(artifacts, record, cache, exist_ok=True)
    try:
        marker.write_text(record.content_hash, encoding="utf-8")
    except OSError as error:
        raise BackendError(f"cannot write into the model cache {cache}: {error}") from error
    return path
