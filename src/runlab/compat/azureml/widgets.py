"""Mirrors ``azureml.widgets``: ``RunDetails`` is :class:`runlab.widgets.RunDetails`
(ipywidgets in a notebook, a text view elsewhere)."""

from runlab.widgets import RunDetails

__all__ = ["RunDetails"]
