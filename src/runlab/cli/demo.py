"""``runlab demo``: one small, real, tracked training run, until the MNIST tutorial lands.

It trains logistic regression by gradient descent, with numpy only, on a synthetic two-class
data set, and records it as a runlab run: metrics per epoch, a table of rows, tags,
properties and ``outputs/model.json``.
"""

from __future__ import annotations

import io
import json
import shlex
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    SpinnerColumn,
    TextColumn,
    TimeElapsedColumn,
)
from rich.text import Text

from runlab.cli.output import (
    console,
    data_table,
    format_status,
    format_value,
    heading,
    print_error,
    say,
)
from runlab.cli.workspace import workspace_name_for
from runlab.entities import MetricKind
from runlab.tracking import Experiment, Workspace
from runlab.tracking.workspace import CONFIG_DIR, CONFIG_FILE

if TYPE_CHECKING:
    import numpy as np
    import numpy.typing as npt

    FloatArray = npt.NDArray[np.float64]

__all__ = ["EXPERIMENT_NAME", "INTRO", "demo"]

INTRO = "runlab demo: a small tracked run (the MNIST tutorial replaces this once it lands)"
"""The first line the demo prints."""
EXPERIMENT_NAME = "demo"
"""The experiment the demo's runs belong to."""

_SAMPLES, _FEATURES, _TEST_SHARE = 2000, 8, 0.2
_LEARNING_RATE = 0.3


@dataclass
class _Data:
    train_x: FloatArray
    train_y: FloatArray
    test_x: FloatArray
    test_y: FloatArray


@dataclass
class _Epoch:
    number: int
    loss: float
    accuracy: float


def _make_data(np_module: Any) -> _Data:
    """Two overlapping Gaussian clouds, so the best possible accuracy is about 0.9."""
    rng = np_module.random.default_rng(0)
    labels = rng.integers(0, 2, _SAMPLES)
    direction = rng.normal(0.0, 1.0, _FEATURES)
    direction /= np_module.linalg.norm(direction)
    features = rng.normal(0.0, 1.0, (_SAMPLES, _FEATURES))
    features += np_module.outer(labels * 2 - 1, direction) * 1.3
    split = int(_SAMPLES * (1 - _TEST_SHARE))
    targets = labels.astype(np_module.float64)
    return _Data(features[:split], targets[:split], features[split:], targets[split:])


class _LogisticRegression:
    """Logistic regression fitted by full-batch gradient descent."""

    def __init__(self, np_module: Any, features: int) -> None:
        self._np = np_module
        self.weights: FloatArray = np_module.zeros(features)
        self.bias = 0.0

    def logits(self, features: FloatArray) -> FloatArray:
        result: FloatArray = features @ self.weights + self.bias
        return result

    def accuracy(self, features: FloatArray, targets: FloatArray) -> float:
        return float(self._np.mean((self.logits(features) > 0) == (targets > 0.5)))

    def fit(self, data: _Data, epochs: int) -> Iterator[_Epoch]:
        """Take one gradient step per epoch and yield the loss and accuracy before it."""
        np_module = self._np
        for number in range(1, epochs + 1):
            logits = self.logits(data.train_x)
            # log(1 + e^z) - y z is the cross-entropy, written so large |z| cannot overflow.
            loss = float(np_module.mean(np_module.logaddexp(0.0, logits) - data.train_y * logits))
            accuracy = float(np_module.mean((logits > 0) == (data.train_y > 0.5)))
            gradient = 1.0 / (1.0 + np_module.exp(-logits)) - data.train_y
            self.weights -= _LEARNING_RATE * (data.train_x.T @ gradient) / len(gradient)
            self.bias -= _LEARNING_RATE * float(gradient.mean())
            yield _Epoch(number, loss, accuracy)


