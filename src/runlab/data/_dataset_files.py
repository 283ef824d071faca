"""A dataset's files: resolving its sources to pinned files, and getting them back verified.

A source is a datastore path (a file, a folder, or a glob such as ``mnist/*.gz`` or
``logs/**/*.csv``) or an http(s) URL. Resolving lists what a source matches now and pins
each file: its path in the dataset, its source, size and sha256 (taken from the upload
manifests where they vouch for a file, else computed). Getting a pinned file back checks
its bytes against the pin; a file that changed is refused (:class:`DataChangedError`)
unless the caller allows it, and read from the workspace's snapshot of the version when
there is one.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import fnmatch
import functools
import hashlib
import logging
import os
import shutil
import tempfile
import threading
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from runlab.artifacts import safe_local_path, vet_path
from runlab.data._copy import CHUNK, hash_file
from runlab.data._manifest import fresh_hashes
from runlab.data._storage import DatastoreFiles, StoredFile
from runlab.data.datastore import Datastore
from runlab.errors import BackendError, InvalidStateError, NotFoundError, ValidationError

if TYPE_CHECKING:
    from runlab.tracking import Workspace

__all__ = [
    "SNAPSHOT_PREFIX",
    "DataChangedError",
    "changed_files",
    "check_source",
    "fetch_files",
    "resolve_sources",
    "snapshot_files",
]

SNAPSHOT_PREFIX = "datasets/objects"
"""Where snapshotted files are kept in the artifact store, by sha256 (shared by versions)."""

_WORKERS = 8
_GLOB = set("*?[")
_SHOWN = 10
logger = logging.getLogger("runlab.data")

PinnedFile = dict[str, Any]


class DataChangedError(InvalidStateError):
    """A dataset version's files are no longer what the version pinned."""


def _is_url(text: str) -> bool:
    return text.startswith(("http://", "https://"))


def check_source(source: Mapping[str, Any]) -> dict[str, Any]:
    """A source as JSON: ``{"datastore", "path"}`` or ``{"url"}``, checked.

    Raises:
        ValidationError: neither, or an unsafe path.
    """
    if "url" in source:
        url = source["url"]
        if not isinstance(url, str) or not _is_url(url):
            raise ValidationError(f"a dataset URL must start with http:// or https://: {url!r}")
        return {"url": url}
    name, path = source.get("datastore"), source.get("path", "")
    if not isinstance(name, str) or not isinstance(path, str):
        raise ValidationError(f"not a dataset source: {dict(source)!r}")
    pattern = path.strip("/")
    vet_path(pattern.replace("*", "x").replace("?", "x").replace("[", "x"), allow_empty=True)
    return {"datastore": name, "path": pattern}


def _split_glob(pattern: str) -> tuple[str, str | None]:
    """The folder before the first component with a wildcard, and the rest (None: none)."""
    parts = pattern.split("/") if pattern else []
    for index, part in enumerate(parts):
        if _GLOB & set(part):
            return "/".join(parts[:index]), "/".join(parts[index:])
    return pattern, None


def _matches(parts: Sequence[str], pattern: Sequence[str]) -> bool:
    """Whether path components match glob components; ``**`` matches any number of them."""
    if not pattern:
        return not parts
    if pattern[0] == "**":
        return any(_matches(parts[skip:], pattern[1:]) for skip in range(len(parts) + 1))
    return (
        bool(parts)
        and fnmatch.fnmatchcase(parts[0], pattern[0])
        and _matches(parts[1:], pattern[1:])
    )


def _hash_all(jobs: Iterable[tuple[str, Callable[[], str]]]) -> dict[str, str]:
    """Run hashing jobs several at a time, each thread taking a share of them in turn (one
    future per job would cost more than hashing a small file); the digests by key."""
    listed = list(jobs)
    if not listed:
        return {}
    workers = min(_WORKERS, len(listed))

    def share(start: int) -> list[tuple[str, str]]:
        return [(key, job()) for key, job in listed[start::workers]]

    with concurrent.futures.ThreadPoolExecutor(workers) as pool:
        shares = list(pool.map(share, range(workers)))
    return {key: digest for done in shares for key, digest in done}


class _Storages:
    """The datastores' files by name, each looked up once per operation."""

    def __init__(self, workspace: Workspace | None) -> None:
        self.workspace = workspace
        self._found: dict[str, DatastoreFiles] = {}
        self._lock = threading.Lock()

    def __call__(self, name: str) -> DatastoreFiles:
        with self._lock:
            if name not in self._found:
                if self.workspace is None:
                    raise ValidationError(f"datastore {name!r} needs a workspace to be read")
                self._found[name] = Datastore.get(self.workspace, name)._storage
            return self._found[name]


