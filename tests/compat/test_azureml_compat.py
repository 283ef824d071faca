"""``runlab.compat.azureml``: the SDK v1 import paths give runlab's own objects, and a
tutorial-shaped flow runs through those names alone."""

from __future__ import annotations

import importlib
import json
import pickle
import socket
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

import runlab
from runlab.compat.azureml._diagnostics import set_diagnostics_collection
from runlab.compute import ComputeTarget as RunlabComputeTarget
from runlab.compute.ray import RayCompute, RayProvisioningConfiguration
from runlab.data import Datastore as RunlabDatastore
from runlab.datasets.open_datasets import MNIST as RunlabMNIST
from runlab.environments import CondaDependencies as RunlabCondaDependencies
from runlab.environments import Environment as RunlabEnvironment
from runlab.errors import NotFoundError
from runlab.jobs import Estimator as RunlabEstimator
from runlab.jobs import RunConfiguration as RunlabRunConfiguration
from runlab.jobs import ScriptRunConfig as RunlabScriptRunConfig
from runlab.models import Model as RunlabModel
from runlab.tracking import Experiment as RunlabExperiment
from runlab.tracking import Run as RunlabRun
from runlab.tracking import Workspace as RunlabWorkspace
from runlab.widgets import RunDetails as RunlabRunDetails

ALIASES = [
    ("core", "Workspace", RunlabWorkspace),
    ("core", "Experiment", RunlabExperiment),
    ("core", "Run", RunlabRun),
    ("core", "Environment", RunlabEnvironment),
    ("core", "ScriptRunConfig", RunlabScriptRunConfig),
    ("core", "Datastore", RunlabDatastore),
    ("core", "Model", RunlabModel),
    ("core", "ComputeTarget", RunlabComputeTarget),
    ("core.workspace", "Workspace", RunlabWorkspace),
    ("core.experiment", "Experiment", RunlabExperiment),
    ("core.run", "Run", RunlabRun),
    ("core.environment", "Environment", RunlabEnvironment),
    ("core.datastore", "Datastore", RunlabDatastore),
    ("core.model", "Model", RunlabModel),
    ("core.script_run_config", "ScriptRunConfig", RunlabScriptRunConfig),
    ("core.compute", "AmlCompute", RayCompute),
    ("core.compute", "ComputeTarget", RunlabComputeTarget),
    ("core.compute", "ComputeTargetException", NotFoundError),
    ("core.compute_target", "ComputeTarget", RunlabComputeTarget),
    ("core.compute_target", "ComputeTargetException", NotFoundError),
    ("exceptions", "ComputeTargetException", NotFoundError),
    ("train.estimator", "Estimator", RunlabEstimator),
    ("widgets", "RunDetails", RunlabRunDetails),
    ("core", "RunConfiguration", RunlabRunConfiguration),
    ("core.runconfig", "RunConfiguration", RunlabRunConfiguration),
    ("core.runconfig", "CondaDependencies", RunlabCondaDependencies),
    ("core.conda_dependencies", "CondaDependencies", RunlabCondaDependencies),
    ("core.environment", "CondaDependencies", RunlabCondaDependencies),
    ("opendatasets", "MNIST", RunlabMNIST),
    ("telemetry", "set_diagnostics_collection", set_diagnostics_collection),
]

TRAIN = """
import argparse, os, pickle
from runlab.compat.azureml.core import Run

parser = argparse.ArgumentParser()
parser.add_argument("--data-folder", type=str, dest="data_folder")
parser.add_argument("--regularization", type=float, dest="reg", default=0.01)
args = parser.parse_args()
images = sorted(os.listdir(args.data_folder))
print("Data folder:", args.data_folder, images, flush=True)

run = Run.get_context()
run.log("regularization rate", args.reg)
run.log("images", len(images))
run.log("accuracy", 0.9125)
os.makedirs("outputs", exist_ok=True)
with open("outputs/model.pkl", "wb") as handle:
    pickle.dump({"reg": args.reg}, handle)
"""


pytestmark = pytest.mark.usefixtures("job_root")  # in tests/conftest.py


@pytest.fixture
def workspace_name() -> str:
    """The tutorial's workspace: the ``workspace`` fixture creates it in ``workspace_dir``."""
    return "tutorial-ws"


@pytest.fixture
def workspace_dir(tmp_path: Path) -> Path:
    return tmp_path / "project"


@pytest.mark.parametrize(("module", "name", "expected"), ALIASES)
def test_each_sdk_path_gives_the_runlab_object(module: str, name: str, expected: Any) -> None:
    imported = importlib.import_module(f"runlab.compat.azureml.{module}")
    assert getattr(imported, name) is expected
    assert name in imported.__all__
    assert imported.__doc__ and "Mirrors" in imported.__doc__


