"""Bearer tokens for the runlab server: made by ``runlab token create``, kept hashed.

Tokens live in ``.runlab/tokens.json`` beside the workspace config (mode 0600, rewritten
atomically), not in the metadata store: they guard the server of *this* workspace folder, a
file needs no schema migration, and a database dump then carries no credentials. Only the
sha256 of each token is kept; tokens are 256 random bits, so a fast hash is enough, and the
comparison is constant-time (:func:`hmac.compare_digest`).

The rule (see :class:`Authenticator`): a server listening beyond loopback requires a token
(``runlab server`` refuses to start there before one exists); on loopback a server is open
until the first token is created, and from then on requires one too. A ``read`` token may
only read; a ``write`` token may do everything.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import os
import secrets
import threading
import time
from pathlib import Path
from typing import Any, Literal

from runlab._files import write_atomic
from runlab.errors import AccessDeniedError, BackendError, ValidationError

__all__ = [
    "SCOPES",
    "Authenticator",
    "Scope",
    "TokenMissingError",
    "TokenRecord",
    "TokenStore",
    "tokens_file_of",
]

Scope = Literal["read", "write"]
SCOPES: tuple[Scope, ...] = ("read", "write")
TOKEN_FILE = "tokens.json"
_PREFIX = "rlt_"


class TokenMissingError(AccessDeniedError):
    """No token, or one the server does not know: 401 rather than 403."""


def tokens_file_of(config_path: str | os.PathLike[str] | None) -> Path:
    """Where the tokens of the workspace whose config is ``config_path`` live: beside it.

    Raises:
        ValidationError: the workspace has no config file (opened from URIs alone).
    """
    if config_path is None:
        raise ValidationError(
            "this workspace has no config file to keep tokens beside; open it with"
            " Workspace.from_config() (runlab --workspace PATH)"
        )
    return Path(config_path).parent / TOKEN_FILE


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    """What is kept about a token: never the token itself.

    Attributes:
        token_id: a short public id (to list and revoke by).
        name: a label for people.
        scope: ``read`` or ``write``.
        sha256: the hex sha256 of the token.
        created_time: seconds since the epoch.
    """

    token_id: str
    name: str
    scope: Scope
    sha256: str
    created_time: float


class TokenStore:
    """The tokens file of a workspace; safe to share between threads.

    Args:
        path: the JSON file (``.runlab/tokens.json``); it need not exist yet.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int] | None = None
        self._records: list[TokenRecord] = []

    def records(self) -> list[TokenRecord]:
        """Every token record, re-read when the file changed."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise BackendError(f"cannot read the tokens file {self.path}: {error}") from error
        with self._lock:
            if self._seen != (stat.st_mtime_ns, stat.st_size):
                self._records = self._read()
                self._seen = (stat.st_mtime_ns, stat.st_size)
            return list(self._records)

    def _read(self) -> list[TokenRecord]:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
            return [TokenRecord(**item) for item in data["tokens"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise BackendError(f"the tokens file {self.path} is unreadable: {error}") from error

    def create(self, scope: str, name: str | None = None) -> tuple[str, TokenRecord]:
        """Make a new token and keep its hash.

        Returns:
            The token (shown to the user once, kept nowhere) and its record.

        Raises:
            ValidationError: ``scope`` is not ``read`` or ``write``.
            BackendError: the file cannot be written.
        """
        if scope not in SCOPES:
            raise ValidationError(f"a token's scope is 'read' or 'write', not {scope!r}")
        token = _PREFIX + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(4)
        record = TokenRecord(
            token_id, name or f"token-{token_id}", scope, _digest(token), time.time()
        )
        with self._lock:
            records = [*self._read(), record]
            self._write(records)
        return token, record

    def _write(self, records: list[TokenRecord]) -> None:
        text = json.dumps({"tokens": [dataclasses.asdict(r) for r in records]}, indent=2)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(self.path, text + "\n", mode=0o600)
        except OSError as error:
            raise BackendError(f"cannot write the tokens file {self.path}: {error}") from error

    def find(self, token: str) -> TokenRecord | None:
        """The record of ``token``, compared in constant time, or None."""
        digest = _digest(token)
        found = None
        for record in self.records():
            if hmac.compare_digest(digest, record.sha256):
                found = record
        return found


def _basic_password(credentials: str) -> str:
    """The password of HTTP Basic credentials (MLflow's clients send the token so, with any
    user name); an empty string for malformed ones."""
    try:
        decoded = base64.b64decode(credentials.strip(), validate=True).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError):
        return ""
    return decoded.partition(":")[2]


class Authenticator:
    """Decides whether a request's ``Authorization`` header allows a scope.

    Args:
        tokens: the workspace's tokens, or None for a server without any.
        required: refuse requests without a valid token even while no token exists (a
            server listening beyond loopback); otherwise a server is open until the first
            token is created.
    """

    def __init__(self, tokens: TokenStore | None, *, required: bool = False) -> None:
        self.tokens = tokens
        self.required = required

    def check(self, header: str | None, scope: Scope) -> TokenRecord | None:
        """Allow the request, or raise.

        Returns:
            The token's record, or None when the server is open.

        The token comes as ``Authorization: Bearer <token>``, or as the password of
        ``Authorization: Basic`` (the user name is ignored).

        Raises:
            TokenMissingError: no token, a malformed header, or an unknown token (401).
            AccessDeniedError: the token's scope does not allow ``scope`` (403).
        """
        records = self.tokens.records() if self.tokens is not None else []
        if not records and not self.required:
            return None
        scheme, _, token = (header or "").partition(" ")
        if scheme.lower() == "basic":
            token = _basic_password(token)
            scheme = "bearer"
        if scheme.lower() != "bearer" or not token.strip():
            raise TokenMissingError(
                "this runlab server needs a token: send 'Authorization: Bearer <token>'"
                " (make one with `runlab token create`, pass it to Workspace.connect or"
                " set RUNLAB_TOKEN)"
            )
        record = self.tokens.find(token.strip()) if self.tokens is not None else None
        if record is None:
            raise TokenMissingError("the token sent is not known to this runlab server")
        if scope == "write" and record.scope != "write":
            raise AccessDeniedError(
                f"token {record.name!r} may only read: changing anything needs a write token"
            )
        return record
