"""The contract of :class:`runlab.store.LoggedModelStore`.

Part of :class:`runlab.testing.metadata_store.MetadataStoreContract`; the ``metadata_store``
fixture gives a fresh, empty store. A backend that needs a special case here has a bug.
"""

from __future__ import annotations

import pytest

from runlab.errors import AlreadyExistsError, NotFoundError, ValidationError
from runlab.store import MetadataStore

__all__ = ["LoggedModelStoreContract"]


class LoggedModelStoreContract:
    """Logged model tests every metadata store backend must pass."""

    def test_logged_model_lifecycle(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_run("e", "r1")
        logged = metadata_store.create_logged_model(
            "e", "model", source_run_id="r1", model_type="sklearn", params={"a": "1"}
        )
        assert logged.model_id.startswith("m-") and len(logged.model_id) == 34
        assert (logged.status, logged.experiment_name, logged.source_run_id) == (
            "PENDING",
            "e",
            "r1",
        )
        assert metadata_store.get_logged_model(logged.model_id) == logged
        ready = metadata_store.update_logged_model(logged.model_id, status="READY", tags={"k": "v"})
        assert (ready.status, ready.tags, ready.params) == ("READY", {"k": "v"}, {"a": "1"})
        assert metadata_store.update_logged_model(logged.model_id, remove_tag="k").tags == {}
        metadata_store.delete_logged_model(logged.model_id)
        with pytest.raises(NotFoundError):
            metadata_store.get_logged_model(logged.model_id)

    def test_logged_model_params_are_add_only(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        logged = metadata_store.create_logged_model("e", "model", params={"a": "1"})
        same = metadata_store.update_logged_model(logged.model_id, params={"a": "1", "b": "2"})
        assert same.params == {"a": "1", "b": "2"}
        with pytest.raises(AlreadyExistsError):
            metadata_store.update_logged_model(logged.model_id, params={"a": "2"})
        with pytest.raises(ValidationError):
            metadata_store.update_logged_model(logged.model_id, status="DONE")

    def test_logged_models_searched(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        metadata_store.create_experiment("f")
        metadata_store.create_run("e", "r1")
        of_run = metadata_store.create_logged_model("e", "m", source_run_id="r1")
        other = metadata_store.create_logged_model("f", "m")
        by_run = metadata_store.search_logged_models(source_run_id="r1")
        assert [m.model_id for m in by_run] == [of_run.model_id]
        by_experiment = metadata_store.search_logged_models(experiment_names=["f"])
        assert [m.model_id for m in by_experiment] == [other.model_id]
        assert metadata_store.search_logged_models(experiment_names=["nothing"]) == []
        everything = {m.model_id for m in metadata_store.search_logged_models()}
        assert everything == {of_run.model_id, other.model_id}

    def test_logged_model_unknowns_refused(self, metadata_store: MetadataStore) -> None:
        metadata_store.create_experiment("e")
        with pytest.raises(NotFoundError):
            metadata_store.create_logged_model("e", "model", source_run_id="nope")
        with pytest.raises(NotFoundError):
            metadata_store.create_logged_model("nothing", "model")
        with pytest.raises(NotFoundError):
            metadata_store.update_logged_model("m-" + "0" * 32, status="READY")
        with pytest.raises(NotFoundError):
            metadata_store.delete_logged_model("m-" + "0" * 32)
