"""What a compute target needs to run a job: the job spec, plain and JSON-able."""

from __future__ import annotations

import dataclasses
import json
from typing import Any

from runlab.errors import ValidationError

__all__ = ["JobSpec"]


@dataclasses.dataclass(frozen=True)
class JobSpec:
    """Everything the job entry (``python -m runlab.jobs.entry``) needs, on any target.

    Attributes:
        run_id: the run the job reports to.
        workspace: the workspace config with absolute URIs (``Workspace.to_dict()``).
        snapshot_id: the stored snapshot of the source folder.
        script: the script's path inside the snapshot.
        arguments: the script's command-line arguments: strings, and data references as
            ``{"$data": reference}``, which the entry turns into local paths.
        environment: the environment spec (``Environment.to_dict()``).
        environment_variables: extra variables for the script's process.
        use_gpu: whether the job asked for a GPU.
        heartbeat_interval_s: how often the entry reports it is alive.
        max_concurrent_runs: how many jobs of this target may run at once on one machine.
    """

    run_id: str
    workspace: dict[str, Any]
    snapshot_id: str
    script: str
    arguments: list[str | dict[str, Any]]
    environment: dict[str, Any]
    # Kept out of the repr: it may hold RUNLAB_TOKEN (a server-backed workspace's jobs).
    environment_variables: dict[str, str] = dataclasses.field(default_factory=dict, repr=False)
    use_gpu: bool = False
    heartbeat_interval_s: float = 5.0
    max_concurrent_runs: int = 1

    def to_json(self) -> str:
        """The spec as JSON."""
        return json.dumps(dataclasses.asdict(self))

    @classmethod
    def from_json(cls, text: str) -> JobSpec:
        """A spec from :meth:`to_json`'s output.

        Raises:
            ValidationError: the text is not a job spec.
        """
        try:
            fields = json.loads(text)
            return cls(**fields)
        except (json.JSONDecodeError, TypeError) as error:
            raise ValidationError(f"not a runlab job spec: {error}") from error
