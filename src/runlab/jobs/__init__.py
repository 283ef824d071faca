"""Layer 2: submitting scripts as jobs (ScriptRunConfig, Estimator) and the job entry."""

from runlab.jobs.config import Estimator, ScriptRunConfig
from runlab.jobs.run_configuration import RunConfiguration

__all__ = ["Estimator", "RunConfiguration", "ScriptRunConfig"]
