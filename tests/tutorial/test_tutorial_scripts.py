"""The tutorial's train.py and utils.py: found where the package says, and runnable bare."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import joblib

from runlab.tutorial import scripts_folder
from runlab.tutorial.data import write_digits

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "sklearn-mnist"


def test_the_scripts_are_the_examples_in_a_checkout() -> None:
    assert scripts_folder() == EXAMPLES
    assert {path.name for path in EXAMPLES.glob("*.py")} == {"train.py", "utils.py"}


def test_train_py_runs_bare_and_saves_its_model(tmp_path: Path) -> None:
    work = tmp_path / "sklearn-mnist"
    shutil.copytree(scripts_folder(), work)
    write_digits(tmp_path / "data" / "nested")  # found anywhere below --data-folder
    done = subprocess.run(
        [sys.executable, "train.py", "--data-folder", str(tmp_path / "data"),
         "--regularization", "0.8"],
        cwd=work, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert f"Data folder: {tmp_path / 'data'}" in done.stdout
    assert "(1437, 64)" in done.stdout
    assert "[offline run] regularization rate = 0.8" in done.stdout
    assert "[offline run] accuracy = 0.9" in done.stdout
    model = joblib.load(work / "outputs" / "sklearn_mnist_model.pkl")
    assert model.C == 1 / 0.8


def test_train_py_names_a_missing_file(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, str(scripts_folder() / "train.py"), "--data-folder", str(tmp_path)],
        cwd=tmp_path, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert done.returncode == 2
    assert f"no train-images-idx3-ubyte.gz below {tmp_path}" in done.stderr
    assert "Traceback" not in done.stderr
