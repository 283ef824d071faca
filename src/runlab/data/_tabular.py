"""Reading a tabular dataset's files into an Arrow table (pyarrow, an optional dependency)."""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from runlab.errors import BackendError, ValidationError

__all__ = ["FORMATS", "apply_transforms", "read_table", "require_pyarrow"]

FORMATS = ("delimited", "parquet", "json_lines")


def require_pyarrow() -> Any:
    """The pyarrow module.

    Raises:
        BackendError: it is not installed; the message says how to get it.
    """
    try:
        import pyarrow
    except ImportError as error:
        raise BackendError(
            "tabular datasets need pyarrow: pip install 'runlab[tabular]'"
        ) from error
    return pyarrow


def read_table(paths: Sequence[Path], file_format: Mapping[str, Any]) -> Any:
    """The rows of local files of one format, as one ``pyarrow.Table``.

    Raises:
        ValidationError: a file is not of the format (the message names it).
        BackendError: pyarrow is missing.
    """
    require_pyarrow()
    import pyarrow as pa
    import pyarrow.dataset as pads

    kind = file_format.get("type")
    names = [str(path) for path in paths]
    try:
        if kind == "delimited":
            from pyarrow import csv

            parse = csv.ParseOptions(delimiter=str(file_format.get("separator", ",")))
            read = csv.ReadOptions(autogenerate_column_names=not file_format.get("header", True))
            source_format: Any = pads.CsvFileFormat(parse_options=parse, read_options=read)
            return pads.dataset(names, format=source_format).to_table()
        if kind == "parquet":
            return pads.dataset(names, format="parquet").to_table()
        if kind == "json_lines":
            from pyarrow import json

            tables = [json.read_json(name) for name in names]
            return pa.concat_tables(tables, promote_options="default") if tables else pa.table({})
    except (pa.ArrowInvalid, OSError) as error:
        raise ValidationError(f"cannot read the dataset's {kind} files: {error}") from error
    raise ValidationError(f"unknown tabular format {kind!r}: use one of {FORMATS}")


def _split_mask(rows: int, seed: int, percentage: float, first: bool) -> list[bool]:
    generator = random.Random(seed)
    return [(generator.random() < percentage) == first for _row in range(rows)]


def apply_transforms(table: Any, transforms: Sequence[Mapping[str, Any]]) -> Any:
    """``table`` after each transform in order: take, keep/drop columns, a random split.

    Raises:
        ValidationError: a column that is not there (the message lists those that are).
    """
    import pyarrow as pa

    for transform in transforms:
        if "take" in transform:
            table = table.slice(0, int(transform["take"]))
        elif "skip" in transform:
            table = table.slice(int(transform["skip"]))
        elif "keep_columns" in transform or "drop_columns" in transform:
            wanted = list(transform.get("keep_columns") or transform.get("drop_columns") or [])
            missing = [name for name in wanted if name not in table.column_names]
            if missing:
                raise ValidationError(
                    f"no column {', '.join(map(repr, missing))} in the dataset; its columns"
                    f" are {', '.join(table.column_names)}"
                )
            if "keep_columns" in transform:
                table = table.select(wanted)
            else:
                table = table.drop_columns(wanted)
        elif "split" in transform:
            split = transform["split"]
            mask = _split_mask(
                table.num_rows, int(split["seed"]), float(split["percentage"]), split["first"]
            )
            table = table.filter(pa.array(mask, type=pa.bool_()))
    return table
