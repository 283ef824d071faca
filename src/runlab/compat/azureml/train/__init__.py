"""Mirrors ``azureml.train``: :mod:`.estimator` and :mod:`.hyperdrive`."""
