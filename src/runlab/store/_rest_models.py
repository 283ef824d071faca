"""The registered and logged models' part of :class:`~runlab.store.rest.RestMetadataStore`:
one request to the server's ``/api/registered-models`` or ``/api/logged-models`` per method of
:class:`~runlab.store.RegisteredModelStore` and :class:`~runlab.store.LoggedModelStore`."""

from __future__ import annotations

import abc
from collections.abc import Mapping
from typing import Any

from runlab.entities.model import LoggedModelRecord, ModelRecord, RegisteredModelRecord
from runlab.errors import ValidationError
from runlab.store import wire
from runlab.store._http import json_object, segment
from runlab.store.common import str_list
from runlab.store.logged_models import LoggedModelStore
from runlab.store.registered_models import RegisteredModelStore

__all__ = ["RestLoggedModelStore", "RestRegisteredModelStore"]


def _model_path(name: str) -> str:
    return f"/registered-models/{segment(name, 'a model name')}"


def _alias_path(name: str, alias: str) -> str:
    return f"{_model_path(name)}/aliases/{segment(alias, 'a model alias')}"


class RestRegisteredModelStore(RegisteredModelStore):
    """The registered models' methods of a server's client; the class using it supplies
    ``_call``."""

    @abc.abstractmethod
    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """One request to the server's ``/api``."""

    def create_registered_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
    ) -> RegisteredModelRecord:
        """See :meth:`RegisteredModelStore.create_registered_model`."""
        body = {
            "name": name,
            "description": description,
            "tags": json_object(tags, f"the tags of model {name!r}"),
        }
        return wire.registered_model_from_json(self._call("POST", "/registered-models", body))

    def get_registered_model(self, name: str) -> RegisteredModelRecord:
        """See :meth:`RegisteredModelStore.get_registered_model`."""
        return wire.registered_model_from_json(self._call("GET", _model_path(name)))

    def list_registered_models(self) -> list[RegisteredModelRecord]:
        """See :meth:`RegisteredModelStore.list_registered_models`."""
        answer = self._call("GET", "/registered-models")
        return [wire.registered_model_from_json(item) for item in answer]

    def update_registered_model(
        self,
        name: str,
        *,
        description: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
    ) -> RegisteredModelRecord:
        """See :meth:`RegisteredModelStore.update_registered_model`."""
        body = {
            "description": description,
            "tags": json_object(tags, f"the tags of model {name!r}"),
            "remove_tag": remove_tag,
        }
        return wire.registered_model_from_json(self._call("PATCH", _model_path(name), body))

    def delete_registered_model(self, name: str) -> None:
        """See :meth:`RegisteredModelStore.delete_registered_model`."""
        self._call("DELETE", _model_path(name))

    def set_model_alias(self, name: str, alias: str, version: int) -> None:
        """See :meth:`RegisteredModelStore.set_model_alias`."""
        if isinstance(version, bool) or not isinstance(version, int):
            raise ValidationError(f"the version of alias {alias!r} is an int, not {version!r}")
        self._call("PUT", _alias_path(name, alias), {"version": version})

    def delete_model_alias(self, name: str, alias: str) -> None:
        """See :meth:`RegisteredModelStore.delete_model_alias`."""
        self._call("DELETE", _alias_path(name, alias))

    def get_model_version_by_alias(self, name: str, alias: str) -> ModelRecord:
        """See :meth:`RegisteredModelStore.get_model_version_by_alias`."""
        return wire.model_from_json(self._call("GET", _alias_path(name, alias)))


def _logged_path(model_id: str) -> str:
    return f"/logged-models/{segment(model_id, 'a logged model id')}"


class RestLoggedModelStore(LoggedModelStore):
    """The logged models' methods of a server's client; the class using it supplies
    ``_call``."""

    @abc.abstractmethod
    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """One request to the server's ``/api``."""

    def create_logged_model(
        self,
        experiment_name: str,
        name: str,
        *,
        source_run_id: str | None = None,
        model_type: str | None = None,
        tags: Mapping[str, str] | None = None,
        params: Mapping[str, str] | None = None,
    ) -> LoggedModelRecord:
        """See :meth:`LoggedModelStore.create_logged_model`."""
        body = {
            "experiment_name": experiment_name,
            "name": name,
            "source_run_id": source_run_id,
            "model_type": model_type,
            "tags": json_object(tags, f"the tags of logged model {name!r}"),
            "params": json_object(params, f"the params of logged model {name!r}"),
        }
        return wire.logged_model_from_json(self._call("POST", "/logged-models", body))

    def get_logged_model(self, model_id: str) -> LoggedModelRecord:
        """See :meth:`LoggedModelStore.get_logged_model`."""
        return wire.logged_model_from_json(self._call("GET", _logged_path(model_id)))

    def update_logged_model(
        self,
        model_id: str,
        *,
        status: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> LoggedModelRecord:
        """See :meth:`LoggedModelStore.update_logged_model`."""
        body = {
            "status": status,
            "tags": json_object(tags, f"the tags of logged model {model_id!r}"),
            "remove_tag": remove_tag,
            "params": json_object(params, f"the params of logged model {model_id!r}"),
        }
        return wire.logged_model_from_json(self._call("PATCH", _logged_path(model_id), body))

    def search_logged_models(
        self, *, experiment_names: list[str] | None = None, source_run_id: str | None = None
    ) -> list[LoggedModelRecord]:
        """See :meth:`LoggedModelStore.search_logged_models`."""
        body = {
            "experiment_names": (
                None if experiment_names is None else str_list(experiment_names, "experiment_names")
            ),
            "source_run_id": source_run_id,
        }
        answer = self._call("POST", "/logged-models/search", body)
        return [wire.logged_model_from_json(item) for item in answer]

    def delete_logged_model(self, model_id: str) -> None:
        """See :meth:`LoggedModelStore.delete_logged_model`."""
        self._call("DELETE", _logged_path(model_id))
