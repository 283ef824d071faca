"""Requirement strings: the strict check every package passes, and requirements files.

runlab checks requirements with its own patterns rather than ``packaging`` (not a declared
dependency), and strictly: a job spec may come from anyone who can submit, and nothing that
could pass for an option or a shell word may reach uv's command line.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from runlab.errors import ValidationError

__all__ = ["absolute_wheel_path", "conda_to_pip", "normalize_requirement", "read_requirements"]

_NAME = r"[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?"
_EXTRAS = rf"\[[ \t]*(?:{_NAME}(?:[ \t]*,[ \t]*{_NAME})*)?[ \t]*\]"
_CLAUSE = r"(?:~=|===|==|!=|<=|>=|<|>)[ \t]*[A-Za-z0-9_.*+!-]+"
_SPECIFIER = rf"{_CLAUSE}(?:[ \t]*,[ \t]*{_CLAUSE})*"
_NAMED = re.compile(
    rf"(?P<name>{_NAME})[ \t]*(?P<extras>{_EXTRAS})?[ \t]*"
    rf"(?:(?P<spec>{_SPECIFIER})|\([ \t]*(?P<pspec>{_SPECIFIER})[ \t]*\))?"
    r"[ \t]*(?:;(?P<marker>.*))?"
)
# A URL or path holds none of the characters a shell (or a careless caller) would treat
# specially: no whitespace, quotes, ``;|&$`<>``.
_URL_CHARS = r"[A-Za-z0-9._~:/?#\[\]@!%+=,-]+"
_NAMED_URL = re.compile(
    rf"(?P<name>{_NAME})[ \t]*(?P<extras>{_EXTRAS})?[ \t]*@[ \t]*"
    rf"(?P<url>(?:https?|file)://{_URL_CHARS})"
)
_WHEEL_PATH = re.compile(rf"(?P<path>(?:/|\./|\.\./){_URL_CHARS}\.whl)")
_WHEEL_URL = re.compile(rf"(?P<url>file://{_URL_CHARS}\.whl)")
_MARKER_VARIABLES = (
    "python_full_version|python_version|os_name|sys_platform|platform_release|"
    "platform_system|platform_version|platform_machine|platform_python_implementation|"
    "implementation_name|implementation_version|extra"
)
_MARKER_TOKEN = re.compile(
    rf"[ \t]*(\(|\)|===|==|!=|<=|>=|~=|<|>|\bnot[ \t]+in\b|\bin\b|\band\b|\bor\b|"
    rf"\b(?:{_MARKER_VARIABLES})\b|'[A-Za-z0-9_.*+!~ -]*'|\"[A-Za-z0-9_.*+!~ -]*\")[ \t]*"
)
# conda's ``name=1.2`` means "1.2 or any 1.2.x": the same as pip's ``name==1.2.*``.
_CONDA_PREFIX_PIN = re.compile(rf"(?P<name>{_NAME})[ \t]*=[ \t]*(?P<version>[A-Za-z0-9_.+!-]+)")


def _canonical_name(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def _canonical_marker(marker: str, requirement: str) -> str:
    tokens: list[str] = []
    position = 0
    while position < len(marker):
        match = _MARKER_TOKEN.match(marker, position)
        if match is None or match.end() == position:
            raise ValidationError(f"package {requirement!r}: cannot read its marker {marker!r}")
        tokens.append(" ".join(match.group(1).split()))
        position = match.end()
    if not tokens:
        raise ValidationError(f"package {requirement!r}: empty marker after ';'")
    return " ".join(tokens)


def normalize_requirement(requirement: object) -> str:
    """Check one requirement and return its canonical form.

    The canonical form lowercases the name (``-``, ``_`` and ``.`` runs become ``-``), sorts
    extras and version clauses and drops spaces, so equal requirements compare equal.

    Args:
        requirement: ``name``, ``name==1.2``, ``name>=1,<2``, ``name[extra]>=1``, any of those
            with a ``; marker``, ``name @ https://...``, or the path (absolute, ``./`` or
            ``../``) or ``file://`` URL of a wheel.

    Returns:
        The canonical requirement string.

    Raises:
        ValidationError: not a string, blank, an option (``-e``, ``--index-url``, ...), or
            anything else that is not such a requirement; the message names it.
    """
    if not isinstance(requirement, str):
        raise ValidationError(f"package {requirement!r} is not a string")
    text = requirement.strip()
    if not text:
        raise ValidationError(f"package {requirement!r} is blank")
    if text.startswith("-"):
        raise ValidationError(
            f"package {requirement!r} is an option, not a requirement: runlab passes only "
            "package names, versions and wheel paths to uv"
        )
    if match := _WHEEL_PATH.fullmatch(text):
        return os.path.normpath(os.path.abspath(match["path"]))
    if match := _WHEEL_URL.fullmatch(text):
        return match["url"]
    if text.endswith(".whl"):
        # Valid as a name, but uv would take it for a file relative to wherever it runs.
        raise ValidationError(
            f"package {requirement!r}: write a wheel as an absolute path or one starting ./"
        )
    if match := _NAMED_URL.fullmatch(text):
        return f"{_canonical_name_and_extras(match)} @ {match['url']}"
    match = _NAMED.fullmatch(text)
    if match is None:
        raise ValidationError(
            f"package {requirement!r} is not a requirement runlab accepts "
            "(e.g. 'name', 'name==1.2', 'name[extra]>=1,<2', or a path to a .whl file)"
        )
    canonical = _canonical_name_and_extras(match)
    specifier = match["spec"] or match["pspec"]
    if specifier:
        canonical += ",".join(sorted("".join(clause.split()) for clause in specifier.split(",")))
    if match["marker"] is not None:
        canonical += "; " + _canonical_marker(match["marker"], requirement)
    return canonical


def _canonical_name_and_extras(match: re.Match[str]) -> str:
    canonical = _canonical_name(match["name"])
    if match["extras"]:
        extras = {_canonical_name(extra) for extra in re.findall(_NAME, match["extras"])}
        canonical += "[" + ",".join(sorted(extras)) + "]"
    return canonical


def conda_to_pip(package: object) -> str:
    """A conda package spec as the canonical pip requirement installed in its place.

    Raises:
        ValidationError: ``python`` itself, or not a requirement.
    """
    if isinstance(package, str):
        if match := _CONDA_PREFIX_PIN.fullmatch(package.strip()):
            package = f"{match['name']}=={match['version']}.*"
        name = re.match(_NAME, package.strip())
        if name and _canonical_name(name[0]) == "python":
            raise ValidationError(
                f"conda package {package!r}: set python_version instead of listing python"
            )
    return normalize_requirement(package)


def absolute_wheel_path(package: str) -> str:
    """The package as given, but a relative wheel path made absolute.

    Raises:
        ValidationError: not a requirement (see :func:`normalize_requirement`).
    """
    canonical = normalize_requirement(package)
    # A spec travels to jobs that run in other folders: pin local paths down now.
    return canonical if _WHEEL_PATH.fullmatch(package.strip()) else package.strip()


def _logical_lines(path: Path) -> list[tuple[int, str]]:
    """The lines of a requirements file, continuations joined, comments and blanks gone."""
    try:
        raw_lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as error:
        raise ValidationError(f"cannot read requirements file {path}: {error}") from error
    lines: list[tuple[int, str]] = []
    pending, start = "", 0
    for number, raw in enumerate(raw_lines, start=1):
        if not pending:
            start = number
        # pip's rule: '#' starts a comment at the line's start or after whitespace.
        line = re.sub(r"(^|\s)#.*$", "", raw).rstrip()
        if line.endswith("\\"):
            pending += line[:-1]
            continue
        line, pending = (pending + line).strip(), ""
        if line:
            lines.append((start, line))
    if pending.strip():
        lines.append((start, pending.strip()))
    return lines


def read_requirements(path: Path, seen: tuple[Path, ...] = ()) -> list[str]:
    """The requirements a pip requirements file lists, includes followed.

    Args:
        path: the file.
        seen: the files including this one, to refuse cycles.

    Raises:
        ValidationError: a line runlab cannot honour, naming the file and line.
    """
    resolved = path.resolve()
    if resolved in seen:
        raise ValidationError(f"requirements file {path} includes itself (through -r)")
    packages: list[str] = []
    for number, line in _logical_lines(path):
        where = f"{path}:{number}"
        include = re.fullmatch(r"(?:-r|--requirement)(?:[ \t]*=?[ \t]*)(\S+)", line)
        if include:
            nested = path.parent / include[1]
            packages += read_requirements(nested, (*seen, resolved))
            continue
        if line.startswith("-") or re.search(r"[ \t]--?[A-Za-z]", line):
            raise ValidationError(
                f"{where}: cannot honour {line!r}: runlab installs plain requirements and "
                "wheel paths only (no -e, -c, index or hash options; set an index for uv "
                "with UV_INDEX_URL or uv's configuration instead)"
            )
        if _WHEEL_PATH.fullmatch(line) and not line.startswith("/"):
            line = str(resolved.parent / line)
        try:
            normalize_requirement(line)
        except ValidationError as error:
            raise ValidationError(f"{where}: {error.message}") from error
        packages.append(line)
    return packages
