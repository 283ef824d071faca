"""Bearer tokens for the runlab server: made by ``runlab token create``, kept hashed.

Tokens live in ``.runlab/tokens.json`` beside the workspace config (mode 0600, rewritten
atomically under a file lock, so several servers and CLI commands share it safely), not in
the metadata store: they guard the server of *this* workspace folder, a file needs no schema
migration, and a database dump then carries no credentials. Only the sha256 of each token is
kept; tokens are 256 random bits, so a fast hash is enough, and the comparison is
constant-time (:func:`hmac.compare_digest`).

A token has a life cycle: it may expire (``runlab token create --expires 30d``), it is
revoked by removing its record (``runlab token revoke NAME``), and its last use is noted
(at most once a minute). A running server re-reads the file whenever it changed and checks
expiry on every request, so a revoked or expired token is refused at once, without a
restart.

The rule (see :class:`Authenticator`): a server listening beyond loopback requires a token
(``runlab server`` refuses to start there before one exists); on loopback a server is open
until the first token is created, and from then on requires one too. A ``read`` token may
only read; a ``write`` token may do everything; a ``run`` token (made for one submitted job,
see :mod:`runlab.server.run_scope`) may read, and write only to its run and its runs' files.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Literal

import filelock

from runlab._files import write_atomic
from runlab.errors import (
    AccessDeniedError,
    AlreadyExistsError,
    BackendError,
    NotFoundError,
    ValidationError,
)

__all__ = [
    "RUN_TOKEN_LIFETIME_S",
    "SCOPES",
    "Authenticator",
    "Scope",
    "TokenMissingError",
    "TokenRecord",
    "TokenStore",
    "parse_duration",
    "tokens_file_of",
]

Scope = Literal["read", "write", "run"]
SCOPES: tuple[Scope, ...] = ("read", "write")
"""The scopes a person may give a token; ``run`` tokens are made for jobs only."""
TOKEN_FILE = "tokens.json"
RUN_TOKEN_LIFETIME_S = 30 * 86400.0
"""How long a job's run token lasts at most (it also dies with a revoke of its name)."""
LAST_USED_EVERY_S = 60.0
"""A token's last use is written to the file at most this often (each write costs a lock)."""
_LOCK_TIMEOUT_S = 30.0
_PREFIX = "rlt_"
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}
_DURATION = re.compile(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*")


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


def parse_duration(text: str) -> float:
    """Seconds in a duration such as ``30d``, ``12h``, ``90m``, ``2w`` or ``45s``.

    Raises:
        ValidationError: ``text`` is not a positive number followed by s, m, h, d or w.
    """
    match = _DURATION.fullmatch(text)
    if match is None or float(match.group(1)) <= 0:
        raise ValidationError(
            f"bad duration {text!r}: a positive number and a unit, e.g. 30d, 12h, 90m, 2w"
        )
    return float(match.group(1)) * _UNITS[match.group(2)]


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


@dataclasses.dataclass(frozen=True)
class TokenRecord:
    """What is kept about a token: never the token itself.

    Attributes:
        token_id: a short public id (to list and revoke by).
        name: a label for people, unique among the workspace's tokens.
        scope: ``read``, ``write``, or ``run`` (a job's token, see ``run_id``).
        sha256: the hex sha256 of the token.
        created_time: seconds since the epoch.
        expires_time: when the token stops being accepted, or None for never.
        last_used_time: when a server last accepted it (to the minute), or None.
        run_id: for a ``run`` token, the run whose job it was made for.
    """

    token_id: str
    name: str
    scope: Scope
    sha256: str
    created_time: float
    expires_time: float | None = None
    last_used_time: float | None = None
    run_id: str | None = None

    def expired(self, now: float | None = None) -> bool:
        """Whether the token is past its expiry."""
        moment = time.time() if now is None else now
        return self.expires_time is not None and moment >= self.expires_time


class TokenStore:
    """The tokens file of a workspace; safe to share between threads, processes and
    several servers (changes are made under a file lock and written atomically).

    Args:
        path: the JSON file (``.runlab/tokens.json``); it need not exist yet.
    """

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self._lock = threading.Lock()
        self._seen: tuple[int, int, int] | None = None
        self._records: list[TokenRecord] = []
        self._touched: dict[str, float] = {}

    def records(self) -> list[TokenRecord]:
        """Every token record, re-read when the file changed."""
        try:
            stat = self.path.stat()
        except FileNotFoundError:
            return []
        except OSError as error:
            raise BackendError(f"cannot read the tokens file {self.path}: {error}") from error
        with self._lock:
            # The inode too: an atomic rewrite within the clock's resolution and of the same
            # size (a revoke racing a touch) is still seen.
            seen = (stat.st_mtime_ns, stat.st_size, stat.st_ino)
            if self._seen != seen:
                self._records = self._read()
                self._seen = seen
            return list(self._records)

    def _read(self) -> list[TokenRecord]:
        try:
            data: Any = json.loads(self.path.read_text(encoding="utf-8"))
            return [TokenRecord(**item) for item in data["tokens"]]
        except FileNotFoundError:
            return []
        except (OSError, ValueError, TypeError, KeyError) as error:
            raise BackendError(f"the tokens file {self.path} is unreadable: {error}") from error

    @contextlib.contextmanager
    def _file_lock(self) -> Iterator[None]:
        """Hold the file's lock (between processes) while it is read, changed and written."""
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            with filelock.FileLock(f"{self.path}.lock", timeout=_LOCK_TIMEOUT_S):
                yield
        except filelock.Timeout as error:
            raise BackendError(
                f"the tokens file {self.path} stayed locked for {_LOCK_TIMEOUT_S:.0f} s"
            ) from error
        except OSError as error:
            raise BackendError(f"cannot write the tokens file {self.path}: {error}") from error

    def create(
        self,
        scope: str,
        name: str | None = None,
        *,
        expires_in: float | None = None,
        run_id: str | None = None,
    ) -> tuple[str, TokenRecord]:
        """Make a new token and keep its hash.

        Args:
            scope: ``read`` or ``write``; ``run`` with ``run_id`` for a job's token.
            name: a label, unique in the workspace; default ``token-<id>``.
            expires_in: seconds until the token is refused; None: it never expires.
            run_id: the run a ``run`` token belongs to.

        Returns:
            The token (shown to the user once, kept nowhere) and its record.

        Raises:
            ValidationError: a bad scope, a ``run`` token without its run, a bad expiry.
            AlreadyExistsError: another token has that name.
            BackendError: the file cannot be written.
        """
        if scope not in (*SCOPES, "run") or (scope == "run") != (run_id is not None):
            raise ValidationError(f"a token's scope is 'read' or 'write', not {scope!r}")
        if expires_in is not None and not expires_in > 0:
            raise ValidationError(f"a token's lifetime must be positive, not {expires_in!r}")
        token = _PREFIX + secrets.token_urlsafe(32)
        token_id = secrets.token_hex(4)
        now = time.time()
        record = TokenRecord(
            token_id=token_id,
            name=name or f"token-{token_id}",
            scope=scope,
            sha256=_digest(token),
            created_time=now,
            expires_time=None if expires_in is None else now + expires_in,
            run_id=run_id,
        )
        with self._file_lock():
            # Jobs' tokens past their expiry are dropped here, so the file does not grow
            # with every job; people's expired tokens stay listed until revoked.
            records = [r for r in self._read() if not (r.run_id and r.expired(now))]
            if any(r.name == record.name for r in records):
                raise AlreadyExistsError(
                    f"a token named {record.name!r} exists already: pick another name, or"
                    f" `runlab token revoke {record.name}` first"
                )
            self._write([*records, record])
        return token, record

    def revoke(self, name: str) -> TokenRecord:
        """Remove the token named ``name`` (or whose id is ``name``): every server refuses it
        from its next request on.

        Raises:
            NotFoundError: no token has that name or id.
            BackendError: the file cannot be written.
        """
        with self._file_lock():
            records = self._read()
            chosen = [r for r in records if r.name == name] or [
                r for r in records if r.token_id == name
            ]
            if not chosen:
                known = ", ".join(sorted(r.name for r in records)) or "none"
                raise NotFoundError(f"no token is named {name!r} (known: {known})")
            self._write([r for r in records if r not in chosen])
        return chosen[0]

    def _write(self, records: list[TokenRecord]) -> None:
        text = json.dumps({"tokens": [dataclasses.asdict(r) for r in records]}, indent=2)
        try:
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

    def touch(self, record: TokenRecord) -> None:
        """Note that ``record``'s token was just accepted; written to the file only when the
        last noted use is older than :data:`LAST_USED_EVERY_S`. A file that cannot be written
        is not the request's fault: the use then goes unnoted.
        """
        now = time.time()
        with self._lock:
            last = max(record.last_used_time or 0.0, self._touched.get(record.token_id, 0.0))
            if now - last < LAST_USED_EVERY_S:
                return
            # Noted first: a failing write is not retried on every request.
            self._touched[record.token_id] = now
        with contextlib.suppress(BackendError), self._file_lock():
            records = self._read()
            updated = [
                dataclasses.replace(r, last_used_time=now) if r.token_id == record.token_id else r
                for r in records
            ]
            if updated != records:
                self._write(updated)


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

    def is_open(self) -> bool:
        """Whether the server lets requests in without any token (loopback, no token yet)."""
        return not self.required and not (self.tokens is not None and self.tokens.records())

    def check(
        self, header: str | None, scope: Scope, *, run_tokens: bool = False
    ) -> TokenRecord | None:
        """Allow the request, or raise.

        Args:
            header: the request's ``Authorization`` header.
            scope: ``read`` or ``write``: what the request does.
            run_tokens: let a job's ``run`` token through for a write; the caller then checks
                that the write stays inside its run (:mod:`runlab.server.run_scope`).

        Returns:
            The token's record, or None when the server is open.

        The token comes as ``Authorization: Bearer <token>``, or as the password of
        ``Authorization: Basic`` (the user name is ignored).

        Raises:
            TokenMissingError: no token, a malformed header, an unknown (revoked) or expired
                token (401).
            AccessDeniedError: the token's scope does not allow ``scope`` (403).
        """
        if self.is_open():
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
            raise TokenMissingError(
                "the token sent is not known to this runlab server (never made, or revoked)"
            )
        if record.expired():
            stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime(record.expires_time))
            raise TokenMissingError(
                f"token {record.name!r} expired at {stamp}: make a new one with"
                " `runlab token create`"
            )
        if scope == "write" and record.scope == "read":
            raise AccessDeniedError(
                f"token {record.name!r} may only read: changing anything needs a write token"
            )
        if scope == "write" and record.scope == "run" and not run_tokens:
            raise AccessDeniedError(
                f"token {record.name!r} belongs to run {record.run_id!r} and may not change"
                " anything else"
            )
        if self.tokens is not None:
            self.tokens.touch(record)
        return record