def _datastore_files(storages: _Storages, source: dict[str, Any]) -> list[PinnedFile]:
    storage = storages(source["datastore"])
    base, glob = _split_glob(source["path"])
    listing = storage.list_files(base)
    if glob is not None:
        wanted = glob.split("/")
        offset = len(base) + 1 if base else 0
        listing = {
            path: stored
            for path, stored in listing.items()
            if _matches(path[offset:].split("/"), wanted)
        }
    if not listing:
        raise NotFoundError(
            f"nothing in datastore {source['datastore']!r} matches {source['path'] or '/'!r}"
        )
    known = fresh_hashes(storage, listing)
    computed = _hash_all(
        (path, functools.partial(storage.hash_stored, path))
        for path in listing
        if path not in known
    )
    is_file = glob is None and list(listing) == [base] and bool(base)
    files = []
    for path, stored in listing.items():
        relative = PurePosixPath(path).name if is_file else path[len(base) :].lstrip("/")
        files.append(
            {
                "path": relative,
                "source": {"datastore": source["datastore"], "path": path},
                "size": stored.size,
                "sha256": known.get(path) or computed[path],
            }
        )
    return files


def _open_url(url: str) -> Any:
    try:
        return urllib.request.urlopen(url, timeout=60)
    except urllib.error.HTTPError as error:
        if error.code == 404:
            raise NotFoundError(f"{url} answered 404 Not Found") from error
        raise BackendError(f"{url} answered {error.code} {error.reason}") from error
    except (urllib.error.URLError, OSError) as error:
        raise BackendError(f"cannot read {url}: {error}") from error


def _read_url(url: str, target: Path | None) -> tuple[str, int]:
    """Stream a URL, hashing it (and writing it to ``target`` when given): sha256, size."""
    digest, size = hashlib.sha256(), 0
    with _open_url(url) as answer, contextlib.ExitStack() as stack:
        out = stack.enter_context(target.open("wb")) if target is not None else None
        try:
            while chunk := answer.read(CHUNK):
                digest.update(chunk)
                size += len(chunk)
                if out is not None:
                    out.write(chunk)
        except OSError as error:
            raise BackendError(f"reading {url} failed part way: {error}") from error
    return digest.hexdigest(), size


def _url_file(source: dict[str, Any]) -> PinnedFile:
    url = source["url"]
    name = PurePosixPath(urllib.parse.urlsplit(url).path).name or "index"
    digest, size = _read_url(url, None)
    return {"path": name, "source": {"url": url}, "size": size, "sha256": digest}


def resolve_sources(
    workspace: Workspace | None, sources: Sequence[Mapping[str, Any]]
) -> list[PinnedFile]:
    """The files the sources match now, each pinned with its size and sha256, by path.

    Raises:
        NotFoundError: a source matches nothing.
        ValidationError: two sources give files the same path in the dataset.
        BackendError: a datastore or URL cannot be read.
    """
    files: dict[str, PinnedFile] = {}
    storages = _Storages(workspace)
    for source in sources:
        checked = check_source(source)
        found = [_url_file(checked)] if "url" in checked else _datastore_files(storages, checked)
        for item in found:
            if item["path"] in files:
                raise ValidationError(
                    f"two sources give the file {item['path']!r}: its path in the dataset must"
                    " be unique (use folders or patterns that do not overlap)"
                )
            files[item["path"]] = item
    return [files[path] for path in sorted(files)]


def _snapshot_key(sha256: str) -> str:
    return f"{SNAPSHOT_PREFIX}/{sha256[:2]}/{sha256}"


def _copy_source(storages: _Storages, item: PinnedFile, target: Path) -> str:
    """Copy a file from its source to the local ``target``; its sha256."""
    source = item["source"]
    if "url" in source:
        return _read_url(source["url"], target)[0]
    storage = storages(source["datastore"])
    stored = StoredFile(source["path"], int(item["size"]), None)
    digest = storage.get(stored, target, hashing=True, advance=lambda _count: None)
    return digest or hash_file(target)


def snapshot_files(workspace: Workspace, files: Sequence[PinnedFile]) -> None:
    """Copy each file into the workspace's artifact store by its sha256, checking it still
    has the pinned content (once per distinct content).

    Raises:
        DataChangedError: a file changed since it was pinned.
    """
    artifacts = workspace.artifacts
    storages = _Storages(workspace)
    wanted = {item["sha256"]: item for item in files}
    missing = [item for sha, item in wanted.items() if not artifacts.exists(_snapshot_key(sha))]
    with tempfile.TemporaryDirectory(prefix="runlab-dataset-") as scratch:

        def copy(index: int, item: PinnedFile) -> str | None:
            local = Path(scratch, str(index))
            digest = _copy_source(storages, item, local)
            if digest != item["sha256"]:
                return str(item["path"])
            artifacts.put_file(local, _snapshot_key(digest))
            local.unlink()
            return None

        with concurrent.futures.ThreadPoolExecutor(_WORKERS) as pool:
            changed = [p for p in pool.map(copy, range(len(missing)), missing) if p is not None]
    if changed:
        raise DataChangedError(_changed_message("its files changed while registering", changed))


