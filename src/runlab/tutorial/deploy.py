"""``runlab tutorial mnist-deploy``: the tutorial's part 2, a registered model as a web service.

It continues from part 1's registered model (``sklearn_mnist``, or ``sklearn_digits``
offline), running part 1 first when neither is registered: downloads the model, predicts the
test set here and saves the normalised confusion matrix, writes ``score.py``, deploys it as
a local web service, scores the whole test set through ``service.run`` and 30 images with a
plain HTTP request, checks that the service answers as the local model does, deletes the
service and ends with a table (deploy time, requests/s, accuracy).
"""

from __future__ import annotations

import json
import textwrap
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from runlab.errors import NotFoundError, RunlabError
from runlab.models import Model
from runlab.serving import InferenceConfig, LocalWebservice
from runlab.tracking import Workspace
from runlab.tracking.workspace import CONFIG_DIR, CONFIG_FILE
from runlab.tutorial.data import DIGITS_FOLDER, TutorialData, get_data, write_digits

__all__ = ["SCORE_PY", "SERVICE_NAME", "DeployOutcome", "run_deploy_tutorial"]

SERVICE_NAME = "sklearn-mnist-svc"
BATCH_ROWS = 1000
SAMPLE_SIZE = 30
SCORE_PY = """
import json

import joblib
import numpy as np

from runlab.models import Model


def init():
    global model
    # The deployed model's file, wherever the service keeps it.
    model = joblib.load(Model.get_model_path("{model_name}"))


def run(raw_data):
    data = np.array(json.loads(raw_data)["data"])
    return model.predict(data).tolist()
"""


@dataclass
class DeployOutcome:
    """What part 2 did, for the closing table."""

    model_id: str = ""
    data_label: str = ""
    local_accuracy: float = 0.0
    service_accuracy: float = 0.0
    deploy_s: float = 0.0
    requests_per_s: float = 0.0
    rows_scored: int = 0
    http_sample_equal: bool = False
    all_equal: bool = False
    figure: Path | None = None
    stage_s: dict[str, float] = field(default_factory=dict)


def _say(out: Console, line: str) -> None:
    out.print(line, markup=False, highlight=False, soft_wrap=True)


def _workspace_and_model(workdir: Path, data_dir: Path | None, out: Console) -> Model:
    config_file = workdir / CONFIG_DIR / CONFIG_FILE
    if config_file.is_file():
        workspace = Workspace.from_config(config_file)
        for name in ("sklearn_mnist", "sklearn_digits"):
            try:
                model = Model(workspace, name)
            except NotFoundError:
                continue
            _say(out, f"Continuing from part 1: model {model.id} in {workdir}")
            return model
    _say(out, "No model from part 1 is registered here: running part 1 first")
    from runlab.tutorial.mnist import run_tutorial

    run_tutorial(workdir, data_dir, console=out)
    workspace = Workspace.from_config(config_file)
    models = Model.list(workspace, latest=True)
    if not models:
        raise NotFoundError(f"part 1 registered no model in {workdir}")
    return models[0]


def _data_for(model: Model, workdir: Path, data_dir: Path | None) -> TutorialData:
    if model.name == "sklearn_digits":
        folder = write_digits(workdir / "data" / DIGITS_FOLDER)
        return TutorialData(folder, DIGITS_FOLDER, "scikit-learn digits", reason="part 1's")
    return get_data(workdir, data_dir)


