"""Keeping a datastore's credentials out of the metadata store.

Storage options are split when a datastore is registered. Options whose names look like
credentials (``key``, ``secret``, ``token``, ``password``, ``account_key``, ``sas_token``,
``connection_string``, ``client_secret``, ...: anything matching ``secret|password|token|key``
that is not a container of settings such as ``client_kwargs``) are replaced by a marker,
``{"$secret": true}``, in what the metadata store keeps; their values go to the workspace's
secrets file, ``.runlab/secrets.json`` beside the config (mode 0600, replaced atomically under
a file lock), keyed by datastore name. Nested options are split the same way, so
``client_kwargs={"aws_secret_access_key": ...}`` keeps ``endpoint_url`` in the metadata and
the secret in the file.

When a datastore is opened each marker is filled from, in order: the environment variable
``RUNLAB_DATASTORE_<NAME>_<OPTION>`` (upper case; a nested option joins its path with ``_``,
e.g. ``RUNLAB_DATASTORE_RAW_CLIENT_KWARGS_AWS_SECRET_ACCESS_KEY``), then the secrets file.
The environment is how a job on another machine, or a workspace opened without its config
folder, gets credentials; ``RUNLAB_SECRETS_FILE`` names a secrets file for a workspace that has
no config folder of its own.
"""

from __future__ import annotations

import json
import logging
import os
import re
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from runlab._files import write_atomic
from runlab.errors import BackendError, NotFoundError, ValidationError

__all__ = [
    "SECRETS_FILE_ENV",
    "SECRET_MARK",
    "SecretsFile",
    "environment_variable",
    "is_secret_option",
    "mask_options",
    "resolve_options",
    "secrets_path",
    "split_options",
]

SECRET_MARK: dict[str, Any] = {"$secret": True}
"""What the metadata store holds in place of a credential."""

SECRETS_FILE_ENV = "RUNLAB_SECRETS_FILE"
ENV_PREFIX = "RUNLAB_DATASTORE_"

_SECRET_NAME = re.compile(r"secret|password|passwd|token|key|credential|connection_?string", re.I)
# Containers of settings (client_kwargs, config_kwargs, s3_additional_kwargs, ...) are walked,
# not hidden whole, so an endpoint URL stays visible while a secret inside them does not.
_CONTAINER_NAME = re.compile(r"(^|_)kwargs$", re.I)
_NOT_ALNUM = re.compile(r"[^A-Za-z0-9]+")
_FILE_NAME = "secrets.json"
_LOCK_TIMEOUT_S = 30

logger = logging.getLogger("runlab.data")


def is_secret_option(name: str) -> bool:
    """Whether an option of this name holds a credential (kept out of the metadata store).

    Example:
        >>> is_secret_option("account_key"), is_secret_option("client_kwargs")
        (True, False)
    """
    return bool(_SECRET_NAME.search(name)) and not _CONTAINER_NAME.search(name)


def _check_json(datastore: str, options: Mapping[str, Any]) -> None:
    try:
        json.dumps(dict(options), allow_nan=False)
    except (TypeError, ValueError) as error:
        raise ValidationError(
            f"the options of datastore {datastore!r} must be JSON values (str, number, bool,"
            f" None, lists and mappings of them): {error}"
        ) from error


