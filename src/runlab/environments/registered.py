"""Registered environments: ``env.register(ws)``, ``Environment.get``, ``Environment.list``.

The workspace's metadata store keeps each version's spec
(:class:`~runlab.store.EnvironmentStore`); curated names resolve without it.
"""

from __future__ import annotations

from runlab.environments.curated import curated_environment, is_curated_name
from runlab.environments.spec import Environment
from runlab.errors import NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["get", "latest_of_each", "register"]


def _whole_number(version: int | str | None) -> int | None:
    if version is None or (type(version) is int and version >= 1):
        return version
    if isinstance(version, str) and version.strip().isdigit() and int(version) >= 1:
        return int(version)  # the SDK took "3" too
    raise ValidationError(f"an environment version is a whole number >= 1, not {version!r}")


def register(store: MetadataStore, environment: Environment) -> int:
    """Register ``environment``'s spec and return its version number.

    Raises:
        ValidationError: the name is a curated environment's (``AzureML-...``).
    """
    if is_curated_name(environment.name):
        raise ValidationError(
            f"environment names starting 'AzureML-' are the curated ones: register "
            f"{environment.name!r} under another name"
        )
    return store.create_environment_version(environment.name, environment.to_dict()).version


def _from_record(spec: dict[str, object], version: int) -> Environment:
    environment = Environment.from_dict(spec)
    environment.version = version
    return environment


def get(store: MetadataStore, name: str, version: int | str | None) -> Environment:
    """A registered environment, else a curated one.

    Raises:
        NotFoundError: neither; for a curated-looking name, the known curated names.
    """
    number = _whole_number(version)
    try:
        record = store.get_environment_version(name, number)
    except NotFoundError:
        if is_curated_name(name):
            return curated_environment(name)
        raise
    return _from_record(record.spec, record.version)


def latest_of_each(store: MetadataStore) -> dict[str, Environment]:
    """The latest version of each registered environment, by name."""
    latest = {record.name: record for record in store.list_environment_versions()}
    return {name: _from_record(record.spec, record.version) for name, record in latest.items()}
