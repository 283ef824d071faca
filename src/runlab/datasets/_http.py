"""Fetching one dataset file over HTTP with the standard library: retries, verification, and
an atomic rename into place. No foreign exception leaves this module."""

from __future__ import annotations

import http.client
import socket
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence
from pathlib import Path
from typing import BinaryIO

from rich.progress import Progress, TaskID

from runlab.datasets._idx import FileSpec, file_problem, partial_file
from runlab.errors import ValidationError

__all__ = ["fetch", "mirror_urls"]

_CHUNK = 1 << 20
# Worth asking the same mirror again; any other HTTP error moves on to the next mirror.
_RETRY_STATUSES = frozenset({408, 425, 429, 500, 502, 503, 504})
_USER_AGENT = "runlab-datasets/1 (Python urllib)"


def mirror_urls(mirrors: Sequence[str]) -> list[str]:
    """The mirrors as base URLs ending in ``/``.

    Raises:
        ValidationError: a mirror is not an http(s) URL, or there is none.
    """
    urls = []
    for mirror in [mirrors] if isinstance(mirrors, str) else mirrors:
        if urllib.parse.urlsplit(mirror).scheme not in ("http", "https"):
            raise ValidationError(f"bad mirror {mirror!r}: use an http:// or https:// URL")
        urls.append(mirror if mirror.endswith("/") else mirror + "/")
    if not urls:
        raise ValidationError("no mirrors to download from")
    return urls


def fetch(
    url: str,
    target: Path,
    expected: FileSpec,
    *,
    retries: int,
    timeout: float,
    backoff: float,
    progress: Progress,
    task: TaskID,
) -> str | None:
    """Download ``url`` and move it to ``target`` once its decompressed bytes verify.

    Errors that may pass (network errors, timeouts, HTTP 5xx, a body cut short) are retried up
    to ``retries`` attempts in all, ``backoff`` seconds apart, doubling. A wrong checksum or
    another HTTP status gives up at once. The bytes go to a hidden ``.partial`` file beside
    ``target``, which never outlives the call.

    Returns:
        ``None`` when ``target`` is in place, else why this URL failed.

    Raises:
        BackendError: the folder of ``target`` cannot be written.
    """
    reason = ""
    for attempt in range(retries):
        if attempt:
            time.sleep(backoff * 2 ** (attempt - 1))
        with partial_file(target) as partial:
            try:
                _get(url, partial.file, timeout, progress, task)
            except urllib.error.HTTPError as error:
                error.close()
                reason = f"HTTP {error.code} {error.reason}"
                if error.code not in _RETRY_STATUSES:
                    return reason
                continue
            except (OSError, http.client.HTTPException) as error:
                reason = _describe(error)
                if _unknown_host(error):
                    return reason  # no address for the name: asking again will not find one
                continue
            problem = file_problem(Path(partial.path), expected, gzipped=True)
            if problem is not None:
                return problem
            partial.commit()
            return None
    return reason if retries == 1 else f"{reason}; {retries} attempts"


def _get(url: str, out: BinaryIO, timeout: float, progress: Progress, task: TaskID) -> None:
    """Write the body of a GET into ``out`` (flushed at the end), failing if it arrives
    short."""
    request = urllib.request.Request(url, headers={"User-Agent": _USER_AGENT})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        length = response.headers.get("Content-Length", "")
        total = int(length) if length.isdigit() else None
        progress.reset(task, total=total)
        received = 0
        while chunk := response.read(_CHUNK):
            out.write(chunk)
            received += len(chunk)
            progress.advance(task, len(chunk))
    out.flush()
    if total is not None and received < total:
        raise ConnectionError(f"connection closed after {received:,} of {total:,} bytes")


def _unknown_host(error: BaseException) -> bool:
    """Whether the host name has no address (as on a machine with no internet access)."""
    reason = error.reason if isinstance(error, urllib.error.URLError) else error
    return isinstance(reason, socket.gaierror) and reason.errno == socket.EAI_NONAME


def _describe(error: BaseException) -> str:
    """A network error in a few words: ``[Errno 111] Connection refused``, ``timed out``."""
    if isinstance(error, urllib.error.URLError):
        reason = error.reason
        return _describe(reason) if isinstance(reason, BaseException) else str(reason)
    if isinstance(error, TimeoutError):
        return "timed out"
    return str(error) or type(error).__name__
