"""Mirrors ``azureml.core.script_run_config``: ``ScriptRunConfig`` is
:class:`runlab.jobs.ScriptRunConfig`."""

from runlab.jobs import ScriptRunConfig

__all__ = ["ScriptRunConfig"]
