"""The web services' part of :class:`~runlab.store.rest.RestMetadataStore`: one request to the
server's ``/api/services`` per :class:`~runlab.store.services.ServiceStore` method."""

from __future__ import annotations

import abc
import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

from runlab.entities.service import ServiceRecord
from runlab.errors import ValidationError
from runlab.store._http import json_object, segment
from runlab.store.common import str_list
from runlab.store.services import ServiceStore

__all__ = ["RestServiceStore", "service_from_json"]

_FIELDS = tuple(field.name for field in dataclasses.fields(ServiceRecord))


def service_from_json(data: Mapping[str, Any]) -> ServiceRecord:
    """The service record the server sent (:meth:`ServiceRecord.to_dict`)."""
    try:
        return ServiceRecord(**{name: data[name] for name in _FIELDS})
    except (KeyError, TypeError) as error:
        raise ValidationError(f"malformed web service from the server: {error!r}") from error


class RestServiceStore(ServiceStore):
    """The web services' methods of a server's client; the class using it supplies ``_call``."""

    @abc.abstractmethod
    def _call(self, method: str, path: str, body: Any = None, **params: Any) -> Any:
        """One request to the server's ``/api``."""

    @staticmethod
    def _service_path(name: str) -> str:
        return f"/services/{segment(name, 'a web service name')}"

    def create_service(
        self,
        name: str,
        kind: str,
        *,
        state: str,
        models: Sequence[str] = (),
        config: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> ServiceRecord:
        """See :meth:`ServiceStore.create_service`."""
        body = {
            "name": name,
            "kind": kind,
            "state": state,
            "models": str_list(models, f"the models of web service {name!r}"),
            "config": json_object(config, f"the config of web service {name!r}"),
            "details": json_object(details, f"the details of web service {name!r}"),
        }
        return service_from_json(self._call("POST", "/services", body))

    def get_service(self, name: str) -> ServiceRecord:
        """See :meth:`ServiceStore.get_service`."""
        return service_from_json(self._call("GET", self._service_path(name)))

    def list_services(self) -> list[ServiceRecord]:
        """See :meth:`ServiceStore.list_services`."""
        return [service_from_json(item) for item in self._call("GET", "/services")]

    def update_service(
        self,
        name: str,
        *,
        state: str | None = None,
        models: Sequence[str] | None = None,
        config: Mapping[str, Any] | None = None,
        details: Mapping[str, Any] | None = None,
    ) -> ServiceRecord:
        """See :meth:`ServiceStore.update_service`."""
        body = {
            "state": state,
            "models": None if models is None else str_list(models, "models"),
            "config": json_object(config, f"the config of web service {name!r}"),
            "details": json_object(details, f"the details of web service {name!r}"),
        }
        return service_from_json(self._call("PATCH", self._service_path(name), body))

    def delete_service(self, name: str) -> None:
        """See :meth:`ServiceStore.delete_service`."""
        self._call("DELETE", self._service_path(name))
