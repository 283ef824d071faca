"""Layer 0: frozen records and enums with no I/O."""

from runlab.entities.job import JobSpec
from runlab.entities.metric import Metric, MetricHistory, MetricKind, decode_value, encode_value
from runlab.entities.records import ExperimentRecord, RunRecord
from runlab.entities.run_status import RunStatus, allowed_sources, check_transition

__all__ = [
    "ExperimentRecord",
    "JobSpec",
    "Metric",
    "MetricHistory",
    "MetricKind",
    "RunRecord",
    "RunStatus",
    "allowed_sources",
    "check_transition",
    "decode_value",
    "encode_value",
]
