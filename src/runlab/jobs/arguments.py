"""A script's command-line arguments: checked at submit time, read as named parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runlab.errors import ValidationError

__all__ = ["check_arguments", "named_parameters"]


def check_arguments(arguments: Sequence[Any] | None) -> list[str]:
    """The arguments as strings.

    Raises:
        ValidationError: ``arguments`` is not a list, or an item is not a string or a number.
    """
    if arguments is None:
        return []
    if isinstance(arguments, str | bytes) or not isinstance(arguments, Sequence):
        raise ValidationError(
            f"arguments must be a list such as ['--regularization', 0.8], not {arguments!r}"
        )
    checked = []
    for index, argument in enumerate(arguments):
        if isinstance(argument, bool) or not isinstance(argument, str | int | float):
            raise ValidationError(
                f"argument {index} ({argument!r}) must be a string or a number, not"
                f" {type(argument).__name__}"
            )
        checked.append(str(argument))
    return checked


def named_parameters(arguments: Sequence[str]) -> dict[str, str]:
    """The ``--name value`` and ``--name=value`` pairs among ``arguments``.

    Example:
        >>> named_parameters(["--data-folder", "/d", "--regularization=0.8", "-v"])
        {'data-folder': '/d', 'regularization': '0.8'}
    """
    parameters: dict[str, str] = {}
    index = 0
    while index < len(arguments):
        argument = arguments[index]
        if argument.startswith("--") and len(argument) > 2:
            name, equals, value = argument[2:].partition("=")
            if equals:
                parameters[name] = value
            elif index + 1 < len(arguments) and not arguments[index + 1].startswith("--"):
                parameters[name] = arguments[index + 1]
                index += 1
        index += 1
    return parameters
