"""A trial's script arguments: the sweep's base arguments with the sampled values set."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from runlab.errors import ValidationError

__all__ = ["check_keys_in_script", "format_value", "with_parameters"]


def format_value(value: Any) -> str:
    """A sampled value as a command-line argument (``0.5``, ``3``, ``lbfgs``, ``True``)."""
    return str(value)


def with_parameters(arguments: list[Any], values: Mapping[str, Any]) -> list[Any]:
    """``arguments`` with each ``--key value`` of ``values`` set: the value after a key
    already there is replaced (``--key=old`` too), a missing key is appended with its value.

    Example:
        >>> with_parameters(["--data", "/d", "--reg", "0.8"], {"--reg": 0.5, "--iter": 9})
        ['--data', '/d', '--reg', '0.5', '--iter', '9']
    """
    result = list(arguments)
    for key, value in values.items():
        text = format_value(value)
        for index, argument in enumerate(result):
            if argument == key and index + 1 < len(result):
                result[index + 1] = text
                break
            if isinstance(argument, str) and argument.startswith(key + "="):
                result[index] = f"{key}={text}"
                break
        else:
            result.extend([key, text])
    return result


def check_keys_in_script(script: Path, keys: Iterable[str]) -> None:
    """Refuse a parameter space key the script cannot take: its name (``--reg`` or ``reg``,
    ``-`` and ``_`` alike) must appear in the script's source, as an argparse, click or
    sys.argv script names its arguments.

    Raises:
        ValidationError: a key the script never mentions.
    """
    try:
        source = script.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        raise ValidationError(f"cannot read the script {script}: {error}") from error
    normalized = source.replace("_", "-")
    for key in keys:
        name = key.lstrip("-").replace("_", "-")
        if not re.search(rf"(?<![\w-])-*{re.escape(name)}(?![\w-])", normalized):
            raise ValidationError(
                f"the parameter space's key {key!r} is not an argument of {script.name}: its"
                f" source never mentions {key.lstrip('-')!r}; use the script's own argument"
                " names (e.g. '--regularization')"
            )
