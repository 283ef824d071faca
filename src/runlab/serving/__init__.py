"""Layer 2: registered models served as scoring web services.

:meth:`runlab.Model.deploy` takes an :class:`InferenceConfig` (an entry script with
``init()`` and ``run(raw_data)``, and its environment) and a deployment configuration:
:meth:`LocalWebservice.deploy_configuration` (or the SDK's
:meth:`AciWebservice.deploy_configuration`) serves on this machine from a supervised uvicorn
process; :meth:`AksWebservice.deploy_configuration` with a
:class:`~runlab.compute.ray.RayCompute` target serves as a Ray Serve application. Services are
recorded in the workspace with the model versions they serve.

Example:
    >>> config = InferenceConfig("score.py", environment=env)  # doctest: +SKIP
    >>> service = Model.deploy(ws, "mnist", [model], config,  # doctest: +SKIP
    ...                        LocalWebservice.deploy_configuration())
    >>> service.wait_for_deployment(show_output=True)  # doctest: +SKIP
"""

from runlab.serving.config import (
    AksDeploymentConfiguration,
    InferenceConfig,
    LocalDeploymentConfiguration,
    check_service_name,
)
from runlab.serving.webservice import AciWebservice, AksWebservice, LocalWebservice, Webservice

__all__ = [
    "AciWebservice",
    "AksDeploymentConfiguration",
    "AksWebservice",
    "InferenceConfig",
    "LocalDeploymentConfiguration",
    "LocalWebservice",
    "Webservice",
    "check_service_name",
]
