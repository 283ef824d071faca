"""The logged models' interface of the metadata store: models logged from runs (MLflow 3's
``LoggedModel``), whose files live under ``logged_models/<model_id>/``."""

from __future__ import annotations

import abc
from collections.abc import Mapping

from runlab.entities.model import LoggedModelRecord
from runlab.store.common import BaseStore

__all__ = ["LOGGED_MODEL_STATUSES", "LoggedModelStore", "logged_model_prefix"]

LOGGED_MODEL_STATUSES = ("PENDING", "READY", "FAILED")
"""A logged model's states: its files being uploaded, then ready or failed."""


def logged_model_prefix(model_id: str) -> str:
    """The artifact-store folder of a logged model's files: ``logged_models/<model_id>``."""
    return f"logged_models/{model_id}"


class LoggedModelStore(BaseStore):
    """Logged models: created PENDING, finalized READY or FAILED, tagged, searched.

    Contract, besides :class:`BaseStore`'s: ``NotFoundError`` for an unknown model,
    experiment or run; ``ValidationError`` for an unknown status; ``AlreadyExistsError`` for
    a parameter logged again with another value (parameters are add-only).
    """

    @abc.abstractmethod
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
        """Record a new model, PENDING, with a fresh ``m-<32 hex>`` id.

        Raises:
            NotFoundError: no such experiment or run.
        """

    @abc.abstractmethod
    def get_logged_model(self, model_id: str) -> LoggedModelRecord:
        """The model ``model_id``.

        Raises:
            NotFoundError: there is none.
        """

    @abc.abstractmethod
    def update_logged_model(
        self,
        model_id: str,
        *,
        status: str | None = None,
        tags: Mapping[str, str] | None = None,
        remove_tag: str | None = None,
        params: Mapping[str, str] | None = None,
    ) -> LoggedModelRecord:
        """Change a model's status, set tags, remove one tag, add parameters.

        Raises:
            NotFoundError: no such model.
            ValidationError: an unknown status.
            AlreadyExistsError: a parameter exists with another value.
        """

    @abc.abstractmethod
    def search_logged_models(
        self, *, experiment_names: list[str] | None = None, source_run_id: str | None = None
    ) -> list[LoggedModelRecord]:
        """Models of these experiments (all with None), or of one run, newest first."""

    @abc.abstractmethod
    def delete_logged_model(self, model_id: str) -> None:
        """Forget a model (its files are the caller's to delete).

        Raises:
            NotFoundError: no such model.
        """
