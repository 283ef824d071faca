"""Mirrors ``azureml.core.webservice``: the web services of :mod:`runlab.serving`.

``LocalWebservice`` and ``AciWebservice`` serve on this machine; ``AksWebservice`` serves as
a Ray Serve application on a :class:`runlab.compute.ray.RayCompute` given as
``deployment_target``.
"""

from runlab.serving import AciWebservice, AksWebservice, LocalWebservice, Webservice

__all__ = ["AciWebservice", "AksWebservice", "LocalWebservice", "Webservice"]
