"""The Ray Serve application of a web service on a Ray cluster: imported by Ray's workers
(``runlab.serving.ray_app:build``), never by runlab's own processes.

Each replica sets the service's variables, imports the entry script, calls ``init()`` once,
and answers requests with the same :class:`~runlab.serving.scoring.ScoringApp` as a local
service, so both behave alike (errors, limits, timeout, keys).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from ray import serve
from starlette.requests import Request
from starlette.responses import Response

from runlab.serving.scoring import KeyFile, ScoringApp, load_entry_script

__all__ = ["Scorer", "build"]


@serve.deployment(name="Scorer")
class Scorer:
    """One replica of a service.

    Args:
        spec: the generation's spec (see :func:`runlab.serving.local.prepare_generation`).
    """

    def __init__(self, spec: dict[str, Any]) -> None:
        os.environ.update(spec["variables"])
        os.environ.update((spec.get("environment") or {}).get("environment_variables", {}))
        os.chdir(spec["workdir"])
        entry = load_entry_script(Path(spec["entry_script"]))
        entry.init()
        self.app = ScoringApp(
            entry.run,
            keys=KeyFile(Path(spec["key_file"]) if spec.get("key_file") else None),
            max_body_bytes=int(spec["max_body_bytes"]),
            timeout_s=float(spec["timeout_s"]),
            title=spec["name"],
        )

    async def __call__(self, request: Request) -> Response:
        """Answer one request as a local service would."""
        status, body = await self.app.respond(request.scope, request.receive)
        return Response(body, status_code=status, media_type="application/json")


def build(args: dict[str, Any]) -> Any:
    """The application Ray Serve deploys for ``args["spec"]`` (its import path's target)."""
    return Scorer.bind(args["spec"])  # type: ignore[attr-defined]
