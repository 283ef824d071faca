"""Layer 3: other libraries' import paths over runlab.

:mod:`runlab.compat.azureml` mirrors the Azure Machine Learning SDK v1 (``azureml``), so its
tutorials run with only their import lines changed. Only aliases live here: every name is the
runlab object itself. See ``docs/migrating-from-azureml.md``.
"""
