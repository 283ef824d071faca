"""Mirrors ``azureml.train``; its one module here is :mod:`.estimator`."""
