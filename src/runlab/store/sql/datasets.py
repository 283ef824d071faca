"""The datasets' part of the SQL metadata store: the ``dataset_versions`` table."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy import exc

from runlab.entities.dataset import DATASET_KINDS, DatasetRecord
from runlab.errors import AlreadyExistsError, BackendError, NotFoundError, ValidationError
from runlab.store.datasets import DatasetStore
from runlab.store.sql.database import SqlStorePart
from runlab.store.sql.schema import dataset_versions

__all__ = ["SqlDatasetStore"]

_SHA256 = re.compile(r"^[0-9a-f]{64}$")
# Each failed attempt means another registration of the name committed first.
_MAX_NUMBERING_ATTEMPTS = 1000

_T = dataset_versions.c
_SELECT = sa.select(
    _T.name,
    _T.version,
    _T.kind,
    _T.description,
    _T.tags,
    _T.definition,
    _T.files,
    _T.content_hash,
    _T.snapshot,
    _T.created_time,
)


def _to_record(row: Sequence[Any]) -> DatasetRecord:
    return DatasetRecord(
        name=row[0],
        version=row[1],
        kind=row[2],
        description=row[3],
        tags=dict(row[4]),
        definition=dict(row[5]),
        files=[dict(item) for item in row[6]],
        content_hash=row[7],
        snapshot=bool(row[8]),
        created_time=row[9],
    )


def _json(value: Any, what: str) -> Any:
    try:
        return json.loads(json.dumps(value, allow_nan=False))
    except (TypeError, ValueError) as error:
        raise ValidationError(f"{what} must be JSON values: {error}") from error


def check_dataset_arguments(
    name: str,
    kind: str,
    definition: Mapping[str, Any],
    files: Sequence[Mapping[str, Any]],
    content_hash: str,
    tags: Mapping[str, str] | None,
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str]]:
    """The checked definition, files and tags of a new version.

    Raises:
        ValidationError: what is wrong, named.
    """
    if not isinstance(name, str) or not name.strip():
        raise ValidationError(f"a dataset needs a non-empty name, not {name!r}")
    if kind not in DATASET_KINDS:
        raise ValidationError(f"bad dataset kind {kind!r}: use one of {DATASET_KINDS}")
    if not isinstance(content_hash, str) or not _SHA256.match(content_hash):
        raise ValidationError(f"bad content hash {content_hash!r}: give 64 hex digits")
    if not isinstance(definition, Mapping):
        raise ValidationError(f"a dataset's definition is a mapping, not {definition!r}")
    if isinstance(files, str | bytes | Mapping) or not isinstance(files, Sequence):
        raise ValidationError(f"a dataset's files are a list, not {files!r}")
    checked_files = _json([dict(item) for item in files], f"the files of dataset {name!r}")
    for item in checked_files:
        if not {"path", "size", "sha256"} <= set(item):
            raise ValidationError(f"a file of dataset {name!r} needs path, size and sha256")
    checked_tags = dict(tags or {})
    if not all(isinstance(k, str) and isinstance(v, str) for k, v in checked_tags.items()):
        raise ValidationError(f"the tags of dataset {name!r} must map str to str")
    definition_json = _json(dict(definition), f"the definition of dataset {name!r}")
    return definition_json, checked_files, checked_tags


class SqlDatasetStore(SqlStorePart, DatasetStore):
    """Dataset versions in a SQL database; see :class:`~runlab.store.DatasetStore`.

    Args:
        database: the shared database.
    """

    def create_dataset_version(
        self,
        name: str,
        *,
        kind: str,
        definition: Mapping[str, Any],
        files: Sequence[Mapping[str, Any]],
        content_hash: str,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        snapshot: bool = False,
        create_new_version: bool = False,
    ) -> DatasetRecord:
        """See :meth:`DatasetStore.create_dataset_version`."""
        definition_json, files_json, tag_values = check_dataset_arguments(
            name, kind, definition, files, content_hash, tags
        )
        if description is not None and not isinstance(description, str):
            raise ValidationError(f"a dataset's description is a string, not {description!r}")
        values: dict[str, Any] = {
            "name": name,
            "kind": kind,
            "description": description,
            "tags": tag_values,
            "definition": definition_json,
            "files": files_json,
            "content_hash": content_hash,
            "snapshot": bool(snapshot),
            "created_time": time.time(),
        }

        def insert(connection: sa.Connection) -> DatasetRecord:
            if not create_new_version:
                latest = connection.execute(
                    _SELECT.where(_T.name == name).order_by(_T.version.desc()).limit(1)
                ).first()
                if latest is not None:
                    record = _to_record(latest)
                    same = (record.kind, record.definition, record.content_hash) == (
                        kind,
                        definition_json,
                        content_hash,
                    )
                    if same:
                        return record
                    raise AlreadyExistsError(
                        f"dataset {name!r} exists (version {record.version}) with other"
                        " content or definition: register with create_new_version=True to"
                        " add a version"
                    )
            return self._insert_next_dataset_version(connection, name, values)

        return self._database.write(f"register a version of dataset {name!r}", insert)

    @staticmethod
    def _insert_next_dataset_version(
        connection: sa.Connection, name: str, values: dict[str, Any]
    ) -> DatasetRecord:
        """Insert as the name's next version; see ``SqlModelRegistryStore`` for the race."""
        highest = sa.select(sa.func.coalesce(sa.func.max(_T.version), 0)).where(_T.name == name)
        for _attempt in range(_MAX_NUMBERING_ATTEMPTS):
            version = int(connection.execute(highest).scalar_one()) + 1
            try:
                with connection.begin_nested():
                    connection.execute(dataset_versions.insert().values(version=version, **values))
            except exc.IntegrityError:
                continue
            row = connection.execute(_SELECT.where(_T.name == name, _T.version == version)).one()
            return _to_record(row)
        raise BackendError(f"could not take a version number for dataset {name!r}")

    def get_dataset_version(self, name: str, version: int | None = None) -> DatasetRecord:
        """See :meth:`DatasetStore.get_dataset_version`."""
        if version is not None and (isinstance(version, bool) or not isinstance(version, int)):
            raise ValidationError(f"a dataset version is an int, not {version!r}")

        def select(connection: sa.Connection) -> DatasetRecord:
            query = _SELECT.where(_T.name == name)
            if version is None:
                query = query.order_by(_T.version.desc()).limit(1)
            else:
                query = query.where(_T.version == version)
            row = connection.execute(query).first()
            if row is None:
                if version is None:
                    raise NotFoundError(f"no dataset named {name!r} in this workspace")
                raise NotFoundError(f"dataset {name!r} has no version {version}")
            return _to_record(row)

        return self._database.read(f"read dataset {name!r}", select)

    def list_dataset_versions(self, name: str | None = None) -> list[DatasetRecord]:
        """See :meth:`DatasetStore.list_dataset_versions`."""

        def select(connection: sa.Connection) -> list[DatasetRecord]:
            if name is not None:
                query = _SELECT.where(_T.name == name).order_by(_T.version.desc())
            else:
                newest = (
                    sa.select(_T.name, sa.func.max(_T.version).label("version"))
                    .group_by(_T.name)
                    .subquery()
                )
                query = _SELECT.join(
                    newest, sa.and_(_T.name == newest.c.name, _T.version == newest.c.version)
                ).order_by(_T.name)
            return [_to_record(row) for row in connection.execute(query)]

        return self._database.read("list datasets", select)
