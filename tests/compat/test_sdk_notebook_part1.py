"""The SDK v1 MNIST tutorial, part 1 (img-classification-part1-training.ipynb), on a Ray
cluster: once with only its import lines changed, once with no edit at all and runlab's
``azureml`` shim installed.

What differs from Microsoft's notebook, and why:

* the data cell: ``MNIST.get_file_dataset().download(...)`` runs as written, from runlab's
  MNIST cache, which the test fills from ../shared (the test is skipped without it); the
  FileDataset's ``register``/``as_mount`` belong to the datasets work, so the files reach the
  job as the notebook's earlier version did, through the default datastore
  (``ds.upload`` and ``ds.path('mnist').as_mount()``);
* ``conda_packages=['scikit-learn==0.22.1']`` has no wheel for today's Pythons: unpinned;
* ``train.py`` is examples/sklearn-mnist/train.py (``np.float`` is gone from numpy; plain
  ``float``), with the SDK's own ``from azureml.core import Run`` in the unedited run;
* ``AML_COMPUTE_CLUSTER_MAX_NODES`` is set to ``"1"`` (a string, as the environment gives
  it) for a 2-core machine, and the cluster is deleted at the end (the notebook's clean-up).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

import runlab
from runlab.compute.ray._processes import cluster_pids
from runlab.tracking import Workspace

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
EXAMPLES = REPO / "examples" / "sklearn-mnist"
SHARED_MNIST = REPO.parent / "shared" / "data" / "mnist"
if not SHARED_MNIST.is_dir():
    SHARED_MNIST = Path("/work/shared/data/mnist")
# The job's environment (scikit-learn, runlab, the shim) is built once and kept between test
# runs, as tests/tutorial does (CI may point RUNLAB_ENV_CACHE and UV_CACHE_DIR elsewhere).
ENV_CACHE = Path(
    os.environ.get("RUNLAB_ENV_CACHE") or REPO / ".pytest_cache" / "runlab-environments"
)

IMPORTS_SDK = """\
import azureml.core
from azureml.core import Workspace
from azureml.core import Experiment
from azureml.core.compute import AmlCompute
from azureml.core.compute import ComputeTarget
from azureml.opendatasets import MNIST
from azureml.core.environment import Environment
from azureml.core.conda_dependencies import CondaDependencies
from azureml.core import ScriptRunConfig
from azureml.widgets import RunDetails
"""

NOTEBOOK = """\
import os
import numpy as np

# check core SDK version number
print("Azure ML SDK Version: ", azureml.core.VERSION)

ws = Workspace.from_config()
print(ws.name, ws.location, ws.resource_group, sep='\\t')

experiment_name = 'Tutorial-sklearn-mnist'
exp = Experiment(workspace=ws, name=experiment_name)

# choose a name for your cluster
compute_name = os.environ.get("AML_COMPUTE_CLUSTER_NAME", "cpu-cluster")
compute_min_nodes = os.environ.get("AML_COMPUTE_CLUSTER_MIN_NODES", 0)
compute_max_nodes = os.environ.get("AML_COMPUTE_CLUSTER_MAX_NODES", 4)

# This example uses CPU VM. For using GPU VM, set SKU to STANDARD_NC6
vm_size = os.environ.get("AML_COMPUTE_CLUSTER_SKU", "STANDARD_D2_V2")

if compute_name in ws.compute_targets:
    compute_target = ws.compute_targets[compute_name]
    if compute_target and type(compute_target) is AmlCompute:
        print("found compute target: " + compute_name)
else:
    print("creating new compute target...")
    provisioning_config = AmlCompute.provisioning_configuration(vm_size = vm_size,
                                                                min_nodes = compute_min_nodes,
                                                                max_nodes = compute_max_nodes)

    # create the cluster
    compute_target = ComputeTarget.create(ws, compute_name, provisioning_config)

    # can poll for a minimum number of nodes and for a specific timeout.
    # if no min node count is provided it will use the scale settings for the cluster
    compute_target.wait_for_completion(show_output=True, min_node_count=None, timeout_in_minutes=20)

     # For a more detailed view of current AmlCompute status, use get_status()
    print(compute_target.get_status().serialize())

data_folder = os.path.join(os.getcwd(), 'data')
os.makedirs(data_folder, exist_ok=True)

mnist_file_dataset = MNIST.get_file_dataset()
mnist_file_dataset.download(data_folder, overwrite=True)

ds = ws.get_default_datastore()
ds.upload(src_dir=data_folder, target_path='mnist', overwrite=True, show_progress=True)

script_folder = os.path.join(os.getcwd(), "sklearn-mnist")
os.makedirs(script_folder, exist_ok=True)
# (the notebook's %%writefile cells write train.py and utils.py here)

# to install required packages
env = Environment('tutorial-env')
cd = CondaDependencies.create(pip_packages=['azureml-dataset-runtime[pandas,fuse]',
                                            'azureml-defaults'],
                              conda_packages = ['scikit-learn'])

