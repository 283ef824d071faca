"""Layer 2: submitting scripts as jobs (ScriptRunConfig, Estimator) and the job entry."""

from runlab.jobs.config import Estimator, ScriptRunConfig

__all__ = ["Estimator", "ScriptRunConfig"]
