"""A script's command-line arguments: checked at submit time, read as named parameters."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from runlab.errors import ValidationError

__all__ = [
    "DATASET_MARKER",
    "DATA_MARKER",
    "Argument",
    "check_arguments",
    "data_references",
    "dataset_inputs",
    "named_parameters",
]

DATA_MARKER = "$data"
"""The key that marks a data reference among a job spec's arguments."""
DATASET_MARKER = "$dataset"
"""The key that marks a dataset input (``dataset.as_named_input(...)``) among them."""

Argument = str | dict[str, Any]
"""An argument as a job spec keeps it: a string, or ``{DATA_MARKER: reference.to_dict()}``."""


def check_arguments(arguments: Sequence[Any] | None) -> list[Argument]:
    """The arguments as a job spec keeps them: strings, and data references (a datastore's
    ``as_mount()`` or ``as_download()``) as ``{DATA_MARKER: ...}``, made local paths by the
    job entry.

    Raises:
        ValidationError: ``arguments`` is not a list, or an item is not a string, a number or
            a data reference.
    """
    from runlab.data import DataReference
    from runlab.data.consumption import DatasetConsumptionConfig

    if arguments is None:
        return []
    if isinstance(arguments, str | bytes) or not isinstance(arguments, Sequence):
        raise ValidationError(
            f"arguments must be a list such as ['--regularization', 0.8], not {arguments!r}"
        )
    checked: list[Argument] = []
    for index, argument in enumerate(arguments):
        if isinstance(argument, DataReference):
            checked.append({DATA_MARKER: argument.to_dict()})
        elif isinstance(argument, DatasetConsumptionConfig):
            checked.append({DATASET_MARKER: argument.to_dict()})
        elif isinstance(argument, bool) or not isinstance(argument, str | int | float):
            raise ValidationError(
                f"argument {index} ({argument!r}) must be a string, a number or a data"
                f" reference (ds.as_mount()) or a dataset input"
                f" (dataset.as_named_input('x').as_mount()), not {type(argument).__name__}"
            )
        else:
            checked.append(str(argument))
    return checked


def data_references(arguments: Sequence[Argument]) -> list[dict[str, Any]]:
    """The data references among checked arguments, as their ``to_dict()``."""
    return [
        argument[DATA_MARKER]
        for argument in arguments
        if isinstance(argument, dict) and DATA_MARKER in argument
    ]


def dataset_inputs(arguments: Sequence[Argument]) -> list[dict[str, Any]]:
    """The dataset inputs among checked arguments, as their ``to_dict()``.

    Raises:
        ValidationError: two inputs share a name.
    """
    inputs = [
        argument[DATASET_MARKER]
        for argument in arguments
        if isinstance(argument, dict) and DATASET_MARKER in argument
    ]
    names = [item["input_name"] for item in inputs]
    duplicates = sorted({name for name in names if names.count(name) > 1})
    if duplicates:
        raise ValidationError(f"two dataset inputs are named {', '.join(duplicates)}")
    return inputs


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
