"""The public surface of ``runlab``: a change here is a change users notice."""

from __future__ import annotations

import subprocess
import sys

import runlab

EXPECTED = [
    "AciWebservice",
    "AksWebservice",
    "AlreadyExistsError",
    "BackendError",
    "ComputeTarget",
    "Datastore",
    "Environment",
    "Estimator",
    "Experiment",
    "InferenceConfig",
    "InvalidStateError",
    "JobFailedError",
    "LocalCompute",
    "LocalWebservice",
    "Model",
    "NotFoundError",
    "OfflineRun",
    "RayCompute",
    "Run",
    "RunStatus",
    "RunlabError",
    "ScriptRunConfig",
    "ValidationError",
    "Webservice",
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


def test_compute_targets_are_one_class_importable_from_runlab() -> None:
    from runlab import ComputeTarget, LocalCompute, RayCompute
    from runlab.compute import ComputeTarget as Interface
    from runlab.compute.ray import RayCompute as Ray

    assert ComputeTarget is Interface and RayCompute is Ray
    assert issubclass(RayCompute, ComputeTarget) and issubclass(LocalCompute, ComputeTarget)


def test_compute_names_load_on_first_use_and_ray_only_when_used() -> None:
    code = (
        "import sys, runlab; print('runlab.compute' in sys.modules);"
        " from runlab import RayCompute;"
        " print('runlab.compute.ray' in sys.modules, 'ray' in sys.modules)"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.stdout.split() == ["False", "True", "False"], result.stderr