def _open_or_create(workdir: Path) -> tuple[Workspace, bool]:
    """The workspace in ``workdir`` itself (never a parent's), created if missing."""
    config_file = workdir / CONFIG_DIR / CONFIG_FILE
    if config_file.is_file():
        return Workspace.from_config(config_file), True
    return Workspace.create(workspace_name_for(workdir), path=workdir), False


def demo(
    workdir: Annotated[
        Path,
        typer.Option(
            "--workdir", "-d", help="The folder of the demo's workspace; reused if it exists."
        ),
    ] = Path("runlab-demo"),
    steps: Annotated[
        int, typer.Option("--steps", min=1, help="Training epochs (one gradient step each).")
    ] = 100,
) -> None:
    """Train a small model with numpy and track it as a run: a first look at runlab."""
    say(INTRO)
    try:
        import numpy as np_module
    except ImportError:
        print_error("the demo needs numpy: pip install numpy")
        raise typer.Exit(2) from None

    folder = workdir.expanduser().resolve()
    workspace, reused = _open_or_create(folder)
    try:
        verb = "Reusing" if reused else "Created"
        say(f"{verb} workspace {workspace.name!r} in {folder}")
        run_id = _train_tracked(workspace, np_module, steps)
        _report(workspace, run_id, folder)
    finally:
        workspace.close()


def _train_tracked(workspace: Workspace, np_module: Any, epochs: int) -> str:
    """Train inside a run of the demo experiment and return the run's id."""
    data = _make_data(np_module)
    model = _LogisticRegression(np_module, _FEATURES)
    experiment = Experiment(workspace, EXPERIMENT_NAME)
    # The run as a context manager: Completed at the end, Failed on an error, Canceled on
    # Ctrl-C, and every logged point stored first in each case.
    with experiment.start_logging(
        display_name="logistic regression (numpy)",
        tags={"model": "logistic-regression", "made-by": "runlab demo"},
        properties={"dataset": f"synthetic 2-class, {_SAMPLES} samples, seed 0"},
    ) as run:
        run.log("learning_rate", _LEARNING_RATE)
        progress = Progress(
            SpinnerColumn(),
            TextColumn("training"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("loss {task.fields[loss]}"),
            TimeElapsedColumn(),
            console=console(),
        )
        with progress:
            task = progress.add_task("training", total=epochs, loss="-")
            for epoch in model.fit(data, epochs):
                run.log("loss", epoch.loss)
                run.log("accuracy", epoch.accuracy)
                run.log_row(
                    "training", epoch=epoch.number, loss=epoch.loss, accuracy=epoch.accuracy
                )
                progress.update(task, advance=1, loss=f"{epoch.loss:.4f}")
        test_accuracy = model.accuracy(data.test_x, data.test_y)
        run.log("test_accuracy", test_accuracy)
        saved = {
            "model": "logistic-regression",
            "weights": [float(weight) for weight in model.weights],
            "bias": model.bias,
            "epochs": epochs,
            "test_accuracy": test_accuracy,
        }
        run.upload_file("outputs/model.json", io.BytesIO(json.dumps(saved, indent=2).encode()))
        return run.id


def _report(workspace: Workspace, run_id: str, folder: Path) -> None:
    """Print the final metrics as stored, and the commands to look further."""
    record = workspace.store.get_run(run_id)
    histories = workspace.store.get_metric_histories(run_id)
    heading(f"Final metrics of run {run_id}")
    table = data_table(["Metric", "Final value"])
    table.columns[1].justify = "right"
    for name, history in histories.items():
        if history.kind is MetricKind.SCALAR and history.values:
            table.add_row(Text(name), format_value(history.values[-1]))
    console().print(table)
    say(Text.assemble("Status: ", format_status(record.status)))
    where = shlex.quote(str(folder))
    say("Look further:")
    for command in (
        f"runlab run show {run_id} -w {where}",
        f"runlab run metrics {run_id} -w {where}",
        f"runlab run files {run_id} -w {where}",
        f"runlab run download {run_id} ./demo-files -w {where}",
        f"runlab run list -w {where}",
    ):
        say(f"  {command}")