env.python.conda_dependencies = cd

# Register environment to re-use later
env.register(workspace = ws)

args = ['--data-folder', ds.path('mnist').as_mount(), '--regularization', 0.5]

src = ScriptRunConfig(source_directory=script_folder,
                      script='train.py',
                      arguments=args,
                      compute_target=compute_target,
                      environment=env)

run = exp.submit(config=src)
run

RunDetails(run).show()

# specify show_output to True for a verbose log
run.wait_for_completion(show_output=True)

print(run.get_metrics())

print(run.get_file_names())

# register model
model = run.register_model(model_name='sklearn_mnist',
                           model_path='outputs/sklearn_mnist_model.pkl')
print(model.name, model.id, model.version, sep='\\t')

compute_target.delete()
"""


def _write_project(folder: Path, *, unedited: bool) -> Path:
    """The notebook as a script in ``folder`` with its workspace config and script folder."""
    folder.mkdir()
    Workspace.create("tutorial-ws", path=folder).close()
    scripts = folder / "sklearn-mnist"
    scripts.mkdir()
    train = (EXAMPLES / "train.py").read_text()
    if unedited:
        train = train.replace(
            "from runlab.compat.azureml.core import Run", "from azureml.core import Run"
        )
    assert "from runlab.compat" not in train or not unedited
    (scripts / "train.py").write_text(train)
    (scripts / "utils.py").write_text((EXAMPLES / "utils.py").read_text())
    imports = IMPORTS_SDK
    if not unedited:  # the one edit the migration guide asks for
        imports = imports.replace("import azureml.core\n", "from runlab.compat import azureml\n")
        imports = imports.replace("from azureml.", "from runlab.compat.azureml.")
    notebook = folder / "notebook.py"
    notebook.write_text(imports + NOTEBOOK)
    return notebook


@pytest.fixture
def environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    if importlib.util.find_spec("ray") is None:
        pytest.skip('Ray is not installed (pip install "runlab[ray]")')
    if not (SHARED_MNIST / "train-images-idx3-ubyte.gz").exists():
        pytest.skip(f"real MNIST is not in {SHARED_MNIST}; the data cell needs it offline")
    cache = tmp_path / "data-cache"
    cache.mkdir()
    (cache / "mnist").symlink_to(SHARED_MNIST)
    for name, value in {
        "RUNLAB_DATA_CACHE": str(cache),
        "RUNLAB_ENV_CACHE": str(ENV_CACHE),
        "RUNLAB_JOB_ROOT": str(tmp_path / "jobs"),
        "AML_COMPUTE_CLUSTER_MAX_NODES": "1",
        "MPLCONFIGDIR": str(tmp_path / "matplotlib"),
    }.items():
        monkeypatch.setenv(name, value)


def _clusters_left(project: Path) -> Iterator[str]:
    with Workspace.from_config(project) as ws:
        for record in ws.store.list_compute_targets():
            cluster_id = record.state.get("cluster_id")
            ws.compute_targets[record.name].delete()
            if cluster_id:
                yield str(cluster_id)


@pytest.mark.usefixtures("environment")
@pytest.mark.parametrize("unedited", [False, True], ids=["imports-changed", "unedited-with-shim"])
def test_the_part1_notebook_runs_to_the_end_on_ray(
    tmp_path: Path, unedited: bool, request: pytest.FixtureRequest
) -> None:
    project = tmp_path / "project"
    notebook = _write_project(project, unedited=unedited)
    python = request.getfixturevalue("shim_python") if unedited else Path(sys.executable)
    try:
        done = subprocess.run(
            [python, str(notebook)],
            cwd=project,
            capture_output=True,
            text=True,
            timeout=1800,
        )
    finally:
        left = list(_clusters_left(project))  # what a notebook that failed mid-way left
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    out = done.stdout
    assert f"Azure ML SDK Version:  {runlab.__version__}" in out
    assert "creating new compute target..." in out
    assert "'regularization rate': 0.5" in out
    accuracy = float(re.search(r"'accuracy': ([0-9.]+)", out).group(1))  # type: ignore[union-attr]
    assert accuracy > 0.9
    assert "outputs/sklearn_mnist_model.pkl" in out
    assert "sklearn_mnist\tsklearn_mnist:1\t1" in out
    with Workspace.from_config(project) as ws:
        assert ws.environments["tutorial-env"].version == 1
        run = next(iter(ws.experiments["Tutorial-sklearn-mnist"].get_runs()))
        definition = run.get_details()["runDefinition"]
        assert definition["target"] == "cpu-cluster"
        assert definition["environment"]["version"] == 1
        log = ws.artifacts.get_bytes(f"runs/{run.id}/logs/environment.log").decode()
        assert "runlab installs its azureml shim" in log
    for cluster_id in left:
        assert cluster_pids(cluster_id) == []
