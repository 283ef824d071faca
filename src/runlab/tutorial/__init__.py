"""The MNIST tutorial of the Azure ML SDK v1, on runlab: ``runlab tutorial mnist``.

Layer 3, beside the CLI: it drives the whole workflow of DESIGN.md through runlab's public
API. :mod:`runlab.tutorial.data` gets the data (MNIST, or scikit-learn's digits offline),
:mod:`runlab.tutorial.mnist` runs the stages, :mod:`runlab.tutorial.report` prints the end
table. The tutorial's own ``train.py`` and ``utils.py`` are ``examples/sklearn-mnist`` in the
repository, packaged into the wheel as ``runlab/tutorial/sklearn-mnist``.
"""

from __future__ import annotations

from pathlib import Path

from runlab.errors import NotFoundError
from runlab.tutorial.data import TutorialData, get_data

__all__ = ["TUTORIAL_ACCURACY", "TutorialData", "get_data", "scripts_folder"]

TUTORIAL_ACCURACY = {"local": 0.9202, "cluster": 0.9204}
"""The accuracies the 2018 tutorial printed: ``LogisticRegression()`` locally, and
``train.py --regularization 0.8`` on the cluster."""

_SCRIPTS = "sklearn-mnist"


def scripts_folder() -> Path:
    """The folder holding the tutorial's ``train.py`` and ``utils.py``.

    Raises:
        NotFoundError: neither the packaged copy nor the checkout's ``examples`` folder is
            there (a broken install).
    """
    here = Path(__file__).resolve().parent
    for candidate in (here / _SCRIPTS, here.parents[2] / "examples" / _SCRIPTS):
        if (candidate / "train.py").is_file():
            return candidate
    raise NotFoundError(
        f"the tutorial's train.py is missing from {here / _SCRIPTS}: reinstall runlab"
    )