def test_version_is_runlabs_and_runlab_all_is_unchanged() -> None:
    from runlab.compat.azureml import core

    assert runlab.__version__ == core.VERSION
    assert not any(name.startswith("compat") for name in runlab.__all__)


def test_importing_the_sdk_paths_does_not_load_ray() -> None:
    code = (
        "import sys\n"
        "import runlab.compat.azureml.core, runlab.compat.azureml.core.compute\n"
        "import runlab.compat.azureml.train.estimator, runlab.compat.azureml.widgets\n"
        "print(sorted(m for m in sys.modules if m == 'ray' or m.startswith('ray.')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_the_workspace_prints_where_it_is(
    workspace: RunlabWorkspace, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from runlab.compat.azureml.core import Workspace

    ws = Workspace.from_config(tmp_path / "project")
    print(ws.name, ws.location, ws.resource_group, sep="\t")
    assert capsys.readouterr().out == (
        f"tutorial-ws\t{socket.gethostname()}\t{tmp_path / 'project'}\n"
    )
    assert isinstance(ws.subscription_id, str) and "no subscriptions" in ws.subscription_id
    assert workspace.resource_group == str(tmp_path / "project")


def test_a_plain_config_json_and_a_server_workspace_say_where_they_are(tmp_path: Path) -> None:
    from runlab.compat.azureml.core import Workspace

    folder = tmp_path / "plain"
    folder.mkdir()
    (folder / "config.json").write_text(
        json.dumps({"name": "plain", "store_uri": "sqlite:///meta.db", "artifact_uri": "files"})
    )
    assert Workspace.from_config(folder).resource_group == str(folder)

    served = Workspace.from_dict({"name": "served", "server_url": "http://127.0.0.1:8765"})
    assert served.location == "127.0.0.1:8765"
    assert served.resource_group == "http://127.0.0.1:8765"
    from_uris = Workspace.from_dict(
        {"name": "job", "store_uri": "sqlite:////tmp/x.db", "artifact_uri": "/tmp/files"}
    )
    assert from_uris.resource_group == "sqlite:////tmp/x.db"
    assert from_uris.location == socket.gethostname()


def test_the_default_datastore_prints_its_folder(workspace: RunlabWorkspace) -> None:
    ds = workspace.get_default_datastore()
    assert ds.datastore_type == "LocalFolder"
    assert ds.account_name == socket.gethostname()
    assert ds.container_name == ds.root_url
    assert Path(ds.container_name).is_relative_to(Path(workspace.artifact_uri))
    assert ds.container_name.endswith("workspaceblobstore")


def test_an_s3_datastore_prints_its_endpoint_and_bucket(workspace: RunlabWorkspace) -> None:
    pytest.importorskip("s3fs", reason="an s3:// datastore needs s3fs", exc_type=ImportError)
    from runlab.compat.azureml.core import Datastore

    # Registering opens no connection: nothing answers at this endpoint, and none is needed.
    lake = Datastore.register(
        workspace,
        "lake",
        "s3://mnist-bucket/raw",
        key="k",
        secret="s",
        client_kwargs={"endpoint_url": "http://127.0.0.1:9000", "region_name": "us-east-1"},
    )
    assert (lake.datastore_type, lake.account_name, lake.container_name) == (
        "S3",
        "127.0.0.1:9000",
        "mnist-bucket",
    )
    aws = Datastore.register(workspace, "aws", "s3://other-bucket", key="k", secret="s")
    assert (aws.datastore_type, aws.account_name, aws.container_name) == (
        "S3",
        "s3.amazonaws.com",
        "other-bucket",
    )
    memory = Datastore.register(workspace, "scratch", "memory://scratch-root/x")
    assert (memory.datastore_type, memory.account_name, memory.container_name) == (
        "memory",
        None,
        "scratch-root",
    )


def test_aml_compute_is_the_ray_cluster_class(workspace: RunlabWorkspace) -> None:
    from runlab.compat.azureml.core.compute import AmlCompute, ComputeTarget
    from runlab.compat.azureml.core.compute_target import ComputeTargetException

    config = AmlCompute.provisioning_configuration(
        vm_size="STANDARD_D2_V2", min_nodes=0, max_nodes=2
    )
    assert isinstance(config, RayProvisioningConfiguration)
    assert (config.vm_size, config.min_nodes, config.max_nodes) == ("STANDARD_D2_V2", 0, 2)

    # The tutorial's "found it?" branch: a recorded cluster, read without starting anything.
    with pytest.raises(ComputeTargetException):
        ComputeTarget(workspace=workspace, name="cpu-cluster")
    workspace.store.create_compute_target(
        "cpu-cluster", "ray", state={"owned": False, "address": "http://127.0.0.1:1"}
    )
    assert "cpu-cluster" in workspace.compute_targets
    assert type(workspace.compute_targets["cpu-cluster"]) is AmlCompute
    found = ComputeTarget(workspace=workspace, name="cpu-cluster")
    assert type(found) is AmlCompute and found.name == "cpu-cluster"
    # SDK code's AmlCompute(ws, name) finds the existing cluster, as ComputeTarget does.
    aml = AmlCompute(workspace, "cpu-cluster")
    assert type(aml) is AmlCompute and aml.address == "http://127.0.0.1:1"
    with pytest.raises(ComputeTargetException):
        AmlCompute(workspace=workspace, name="gpu-cluster")
    assert [target.name for target in ComputeTarget.list(workspace)] == ["cpu-cluster"]


def test_the_tutorial_flow_through_compat_names_only(
    tmp_path: Path, workspace: RunlabWorkspace, capsys: pytest.CaptureFixture[str]
) -> None:
    from runlab.compat.azureml.core import Experiment, Model, ScriptRunConfig, Workspace
    from runlab.compat.azureml.widgets import RunDetails

    ws = Workspace.from_config(tmp_path / "project")
    exp = Experiment(workspace=ws, name="sklearn-mnist")

    data_folder = tmp_path / "data"
    data_folder.mkdir()
    for name in ("train-images.gz", "train-labels.gz"):
        (data_folder / name).write_bytes(b"digits " + name.encode())
    ds = ws.get_default_datastore()
    ds.upload(src_dir=str(data_folder), target_path="mnist", overwrite=True, show_progress=False)

    script_folder = tmp_path / "sklearn-mnist"
    script_folder.mkdir()
    (script_folder / "train.py").write_text(textwrap.dedent(TRAIN))
    args = ["--data-folder", ds.path("mnist").as_mount(), "--regularization", 0.8]
    src = ScriptRunConfig(
        source_directory=str(script_folder),
        script="train.py",
        arguments=args,
        compute_target="local",
    )
    run = exp.submit(config=src)
    run.wait_for_completion(show_output=False)

    assert run.get_status() == "Completed"
    metrics = run.get_metrics()
    assert metrics["regularization rate"] == 0.8
    assert metrics["accuracy"] == 0.9125
    assert metrics["images"] == 2  # the mount is the uploaded folder
    assert "outputs/model.pkl" in run.get_file_names()

    model = run.register_model(model_name="sklearn_mnist", model_path="outputs/model.pkl")
    print(model.name, model.id, model.version, sep="\t")
    assert capsys.readouterr().out == "sklearn_mnist\tsklearn_mnist:1\t1\n"
    assert Model(ws, "sklearn_mnist") == model
    downloaded = Path(model.download(target_dir=str(tmp_path / "fetched"), exist_ok=True))
    assert pickle.loads(downloaded.read_bytes()) == {"reg": 0.8}

    RunDetails(run).show()
    shown = capsys.readouterr().out
    assert f"({run.id})" in shown and "Status: Completed" in shown
    assert "accuracy" in shown and "0.9125" in shown


def test_an_estimator_submits(tmp_path: Path, workspace: RunlabWorkspace) -> None:
    from runlab.compat.azureml.core import Experiment
    from runlab.compat.azureml.train.estimator import Estimator

    source = tmp_path / "est"
    source.mkdir()
    (source / "train.py").write_text(
        "import sys\n"
        "from runlab.compat.azureml.core.run import Run\n"
        "Run.get_context().log('argv', ' '.join(sys.argv[1:]))\n"
    )
    # user_managed=True runs in this interpreter; without it an empty environment is built
    # with uv, which tests/jobs covers.
    est = Estimator(
        source_directory=str(source),
        entry_script="train.py",
        script_params={"--x": 1},
        compute_target="local",
        user_managed=True,
    )
    run = Experiment(workspace=workspace, name="estimator").submit(config=est)
    run.wait_for_completion(show_output=False)
    assert run.get_status() == "Completed"
    assert run.get_metrics()["argv"] == "--x 1"
    assert run.get_parameters() == {"x": "1"}


@pytest.mark.parametrize(
    ("url", "options", "expected"),
    [
        ("file:///srv/data", {}, ("LocalFolder", socket.gethostname(), "/srv/data")),
        ("simplecache::s3://bkt/x", {}, ("S3", "s3.amazonaws.com", "bkt")),
        ("s3://bkt", {"endpoint_url": "http://minio:9000"}, ("S3", "minio:9000", "bkt")),
        (
            "abfs://cont@acct.dfs.core.windows.net/p",
            {"account_name": "acct"},
            ("abfs", "acct", "cont"),
        ),
    ],
)
def test_urls_name_their_type_account_and_container(
    url: str, options: dict[str, Any], expected: tuple[str, str | None, str | None]
) -> None:
    from runlab.data import _naming

    names = (
        _naming.datastore_type(url),
        _naming.account_name(url, options),
        _naming.container_name(url),
    )
    assert names == expected
