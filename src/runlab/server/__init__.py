"""Layer 3: the runlab server, a REST API over one workspace (FastAPI, served by uvicorn).

Needs the ``server`` extra (``pip install 'runlab[server]'``); :mod:`runlab.server.auth`
(tokens) does not, so ``runlab token create`` works without it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from runlab.server.auth import Authenticator, TokenStore

if TYPE_CHECKING:
    from runlab.server.app import create_app

__all__ = ["Authenticator", "TokenStore", "create_app"]


def __getattr__(name: str) -> Any:
    # FastAPI is imported only when the app is wanted.
    if name == "create_app":
        from runlab.server.app import create_app

        return create_app
    raise AttributeError(f"module 'runlab.server' has no attribute {name!r}")