def split_options(
    datastore: str, options: Mapping[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Split storage options into what the metadata store may keep (credentials replaced by
    :data:`SECRET_MARK`) and the credentials, both nested as ``options`` is.

    Raises:
        ValidationError: a value is not JSON, or a key is not a str.
    """
    _check_json(datastore, options)
    plain: dict[str, Any] = {}
    hidden: dict[str, Any] = {}
    for name, value in options.items():
        if not isinstance(name, str):
            raise ValidationError(f"option names of datastore {datastore!r} must be str")
        if is_secret_option(name):
            plain[name] = dict(SECRET_MARK)
            hidden[name] = value
        elif isinstance(value, Mapping):
            plain[name], nested = split_options(datastore, value)
            if nested:
                hidden[name] = nested
        else:
            plain[name] = value
    return plain, hidden


def environment_variable(datastore: str, path: tuple[str, ...]) -> str:
    """The environment variable that supplies the credential at ``path`` of a datastore.

    Example:
        >>> environment_variable("raw_s3", ("secret",))
        'RUNLAB_DATASTORE_RAW_S3_SECRET'
    """
    parts = [_NOT_ALNUM.sub("_", part).strip("_").upper() for part in (datastore, *path)]
    return ENV_PREFIX + "_".join(parts)


def resolve_options(
    datastore: str,
    options: Mapping[str, Any],
    stored: Mapping[str, Any],
    environ: Mapping[str, str],
) -> dict[str, Any]:
    """The options to open a datastore with: each marker filled from the environment, else
    from ``stored`` (the secrets file's entry).

    Raises:
        NotFoundError: a credential is in neither place; the message names the variable.
    """

    def fill(node: Mapping[str, Any], secrets: Mapping[str, Any], path: tuple[str, ...]) -> Any:
        filled: dict[str, Any] = {}
        for name, value in node.items():
            here = (*path, name)
            if value == SECRET_MARK:
                variable = environment_variable(datastore, here)
                if variable in environ:
                    filled[name] = environ[variable]
                elif name in secrets:
                    filled[name] = secrets[name]
                else:
                    raise NotFoundError(
                        f"datastore {datastore!r} needs the credential {'.'.join(here)!r}, which"
                        f" is neither in the environment ({variable}) nor in this workspace's"
                        " secrets file: set the variable, or register the datastore again"
                    )
            elif isinstance(value, Mapping):
                nested = secrets.get(name)
                filled[name] = fill(value, nested if isinstance(nested, Mapping) else {}, here)
            else:
                filled[name] = value
        return filled

    resolved: dict[str, Any] = fill(options, stored, ())
    return resolved


def mask_options(options: Mapping[str, Any]) -> dict[str, Any]:
    """``options`` with every credential marker shown as ``"***"`` (for reprs and listings)."""
    return {
        name: "***"
        if value == SECRET_MARK
        else mask_options(value)
        if isinstance(value, Mapping)
        else value
        for name, value in options.items()
    }


def secrets_path(config_path: Path | None) -> Path | None:
    """Where a workspace keeps credentials: ``secrets.json`` in its ``.runlab`` folder, else
    the file ``RUNLAB_SECRETS_FILE`` names, else nowhere (None)."""
    if config_path is not None:
        folder = config_path.parent
        if folder.name != ".runlab":
            folder = folder / ".runlab"
        return folder / _FILE_NAME
    named = os.environ.get(SECRETS_FILE_ENV)
    return Path(named) if named else None


class SecretsFile:
    """The credentials of a workspace's datastores, in one JSON file only its owner can read.

    ``{"datastores": {"<name>": {<credential options, nested as given>}}}``. Every change
    reads, edits and replaces the file under a file lock (``secrets.json.lock``), writing a
    fresh 0600 file and renaming it over the old one, so readers never see half a file and
    two writers never lose each other's entries.

    Args:
        path: the file; None for a workspace with nowhere to keep credentials.
    """

    def __init__(self, path: Path | None) -> None:
        self._path = path

    def __repr__(self) -> str:
        return f"SecretsFile({os.fspath(self._path) if self._path else None!r})"

    def get(self, datastore: str) -> dict[str, Any]:
        """The credentials kept for ``datastore`` (empty when none)."""
        entry = self._read().get(datastore, {})
        return dict(entry) if isinstance(entry, Mapping) else {}

    def put(self, datastore: str, credentials: Mapping[str, Any]) -> None:
        """Keep ``credentials`` for ``datastore``, replacing what was kept for it.

        Raises:
            ValidationError: the workspace has no folder to keep them in.
            BackendError: the file cannot be written.
        """
        if self._path is None:
            raise ValidationError(
                f"cannot keep the credentials of datastore {datastore!r}: this workspace was"
                " opened without its config folder; open it with Workspace.from_config(), set"
                f" {SECRETS_FILE_ENV}, or pass the credentials as"
                f" {environment_variable(datastore, ('<OPTION>',))} environment variables"
            )
        self._edit(self._path, lambda entries: entries | {datastore: dict(credentials)})

    def remove(self, datastore: str) -> None:
        """Forget the credentials of ``datastore``, if any were kept."""
        if self._path is not None and self._path.exists():
            self._edit(
                self._path,
                lambda entries: {key: value for key, value in entries.items() if key != datastore},
            )

    def _read(self) -> dict[str, Any]:
        if self._path is None:
            return {}
        try:
            text = self._path.read_text(encoding="utf-8")
            if os.stat(self._path).st_mode & 0o077:
                logger.warning("%s can be read by others than its owner: chmod 600 it", self._path)
        except FileNotFoundError:
            return {}
        except OSError as error:
            raise BackendError(f"cannot read the secrets file {self._path}: {error}") from error
        try:
            content = json.loads(text)
        except json.JSONDecodeError as error:
            # Never quote the content: it holds credentials.
            raise BackendError(f"the secrets file {self._path} is not valid JSON") from error
        entries = content.get("datastores") if isinstance(content, dict) else None
        return dict(entries) if isinstance(entries, dict) else {}

    def _edit(self, path: Path, change: Callable[[dict[str, Any]], dict[str, Any]]) -> None:
        import filelock

        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with filelock.FileLock(f"{path}.lock", timeout=_LOCK_TIMEOUT_S):
                entries = change(self._read())
                text = json.dumps({"datastores": entries}, indent=2, sort_keys=True) + "\n"
                # 0600 from the start: the credentials are never readable by others, not even
                # for a moment before a chmod.
                write_atomic(path, text, mode=0o600)
        except filelock.Timeout as error:
            raise BackendError(
                f"the secrets file {path} stayed locked by another process"
            ) from error
        except OSError as error:
            raise BackendError(f"cannot write the secrets file {path}: {error}") from error
