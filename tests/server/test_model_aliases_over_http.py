"""Model aliases and registered models' records through ``runlab server``: a server-backed
workspace resolves ``Model(ws, "name@alias")`` like a local one."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from runlab import Model
from runlab.errors import NotFoundError
from runlab.tracking import Workspace


def test_alias_set_over_http_resolves_on_both_sides(
    server_url: str, served_workspace: Workspace, tmp_path: Path
) -> None:
    (tmp_path / "m.pkl").write_bytes(b"weights")
    with Workspace.connect(server_url) as remote:
        first = Model.register(remote, tmp_path / "m.pkl", "clf")
        Model.register(remote, tmp_path / "m.pkl", "clf")
        remote.store.set_model_alias("clf", "champion", first.version)
        assert Model(remote, "clf@champion").version == first.version
        assert remote.store.get_registered_model("clf").aliases == {"champion": 1}
        with pytest.raises(NotFoundError, match="no alias 'missing'"):
            Model(remote, "clf@missing")
    assert Model(served_workspace, "clf@champion").version == 1


def test_registered_model_routes_answer_json_errors(
    server_url: str, served_workspace: Workspace
) -> None:
    answer = httpx.get(f"{server_url}/api/registered-models/nothing/aliases/champion")
    assert answer.status_code == 404
    assert "nothing" in answer.text
    answer = httpx.put(
        f"{server_url}/api/registered-models/m/aliases/a", json={"version": "not a number"}
    )
    assert answer.status_code == 422
