"""Whole numbers as SDK v1 code passes them: ints, or strings of digits read from the
environment (``os.environ.get("AML_COMPUTE_CLUSTER_MAX_NODES", 4)``)."""

from __future__ import annotations

import re

from runlab.errors import ValidationError

__all__ = ["whole_number"]

_DIGITS = re.compile(r"[+]?[0-9]+")


def whole_number(value: object, name: str, minimum: int = 0) -> int:
    """``value`` as an int, taking a string of decimal digits (surrounding blanks allowed) as
    the SDK did; never a bool, a float or anything else.

    Raises:
        ValidationError: not a whole number, or below ``minimum``; the message names ``name``.

    Example:
        >>> whole_number(" 2 ", "max_nodes")
        2
    """
    number: int | None = None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    elif isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        number = int(value.strip())
    if number is None or number < minimum:
        raise ValidationError(f"{name} must be a whole number >= {minimum}, not {value!r}")
    return number
