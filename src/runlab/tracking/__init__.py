"""Layer 2: workspaces, experiments and runs, with buffered metric logging."""

from runlab.tracking.experiment import Experiment, Submittable
from runlab.tracking.offline import OfflineRun
from runlab.tracking.run import Run
from runlab.tracking.run_like import RunLike
from runlab.tracking.workspace import Workspace

__all__ = ["Experiment", "OfflineRun", "Run", "RunLike", "Submittable", "Workspace"]