def _changed_message(what: str, paths: Sequence[str]) -> str:
    shown = ", ".join(sorted(paths)[:_SHOWN])
    more = f" and {len(paths) - _SHOWN} more" if len(paths) > _SHOWN else ""
    return f"{what}: {shown}{more}"


def _local_in_place(storages: _Storages, item: PinnedFile) -> Path | None:
    """The local path of a file read in place (a local datastore), or None."""
    source = item["source"]
    if "datastore" not in source:
        return None
    storage = storages(source["datastore"])
    if storage.local_root is None:
        return None
    return storage.local_path(source["path"])


def _link_or_copy(source: Path, target: Path) -> None:
    target.unlink(missing_ok=True)
    try:
        os.symlink(source, target)
    except OSError:  # no symlinks here (Windows without the privilege): a copy
        shutil.copyfile(source, target)


def fetch_files(
    workspace: Workspace | None,
    files: Sequence[PinnedFile],
    target: Path,
    *,
    mode: str,
    describe: str,
    snapshot: bool = False,
    allow_changed: bool = False,
    verify: bool = True,
) -> list[Path]:
    """Put each pinned file at ``target/<its path>``, checked against its pin.

    A ``"mount"`` of a file of a local datastore is a link to it (read in place); anything
    else is copied. A file that changed is read from the version's snapshot when it has one;
    else, with ``allow_changed``, the current bytes are used (a warning on the
    ``runlab.data`` logger names the files); else nothing is kept and the call fails.

    Args:
        workspace: where the datastores and the snapshot are.
        files: the pinned files.
        target: the local folder.
        mode: ``"mount"`` or ``"download"``.
        describe: how messages name the dataset (``dataset 'mnist' version 1``).
        snapshot: whether the workspace holds a snapshot of these files.
        allow_changed: use changed files as they are now.
        verify: check the bytes against the pins (False for a dataset never registered,
            whose pins were taken just now).

    Returns:
        The local paths, in the order of ``files``.

    Raises:
        DataChangedError: files changed (or vanished) and neither a snapshot nor
            ``allow_changed`` helps; the message names them.
    """
    target.mkdir(parents=True, exist_ok=True)
    storages = _Storages(workspace)
    destinations = [safe_local_path(target, vet_path(item["path"])) for item in files]

    def get(index: int) -> str | None:
        item, destination = files[index], destinations[index]
        destination.parent.mkdir(parents=True, exist_ok=True)
        try:
            in_place = _local_in_place(storages, item) if mode == "mount" else None
            if in_place is not None:
                good = not verify or (
                    in_place.is_file()
                    and in_place.stat().st_size == item["size"]
                    and hash_file(in_place) == item["sha256"]
                )
                if good:
                    _link_or_copy(in_place, destination)
                    return None
            else:
                digest = _copy_source(storages, item, destination)
                if not verify or digest == item["sha256"]:
                    return None
        except NotFoundError:
            pass
        # Changed or gone: the snapshot, or the current bytes if allowed, or refuse.
        destination.unlink(missing_ok=True)
        if snapshot and workspace is not None:
            workspace.artifacts.get_file(_snapshot_key(item["sha256"]), destination)
            return None
        if allow_changed:
            with contextlib.suppress(NotFoundError):
                _copy_source(storages, item, destination)
        return str(item["path"])

    with concurrent.futures.ThreadPoolExecutor(_WORKERS) as pool:
        changed = [path for path in pool.map(get, range(len(files))) if path is not None]
    if changed and not allow_changed:
        for destination in destinations:
            destination.unlink(missing_ok=True)
        raise DataChangedError(
            _changed_message(
                f"{describe}: files changed on their datastore since it was registered (pass"
                " allow_changed=True to use them as they are now, or register the dataset"
                " again for a new version)",
                changed,
            )
        )
    if changed:
        logger.warning(
            _changed_message(f"{describe}: using files that changed since registration", changed)
        )
    return destinations


def changed_files(workspace: Workspace | None, files: Sequence[PinnedFile]) -> list[str]:
    """The paths (in the dataset) of the pinned files whose bytes are no longer the pinned
    ones where they came from, or that are gone; read in place, nothing is copied."""
    storages = _Storages(workspace)

    def current(item: PinnedFile) -> str | None:
        source = item["source"]
        try:
            if "url" in source:
                return _read_url(source["url"], None)[0]
            return storages(source["datastore"]).hash_stored(source["path"])
        except NotFoundError:
            return None

    with concurrent.futures.ThreadPoolExecutor(_WORKERS) as pool:
        digests = list(pool.map(current, files))
    return [
        str(item["path"])
        for item, digest in zip(files, digests, strict=True)
        if digest != item["sha256"]
    ]
