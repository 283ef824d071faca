"""The rules of a run's tags and properties, the same for every store and for offline runs.

Tags are mutable labels: set, replaced, removed. Properties are add-only facts: adding a key
again with the same value changes nothing, with another value is refused. A store applies
these functions inside its transaction; :class:`runlab.OfflineRun` applies them in memory, so
both refuse the same things with the same errors.
"""

from __future__ import annotations

from collections.abc import Mapping

from runlab.errors import AlreadyExistsError, NotFoundError

__all__ = ["labels_match", "with_properties", "without_tag"]


def with_properties(
    current: Mapping[str, str], added: Mapping[str, str], owner: str
) -> dict[str, str]:
    """``current`` with the properties ``added``, which must not change any of them.

    Args:
        current: the properties held now.
        added: the properties to add (already strings: see ``runlab.tracking.values.string_map``).
        owner: what holds them, for the message, e.g. ``"run 'exp_1_ab12cd34'"``.

    Raises:
        AlreadyExistsError: a key exists with another value; nothing is added then.

    Example:
        >>> with_properties({"a": "1"}, {"a": "1", "b": "2"}, "run 'r'")
        {'a': '1', 'b': '2'}
    """
    for key, value in added.items():
        if key in current and current[key] != value:
            raise AlreadyExistsError(
                f"{owner} already has property {key!r} = {current[key]!r};"
                " properties cannot be changed once added (use a tag instead)"
            )
    return dict(current) | dict(added)


def without_tag(current: Mapping[str, str], key: str, owner: str) -> dict[str, str]:
    """``current`` without the tag ``key``.

    Raises:
        NotFoundError: there is no such tag.
    """
    if key not in current:
        raise NotFoundError(f"{owner} has no tag {key!r}")
    return {name: value for name, value in current.items() if name != key}


def labels_match(labels: Mapping[str, str], wanted: Mapping[str, str | None] | None) -> bool:
    """Whether ``labels`` (tags or properties) have every key of ``wanted``, with its value
    where one is given (None matches any value), as ``MetadataStore.search_runs`` filters."""
    if not wanted:
        return True
    return all(
        key in labels and (value is None or labels[key] == value) for key, value in wanted.items()
    )
