"""The public surface of ``runlab``: a change here is a change users notice."""

from __future__ import annotations

import subprocess
import sys

import runlab

EXPECTED = [
    "AlreadyExistsError",
    "BackendError",
    "Datastore",
    "Environment",
    "Estimator",
    "Experiment",
    "InvalidStateError",
    "JobFailedError",
    "Model",
    "NotFoundError",
    "OfflineRun",
    "Run",
    "RunStatus",
    "RunlabError",
    "ScriptRunConfig",
    "ValidationError",
    "Workspace",
    "__version__",
]


def test_all_is_pinned() -> None:
    assert sorted(runlab.__all__) == sorted(EXPECTED)


def test_every_exported_name_exists_and_is_documented() -> None:
    for name in runlab.__all__:
        member = getattr(runlab, name)
        if name != "__version__":
            assert member.__doc__, f"runlab.{name} has no docstring"
            assert member.__module__.startswith("runlab."), name


def test_errors_form_one_tree() -> None:
    for name in EXPECTED:
        member = getattr(runlab, name)
        if name.endswith("Error"):
            assert issubclass(member, runlab.RunlabError)
    assert issubclass(runlab.ValidationError, ValueError)
    assert issubclass(runlab.NotFoundError, LookupError)


def test_import_does_not_load_the_database_layer() -> None:
    # Keeps `import runlab` quick: SQLAlchemy loads when a workspace is opened.
    code = "import sys, runlab; print('sqlalchemy' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.strip() == "False", result.stderr
