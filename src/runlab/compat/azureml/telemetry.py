"""Mirrors ``azureml.telemetry``: ``set_diagnostics_collection`` is
:func:`runlab.compat.azureml._diagnostics.set_diagnostics_collection`, which collects nothing."""

from runlab.compat.azureml._diagnostics import set_diagnostics_collection

__all__ = ["set_diagnostics_collection"]
