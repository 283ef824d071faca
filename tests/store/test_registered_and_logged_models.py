"""``Model(ws, "name@alias")`` on a local workspace. The stores' registered and logged models
are checked by their contract suites (``tests/store/test_contract.py``); a server-backed
workspace's aliases in ``tests/server/test_model_aliases_over_http.py``."""

from __future__ import annotations

from pathlib import Path

import pytest

from runlab import Model, Workspace
from runlab.errors import NotFoundError


def test_model_by_alias(workspace: Workspace, tmp_path: Path) -> None:
    (tmp_path / "m.pkl").write_bytes(b"weights")
    first = Model.register(workspace, tmp_path / "m.pkl", "clf")
    Model.register(workspace, tmp_path / "m.pkl", "clf")
    workspace.store.set_model_alias("clf", "champion", first.version)
    assert Model(workspace, "clf@champion").version == 1
    assert Model(workspace, "clf").version == 2
    with pytest.raises(NotFoundError, match="no alias 'missing'"):
        Model(workspace, "clf@missing")
