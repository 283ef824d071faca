"""The SDK's serving names are runlab's objects."""

from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

from runlab import serving


@pytest.mark.parametrize(
    ("module", "name", "expected"),
    [
        ("core.model", "InferenceConfig", serving.InferenceConfig),
        ("core.webservice", "Webservice", serving.Webservice),
        ("core.webservice", "LocalWebservice", serving.LocalWebservice),
        ("core.webservice", "AciWebservice", serving.AciWebservice),
        ("core.webservice", "AksWebservice", serving.AksWebservice),
    ],
)
def test_sdk_serving_paths_give_runlab_objects(module: str, name: str, expected: object) -> None:
    imported = importlib.import_module(f"runlab.compat.azureml.{module}")
    assert getattr(imported, name) is expected


def test_importing_the_serving_names_loads_neither_ray_nor_httpx() -> None:
    code = (
        "import sys\n"
        "import runlab.compat.azureml.core.webservice, runlab.compat.azureml.core.model\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('ray', 'httpx')))"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "[]"


def test_aci_configuration_takes_the_sdk_arguments() -> None:
    config = serving.AciWebservice.deploy_configuration(
        cpu_cores=1, memory_gb=1, tags={"data": "mnist"}, description="predict digits"
    )
    assert config.kind == "local" and config.host == "127.0.0.1" and not config.auth_enabled
    assert config.to_dict()["tags"] == {"data": "mnist"}
    aks = serving.AksWebservice.deploy_configuration(
        autoscale_enabled=True, autoscale_min_replicas=1, autoscale_max_replicas=3
    )
    assert aks.kind == "ray" and aks.autoscale_max_replicas == 3
