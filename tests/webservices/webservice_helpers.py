"""What the web service tests share: an entry script serving the digits model, and ways to
register a model and write a script. (Not in conftest.py: tests/ has several of those, and a
module imports one of them by name.)"""

from __future__ import annotations

import pickle
import textwrap
from pathlib import Path
from typing import Any

from runlab import Model, Workspace

SCORE_PY = """
import json
import pickle

import numpy as np

from runlab import Model

model = None


def init():
    global model
    with open(Model.get_model_path("digits"), "rb") as file:
        model = pickle.load(file)
    print("init done", flush=True)


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    if data.ndim != 2:
        raise ValueError(f"data must be rows of features, not shape {data.shape}")
    return model.predict(data).tolist()
"""


def register(workspace: Workspace, tmp_path: Path, model: Any, tag: str = "1") -> Model:
    """Register ``model`` as the next version of ``digits``."""
    path = tmp_path / f"model-{tag}" / "model.pkl"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps(model))
    return Model.register(workspace, path, "digits", tags={"tag": tag})


def write_score(folder: Path, text: str = SCORE_PY) -> Path:
    """An entry script in ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "score.py"
    script.write_text(textwrap.dedent(text), encoding="utf-8")
    return script
