"""Looking at a run's files in the browser without running anything they hold.

A preview reads at most :data:`PREVIEW_BYTES` of a file with a ranged read (the head, or the
tail of a log), whatever the file's size, and shows it as:

* an image (PNG, JPEG, GIF, WebP only: types a browser never runs), served with its image
  type, ``nosniff`` and a sandboxing policy;
* a table (CSV, TSV: the first :data:`PREVIEW_ROWS` rows);
* text: JSON (indented when whole), YAML, logs, source, and everything scriptable (HTML, SVG,
  JavaScript, XML...), which is shown as escaped text and otherwise only downloaded;
* nothing, for binary files (a download link only).
"""

from __future__ import annotations

import csv
import dataclasses
import io
import json
import posixpath
from typing import Any

from runlab.artifacts import ArtifactStore

__all__ = [
    "IMAGE_TYPES",
    "PREVIEW_BYTES",
    "PREVIEW_ROWS",
    "Preview",
    "image_type",
    "preview",
]

PREVIEW_BYTES = 256 * 1024
"""The most bytes of a file a preview reads."""
PREVIEW_ROWS = 200
"""The most rows of a CSV file a preview shows."""

IMAGE_TYPES = {
    ".png": "image/png",
    ".jpg": "image/jpeg",
    ".jpeg": "image/jpeg",
    ".gif": "image/gif",
    ".webp": "image/webp",
}
"""The images shown inline, by suffix: raster types only (an SVG can hold a script)."""

_TABLE_DELIMITERS = {".csv": ",", ".tsv": "\t"}
_TAIL_FIRST = {".log", ".out", ".err"}


def image_type(name: str) -> str | None:
    """The media type ``name`` is served inline with, or None: not an inline image."""
    return IMAGE_TYPES.get(posixpath.splitext(name)[1].lower())


@dataclasses.dataclass(frozen=True)
class Preview:
    """What the preview page shows of one file.

    Attributes:
        name: the run's file name.
        kind: ``image``, ``table``, ``text`` or ``binary``.
        size: the file's size in bytes.
        text: the text shown (``text``), or ``""``.
        rows: the table's rows (``table``), the first one its header.
        partial: only part of the file is shown; ``where`` says which (``head`` or ``tail``).
        where: ``head`` or ``tail``.
        language: a hint for the text: ``json``, ``yaml``, ``log`` or ``text``.
    """

    name: str
    kind: str
    size: int
    text: str = ""
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    partial: bool = False
    where: str = "head"
    language: str = "text"


def _language(suffix: str) -> str:
    if suffix == ".json":
        return "json"
    if suffix in {".yaml", ".yml"}:
        return "yaml"
    if suffix in _TAIL_FIRST:
        return "log"
    return "text"


def _table(text: str, delimiter: str, partial: bool) -> list[list[str]]:
    lines = text.splitlines()
    if partial and lines:
        lines = lines[:-1]  # the last line may be cut
    rows: list[list[str]] = []
    for row in csv.reader(io.StringIO("\n".join(lines)), delimiter=delimiter):
        rows.append(row)
        if len(rows) > PREVIEW_ROWS + 1:  # the header, the rows shown, one more
            break
    return rows


def _pretty_json(text: str) -> str:
    try:
        value: Any = json.loads(text)
    except ValueError:
        return text
    return json.dumps(value, indent=2, ensure_ascii=False)


def preview(artifacts: ArtifactStore, key: str, name: str) -> Preview:
    """The preview of the run's file ``name`` at ``key``, read with one ranged read.

    Raises:
        NotFoundError: there is no such file.
    """
    size = artifacts.size(key)
    suffix = posixpath.splitext(name)[1].lower()
    if image_type(name) is not None:
        return Preview(name, "image", size)
    partial = size > PREVIEW_BYTES
    where = "tail" if partial and suffix in _TAIL_FIRST else "head"
    start = size - PREVIEW_BYTES if where == "tail" else 0
    data = artifacts.get_bytes(key, start, start + PREVIEW_BYTES)
    if b"\x00" in data[:8192]:
        return Preview(name, "binary", size)
    text = data.decode("utf-8", errors="replace")
    if where == "tail" and "\n" in text:
        text = text[text.index("\n") + 1 :]  # from the first whole line
    if suffix in _TABLE_DELIMITERS:
        rows = _table(text, _TABLE_DELIMITERS[suffix], partial)
        cut = partial or len(rows) > PREVIEW_ROWS + 1
        return Preview(name, "table", size, rows=rows[: PREVIEW_ROWS + 1], partial=cut)
    language = _language(suffix)
    if language == "json" and not partial:
        text = _pretty_json(text)
    return Preview(name, "text", size, text=text, partial=partial, where=where, language=language)
