"""Checking what users hand the model registry: names, ids, tags, properties, filters."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence

from runlab.errors import ValidationError

__all__ = ["LabelFilter", "check_model_name", "label_filter", "parse_model_id"]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,254}$")

LabelFilter = Mapping[str, str | None] | Sequence[str | Sequence[str]]
"""A tag or property filter: ``{"key": "value"}`` (``None`` for any value), or as the SDK
takes them, a list of keys and ``[key, value]`` pairs."""


def check_model_name(name: object) -> str:
    """Return ``name`` if it is a valid model name.

    Raises:
        ValidationError: it is not 1-255 letters, digits, ``-``, ``_`` and ``.``, starting
            with a letter or digit.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValidationError(
            f"bad model name {name!r}: use 1-255 letters, digits, '-', '_' and '.',"
            " starting with a letter or digit"
        )
    return name


def parse_model_id(model_id: str) -> tuple[str, int]:
    """Split a model id ``name:version`` into its name and version.

    Raises:
        ValidationError: it is not ``name:version`` with a valid name and a positive version.
    """
    name, _colon, version = str(model_id).rpartition(":")
    if not name or not version.isdigit() or int(version) < 1:
        raise ValidationError(f"bad model id {model_id!r}: use name:version, e.g. 'mnist:3'")
    return check_model_name(name), int(version)


def label_filter(value: LabelFilter | None, what: str) -> dict[str, str | None] | None:
    """A :data:`LabelFilter` as the metadata store takes it: ``{key: value or None}``.

    Raises:
        ValidationError: an item of a list is neither a key nor a ``[key, value]`` pair.
    """
    if value is None:
        return None
    if isinstance(value, Mapping):
        return dict(value)
    if isinstance(value, str):
        return {value: None}
    wanted: dict[str, str | None] = {}
    for item in value:
        if isinstance(item, str):
            wanted[item] = None
        elif len(item) == 2 and all(isinstance(part, str) for part in item):
            wanted[item[0]] = item[1]
        else:
            raise ValidationError(f"bad {what} filter {item!r}: use 'key' or ['key', 'value']")
    return wanted
