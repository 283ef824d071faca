"""The scoring endpoint: a small ASGI app around a ``score.py``'s ``init()`` and ``run()``.

``POST /score`` hands the request body, as a string, to ``run(raw_data)`` and answers its
return value as JSON; ``GET /`` says the service is up; ``GET /swagger.json`` describes both.
Every failure is a JSON object ``{"error": "..."}`` with a 4xx or 5xx status, and the app keeps
serving: a body that ``run()`` cannot parse as JSON (400), a body over the limit (413), no key
or a wrong one when keys are set (401, compared in constant time), a ``run()`` that raises
(500, its traceback in the service's log) or overruns the per-request timeout (504).

This module is also the local scoring process (``python scoring.py SPEC_FILE FD``, run in the
service's environment by path, so that it imports only the standard library and uvicorn):
it imports the entry script, calls ``init()``, and serves on the listening socket ``FD`` it
inherits from its supervisor, which may hand the same socket to a newer process during an
update. Once it serves, it writes the ``ready_file`` its spec names.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import hmac
import importlib.util
import json
import os
import socket
import sys
import traceback
from collections.abc import Awaitable, Callable, MutableMapping, Sequence
from pathlib import Path
from types import ModuleType
from typing import Any

__all__ = ["KeyFile", "ScoringApp", "load_entry_script", "main"]

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]

DEFAULT_MAX_BODY_BYTES = 16 * 1024 * 1024
DEFAULT_TIMEOUT_S = 60.0
_JSON = [(b"content-type", b"application/json")]


def _jsonable(value: Any) -> Any:
    """What ``json`` cannot write itself: numpy arrays and scalars (``tolist``/``item``)."""
    for method in ("tolist", "item"):
        convert = getattr(value, method, None)
        if callable(convert):
            return convert()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


class KeyFile:
    """The keys a service accepts, read from a JSON file (``{"primary": .., "secondary": ..}``)
    and read again whenever the file changes, so a regenerated key applies at once.

    Args:
        path: the file; None when authentication is off.
    """

    def __init__(self, path: Path | None) -> None:
        self.path = path
        self._stamp: tuple[int, int] | None = None
        self._keys: tuple[bytes, ...] = ()

    def __call__(self) -> tuple[bytes, ...] | None:
        """The keys, or None when authentication is off."""
        if self.path is None:
            return None
        try:
            status = self.path.stat()
            stamp = (status.st_mtime_ns, status.st_size)
            if stamp != self._stamp:
                keys = json.loads(self.path.read_text(encoding="utf-8"))
                self._keys = tuple(str(key).encode() for key in keys.values() if key)
                self._stamp = stamp
        except (OSError, ValueError):
            pass  # mid-replacement or gone: keep the keys read last (none: refuse all)
        return self._keys


class ScoringApp:
    """The ASGI app of one scoring service. See the module docstring.

    Args:
        run: the entry script's ``run(raw_data)``.
        keys: gives the accepted keys (None: no authentication) for each request.
        max_body_bytes: a larger body is refused with 413 before it is read whole.
        timeout_s: a ``run()`` that takes longer is answered with 504 (the call itself cannot
            be stopped and finishes in its thread).
        threads: how many ``run()`` calls may run at once.
        title: the service's name, for its OpenAPI description.
    """

    def __init__(
        self,
        run: Callable[[str], Any],
        *,
        keys: Callable[[], Sequence[bytes] | None] = lambda: None,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        timeout_s: float = DEFAULT_TIMEOUT_S,
        threads: int = 8,
        title: str = "runlab scoring service",
    ) -> None:
        self.run = run
        self.keys = keys
        self.max_body_bytes = max_body_bytes
        self.timeout_s = timeout_s
        self.executor = concurrent.futures.ThreadPoolExecutor(threads, "runlab-score")
        self.swagger = json.dumps(_openapi(title)).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The ASGI entry point."""
        if scope["type"] == "lifespan":
            await _lifespan(receive, send)
            return
        if scope["type"] != "http":
            return
        status, body = await self.respond(scope, receive)
        await send({"type": "http.response.start", "status": status, "headers": _JSON})
        await send({"type": "http.response.body", "body": body})

    async def respond(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        """The status and JSON body that answer one HTTP request (also used by the Ray
        Serve replicas, which hand over their request's scope and receive)."""
        path, method = scope["path"], scope["method"]
        root = scope.get("root_path", "")
        if root and path.startswith(root):  # mounted under a prefix (Ray Serve's route)
            path = path[len(root) :]
        path = path.rstrip("/") or "/"
        if path == "/score" and method == "POST":
            return await self._score(scope, receive)
        if path == "/" and method in ("GET", "HEAD"):
            return 200, b'{"status": "Healthy"}'
        if path in ("/swagger.json", "/openapi.json") and method == "GET":
            return 200, self.swagger
        if path in ("/", "/score", "/swagger.json", "/openapi.json"):
            return _error(405, f"{method} is not allowed on {path}")
        return _error(404, f"no such endpoint {path}: POST /score, GET /")

    def _authorized(self, scope: Scope) -> bool:
        keys = self.keys()
        if keys is None:
            return True
        given = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                given = value.removeprefix(b"Bearer ").strip()
        matches = [hmac.compare_digest(given, key) for key in keys]  # every key, no shortcut
        return bool(given) and any(matches)

    async def _score(self, scope: Scope, receive: Receive) -> tuple[int, bytes]:
        if not self._authorized(scope):
            return _error(401, "a valid key is needed: send 'Authorization: Bearer <key>'")
        for name, value in scope["headers"]:
            if name == b"content-length" and value.isdigit() and int(value) > self.max_body_bytes:
                return _too_large(self.max_body_bytes)
        chunks, size, more = [], 0, True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return _error(400, "the client went away before the body was read")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.max_body_bytes:
                return _too_large(self.max_body_bytes)
            chunks.append(chunk)
            more = message.get("more_body", False)
        try:
            raw_data = b"".join(chunks).decode("utf-8")
        except UnicodeDecodeError as error:
            return _error(400, f"the request body is not UTF-8 text: {error}")
        loop = asyncio.get_running_loop()
        try:
            result = await asyncio.wait_for(
                loop.run_in_executor(self.executor, self.run, raw_data), self.timeout_s
            )
            return 200, json.dumps(result, default=_jsonable).encode()
        except TimeoutError:
            return _error(504, f"run() took longer than the {self.timeout_s:g} s timeout")
        except json.JSONDecodeError as error:
            return _error(400, f"the request body is not valid JSON: {error}")
        except Exception as error:  # run()'s failure is the request's, never the service's
            traceback.print_exc()
            return _error(500, f"run() raised {type(error).__name__}: {error}")


def _error(status: int, message: str) -> tuple[int, bytes]:
    return status, json.dumps({"error": message}).encode()


def _too_large(limit: int) -> tuple[int, bytes]:
    return _error(413, f"the request body is larger than the service's limit of {limit} bytes")


async def _lifespan(receive: Receive, send: Send) -> None:
    while True:
        message = await receive()
        if message["type"] == "lifespan.startup":
            await send({"type": "lifespan.startup.complete"})
        elif message["type"] == "lifespan.shutdown":
            await send({"type": "lifespan.shutdown.complete"})
            return


def _openapi(title: str) -> dict[str, Any]:
    error = {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}
    return {
        "openapi": "3.0.3",
        "info": {"title": title, "version": "1"},
        "paths": {
            "/": {"get": {"summary": "health", "responses": {"200": {"description": "up"}}}},
            "/score": {
                "post": {
                    "summary": "score: the body is handed to run(raw_data)",
                    "requestBody": {"content": {"application/json": {"schema": {}}}},
                    "responses": {
                        "200": {"description": "what run() returned, as JSON"},
                        **{
                            code: {"description": text, "content": error}
                            for code, text in [
                                ("400", "the body is not JSON (or not UTF-8)"),
                                ("401", "no key or a wrong key"),
                                ("413", "the body is over the limit"),
                                ("500", "run() raised"),
                                ("504", "run() overran the timeout"),
                            ]
                        },
                    },
                }
            },
        },
        "components": {
            "schemas": {"Error": {"type": "object", "properties": {"error": {"type": "string"}}}}
        },
    }


def load_entry_script(path: Path) -> ModuleType:
    """Import the entry script at ``path`` as module ``score`` (its folder first on
    ``sys.path``, so it imports its neighbours) and check it defines ``init`` and ``run``.

    Raises:
        ImportError: it has no ``init()`` or no ``run()``.
    """
    sys.path.insert(0, str(path.parent))
    spec = importlib.util.spec_from_file_location("score", path)
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot import the entry script {path}")
    module = importlib.util.module_from_spec(spec)
    sys.modules["score"] = module
    spec.loader.exec_module(module)
    for name in ("init", "run"):
        if not callable(getattr(module, name, None)):
            raise ImportError(f"the entry script {path.name} defines no {name}() function")
    return module


def main(argv: Sequence[str]) -> int:
    """Serve one generation of a local service: ``scoring.py SPEC_FILE FD``.

    Exits 3 when the entry script cannot be imported or its ``init()`` raises (the
    traceback is printed first); otherwise serves until SIGTERM.
    """
    import uvicorn

    spec = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    listener = socket.socket(fileno=int(argv[1]))
    os.chdir(spec["workdir"])
    try:
        entry = load_entry_script(Path(spec["entry_script"]))
        entry.init()
    except BaseException:
        print("runlab: the entry script's init() failed:", file=sys.stderr)
        traceback.print_exc()
        return 3
    print(f"runlab: init() done; serving generation {spec['generation']}", flush=True)
    app = ScoringApp(
        entry.run,
        keys=KeyFile(Path(spec["key_file"]) if spec.get("key_file") else None),
        max_body_bytes=int(spec["max_body_bytes"]),
        timeout_s=float(spec["timeout_s"]),
        title=spec["name"],
    )
    ready_file = Path(spec["ready_file"])

    class _Server(uvicorn.Server):
        async def startup(self, sockets: list[socket.socket] | None = None) -> None:
            await super().startup(sockets)
            if self.started:
                ready_file.write_text(str(os.getpid()), encoding="utf-8")

    config = uvicorn.Config(app, lifespan="off", access_log=False, log_level="warning")
    _Server(config).run(sockets=[listener])
    return 0


if __name__ == "__main__":
    # Run by path: drop this folder from the path, so its modules shadow none of the script's.
    if sys.path and Path(sys.path[0]).resolve() == Path(__file__).resolve().parent:
        sys.path.pop(0)
    sys.exit(main(sys.argv[1:]))