def _confusion_figure(y_test: Any, y_hat: Any, path: Path, label: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import numpy as np
    from sklearn.metrics import confusion_matrix

    matrix = confusion_matrix(y_test, y_hat).astype(float)
    normalised = matrix / matrix.sum(axis=1, keepdims=True)
    figure, axes = plt.subplots(figsize=(6, 6))
    axes.matshow(normalised, cmap=plt.get_cmap("Blues"))
    axes.set_xticks(np.arange(10))
    axes.set_yticks(np.arange(10))
    axes.set_xlabel("predicted")
    axes.set_ylabel("true")
    axes.set_title(f"Normalised confusion matrix, {label}")
    figure.savefig(path)
    plt.close(figure)


def run_deploy_tutorial(
    workdir: Path, data_dir: Path | None = None, *, console: Console | None = None
) -> DeployOutcome:
    """Run part 2 in ``workdir`` (part 1's folder); see the module docstring.

    Raises:
        RunlabError: a stage failed (the service is deleted first).
    """
    import joblib  # type: ignore[import-untyped]
    import numpy as np

    out = console or Console()
    outcome = DeployOutcome()
    workdir = Path(workdir).resolve()
    workdir.mkdir(parents=True, exist_ok=True)
    model = _workspace_and_model(workdir, data_dir, out)
    workspace = model.workspace
    outcome.model_id = model.id
    data = _data_for(model, workdir, data_dir)
    outcome.data_label = data.label
    _, _, x_test, y_test = data.load()

    started = time.perf_counter()
    model_file = model.download(workdir / "downloaded-model", exist_ok=True)
    local_model = joblib.load(model_file)
    y_hat = local_model.predict(x_test)
    outcome.local_accuracy = float(np.average(y_hat == y_test))
    outcome.figure = workdir / f"{data.name}-confusion.png"
    _confusion_figure(y_test, y_hat, outcome.figure, data.label)
    _say(out, f"Local accuracy {outcome.local_accuracy:.4f}; confusion matrix in {outcome.figure}")
    outcome.stage_s["predict here"] = time.perf_counter() - started

    source = workdir / "deploy"
    source.mkdir(exist_ok=True)
    (source / "score.py").write_text(
        textwrap.dedent(SCORE_PY).replace("{model_name}", model.name), encoding="utf-8"
    )
    started = time.perf_counter()
    service = Model.deploy(
        workspace,
        SERVICE_NAME,
        [model],
        InferenceConfig("score.py", source_directory=source),
        LocalWebservice.deploy_configuration(),
        overwrite=True,
    )
    try:
        service.wait_for_deployment(show_output=True)
        outcome.deploy_s = time.perf_counter() - started
        _say(out, f"Deployed in {outcome.deploy_s:.1f} s; scoring URI {service.scoring_uri}")

        started = time.perf_counter()
        served: list[int] = []
        for first in range(0, len(x_test), BATCH_ROWS):
            served += service.run({"data": x_test[first : first + BATCH_ROWS].tolist()})
        single = time.perf_counter()
        for row in x_test[:SAMPLE_SIZE]:
            service.run({"data": [row.tolist()]})
        one_row_s = (time.perf_counter() - single) / SAMPLE_SIZE
        outcome.stage_s["score through the service"] = time.perf_counter() - started
        outcome.requests_per_s = 1.0 / one_row_s
        outcome.rows_scored = len(served)
        outcome.service_accuracy = float(np.average(np.array(served) == y_test))
        outcome.all_equal = served == y_hat.tolist()

        body = json.dumps({"data": x_test[:SAMPLE_SIZE].tolist()}).encode()
        request = urllib.request.Request(
            str(service.scoring_uri), data=body, headers={"Content-Type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=60) as answer:
            sample = json.loads(answer.read())
        outcome.http_sample_equal = sample == y_hat[:SAMPLE_SIZE].tolist()
        _say(out, f"30 images by plain HTTP: {sample}")
    finally:
        service.delete()
        _say(out, f"Deleted web service {SERVICE_NAME}")
    if not (outcome.all_equal and outcome.http_sample_equal):
        raise RunlabError("the service's predictions differ from the local model's")
    return outcome


def print_deploy_report(outcome: DeployOutcome, console: Console) -> None:
    """The closing table of part 2."""
    table = Table(title="Part 2: the model as a web service", show_header=False)
    table.add_row("Model", outcome.model_id)
    table.add_row("Data", outcome.data_label)
    table.add_row("Deploy to Healthy", f"{outcome.deploy_s:.1f} s (Azure: 7-8 minutes)")
    table.add_row("Requests/s (1 image each)", f"{outcome.requests_per_s:.0f}")
    table.add_row("Accuracy here / through the service",
                  f"{outcome.local_accuracy:.4f} / {outcome.service_accuracy:.4f}")  # fmt: skip
    table.add_row("Same predictions", f"{outcome.all_equal} ({outcome.rows_scored} images)")
    table.add_row("Confusion matrix", str(outcome.figure))
    console.print(table)
