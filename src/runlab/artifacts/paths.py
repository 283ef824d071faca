"""Vetting of relative artifact paths that come from outside.

Every relative path a user, a script or a remote client hands to an artifact store passes
:func:`vet_path`, and every such path that becomes a file on this machine passes
:func:`safe_local_path`. Keeping the rules in one place means a hole is fixed once.
"""

from __future__ import annotations

import os
import pathlib
import re
import unicodedata

from runlab.errors import ValidationError

__all__ = ["safe_local_path", "vet_path"]

_ALLOWED = (
    "a relative POSIX path such as 'outputs/model.pkl' "
    "(no leading '/', '~' or drive letter, no '..', no backslashes, no control characters)"
)

# "C:x" is relative to the current folder of drive C on Windows, and joining such a component
# replaces the drive of what it is joined to, so a letter-colon start is refused in every
# component, not only "C:\\" or "C:/" at the start.
_DRIVE_LETTER = re.compile(r"^[A-Za-z]:")


def _refuse(path: object, reason: str) -> ValidationError:
    return ValidationError(f"unsafe artifact path {path!r}: {reason}; expected {_ALLOWED}")


def vet_path(path: str, *, allow_empty: bool = False) -> str:
    """Check a relative artifact path from outside and return its normal form.

    The normal form joins the components with single ``/``, drops ``.`` components and has no
    leading ``./`` and no trailing slash: ``"./a//b/./c/"`` becomes ``"a/b/c"``.

    Args:
        path: the path as received, relative to an artifact root.
        allow_empty: accept a path that names the root itself (``""``, ``"."``, ``"./"``) and
            return ``""`` for it; meant for prefixes and destination folders.

    Returns:
        The normalised relative POSIX path.

    Raises:
        ValidationError: if ``path`` is not a ``str``; is empty (unless ``allow_empty``);
            is absolute; starts with ``~``; has a component that starts with a drive letter
            (``"C:"``); holds a backslash, a NUL or another control character; or has a ``..``
            component anywhere, even one that would stay inside the root such as ``"a/../b"``.

    Example:
        >>> vet_path("./outputs//model.pkl")
        'outputs/model.pkl'
    """
    if not isinstance(path, str):
        raise _refuse(path, f"must be a str, not {type(path).__name__}")
    if any(unicodedata.category(char) == "Cc" for char in path):
        raise _refuse(path, "contains a NUL or another control character")
    if "\\" in path:
        # Refused rather than converted: on Windows it separates folders, so "a\\..\\b" would
        # climb out there while looking like one harmless name here.
        raise _refuse(path, "contains a backslash")
    if path.startswith("/"):
        raise _refuse(path, "is absolute")
    # Checked after "." components are dropped, so "./~" and "./C:" are caught too.
    components = [component for component in path.split("/") if component not in ("", ".")]
    if ".." in components:
        raise _refuse(path, "has a '..' component")
    if any(_DRIVE_LETTER.match(component) for component in components):
        raise _refuse(path, "has a drive letter")
    if components and components[0].startswith("~"):
        raise _refuse(path, "starts with '~' (a home folder)")
    if not components and not allow_empty:
        raise _refuse(path, "is empty (it must name a file or folder below the root)")
    return "/".join(components)


def _is_within(real_root: str, real_path: str) -> bool:
    return os.path.commonpath([real_root, real_path]) == real_root


def safe_local_path(
    root: str | os.PathLike[str], path: str, *, allow_empty: bool = False
) -> pathlib.Path:
    """Join a vetted relative path to a local folder, refusing links that lead outside it.

    The path is vetted by :func:`vet_path`, joined to ``root``, and resolved with
    :func:`os.path.realpath`, which follows every symbolic link among the components that
    exist (the last one included, even when its target is missing). The result must stay inside
    the real ``root``. The check is made when called: a link swapped in afterwards by someone
    who can write inside ``root`` is not seen.

    Args:
        root: the local folder the path must stay in; it need not exist yet.
        path: the relative path from outside.
        allow_empty: let ``path`` name ``root`` itself, as in :func:`vet_path`.

    Returns:
        ``root`` joined with the normalised path, not resolved, so a link inside the root that
        points inside the root keeps its own name.

    Raises:
        ValidationError: if :func:`vet_path` refuses ``path``, or if it leads outside
            ``root`` through a symbolic link.

    Example:
        >>> safe_local_path("/data/workspace", "runs/r1/outputs/model.pkl").as_posix()
        '/data/workspace/runs/r1/outputs/model.pkl'
    """
    relative = vet_path(path, allow_empty=allow_empty)
    joined = pathlib.Path(root).joinpath(*relative.split("/")) if relative else pathlib.Path(root)
    real_root = os.path.realpath(root)
    real_joined = os.path.realpath(joined)
    if not _is_within(real_root, real_joined):
        raise ValidationError(
            f"unsafe artifact path {path!r}: leads outside {os.fspath(root)!r} "
            f"(to {real_joined!r}) through a symbolic link; links must stay inside the root"
        )
    return joined
