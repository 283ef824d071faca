"""The run filter language: MLflow's search grammar, parsed into plain clauses.

One language filters runs everywhere: MLflow's ``search_runs``, ``experiment.get_runs(filter=
...)``, ``runlab run list --filter`` and the web UI. A filter is comparisons joined by ``AND``::

    params.lr = '0.1' AND metrics.accuracy > 0.9 AND tags.team != 'x'
    attributes.status = 'FINISHED' AND attributes.start_time > 1700000000000
    run_name LIKE '%sweep%' AND params.optimizer IN ('adam', 'sgd')

An identifier is ``metrics.<name>``, ``params.<name>``, ``tags.<name>`` or an attribute
(``attributes.<name>``, or the bare name): ``run_id``, ``run_name``, ``status``,
``start_time``, ``end_time``, ``created_time``, ``number``, ``target``. A name with other
characters is quoted in backticks or double quotes (``tags.`mlflow.runName```). Strings are
in single or double quotes; numbers are bare. Operators: ``= != < <= > >=`` (metrics, times,
numbers), ``= != LIKE ILIKE IN NOT IN`` (strings). An order is ``key [ASC|DESC]`` with the
same keys. Times are integer milliseconds since the epoch, as MLflow writes them.

The store (:mod:`runlab.store.sql.run_query`) turns the clauses into SQL. A filter that does
not parse raises :class:`~runlab.errors.ValidationError` naming the position.
"""

from __future__ import annotations

import dataclasses
import re
from typing import Literal

from runlab.entities import RunStatus
from runlab.errors import ValidationError

__all__ = [
    "ATTRIBUTES",
    "MLFLOW_STATUSES",
    "Comparison",
    "OrderKey",
    "mlflow_status",
    "parse_filter",
    "parse_order",
    "statuses_named",
]

MLFLOW_STATUSES: dict[str, tuple[RunStatus, ...]] = {
    "SCHEDULED": (RunStatus.NOT_STARTED, RunStatus.QUEUED, RunStatus.PREPARING, RunStatus.STARTING),
    "RUNNING": (RunStatus.RUNNING, RunStatus.FINALIZING),
    "FINISHED": (RunStatus.COMPLETED,),
    "FAILED": (RunStatus.FAILED,),
    "KILLED": (RunStatus.CANCELED,),
}
"""MLflow's run statuses and the runlab states each stands for."""


def mlflow_status(status: RunStatus) -> str:
    """The MLflow status of a runlab state (``Completed`` -> ``FINISHED``)."""
    return next(name for name, states in MLFLOW_STATUSES.items() if status in states)


def statuses_named(name: str) -> tuple[RunStatus, ...]:
    """The runlab states an MLflow status (``FINISHED``) or a runlab state (``Completed``)
    names, case-insensitively.

    Raises:
        ValidationError: it names none.
    """
    found = MLFLOW_STATUSES.get(name.upper())
    return found if found is not None else (RunStatus.parse(name),)


Kind = Literal["metric", "param", "tag", "attribute"]

NUMERIC_ATTRIBUTES = frozenset({"start_time", "end_time", "created_time", "number"})
STRING_ATTRIBUTES = frozenset({"run_id", "run_name", "status", "target", "user_id"})
ATTRIBUTES = NUMERIC_ATTRIBUTES | STRING_ATTRIBUTES
"""The attributes a filter or an order may name."""
_ATTRIBUTE_ALIASES = {"run_uuid": "run_id", "display_name": "run_name", "created": "created_time"}
_PREFIXES: dict[str, Kind] = {
    "metric": "metric",
    "metrics": "metric",
    "param": "param",
    "params": "param",
    "parameter": "param",
    "parameters": "param",
    "tag": "tag",
    "tags": "tag",
    "attribute": "attribute",
    "attributes": "attribute",
    "attr": "attribute",
    "run": "attribute",
}
_NUMBER_OPERATORS = frozenset({"=", "!=", "<", "<=", ">", ">="})
_STRING_OPERATORS = frozenset({"=", "!=", "LIKE", "ILIKE", "IN", "NOT IN"})

_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<string>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<backtick>`[^`]*`)
  | (?P<number>[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?(?![\w.]))
  | (?P<operator><=|>=|!=|<>|==|=|<|>)
  | (?P<punct>[(),.])
  | (?P<word>[A-Za-z_][\w\-]*)
    """,
    re.VERBOSE,
)


@dataclasses.dataclass(frozen=True)
class Comparison:
    """One clause of a filter: ``<kind>.<key> <operator> <value>``.

    Attributes:
        kind: ``metric``, ``param``, ``tag`` or ``attribute``.
        key: the metric's, parameter's or tag's name, or the attribute.
        operator: ``=``, ``!=``, ``<``, ``<=``, ``>``, ``>=``, ``LIKE``, ``ILIKE``, ``IN`` or
            ``NOT IN``.
        value: a float for numbers, a str, or a tuple of str for ``IN``.
    """

    kind: Kind
    key: str
    operator: str
    value: float | str | tuple[str, ...]


@dataclasses.dataclass(frozen=True)
class OrderKey:
    """One key of an order: ``<kind>.<key> [ASC|DESC]``."""

    kind: Kind
    key: str
    descending: bool


@dataclasses.dataclass(frozen=True)
class _Token:
    kind: str
    text: str
    position: int


def _error(text: str, position: int, problem: str) -> ValidationError:
    shown = text if len(text) <= 120 else text[:117] + "..."
    return ValidationError(
        f"bad run filter at position {position + 1}: {problem}\n  {shown}\n  {' ' * position}^"
    )


def _tokens(text: str) -> list[_Token]:
    found: list[_Token] = []
    position = 0
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None:
            raise _error(text, position, f"unexpected character {text[position]!r}")
        kind = match.lastgroup or ""
        if kind != "space":
            found.append(_Token(kind, match.group(), position))
        position = match.end()
    return found


class _Parser:
    def __init__(self, text: str) -> None:
        self.text = text
        self.tokens = _tokens(text)
        self.index = 0

    def peek(self) -> _Token | None:
        return self.tokens[self.index] if self.index < len(self.tokens) else None

    def take(self) -> _Token:
        token = self.peek()
        if token is None:
            raise _error(self.text, len(self.text), "the filter ends too early")
        self.index += 1
        return token

    def is_word(self, token: _Token | None, word: str) -> bool:
        return token is not None and token.kind == "word" and token.text.upper() == word

    def name(self, token: _Token) -> str:
        if token.kind == "backtick":
            return token.text[1:-1]
        if token.kind == "string":
            return _unquote(token.text)
        if token.kind in ("word", "number"):
            return token.text
        raise _error(self.text, token.position, f"expected a name, found {token.text!r}")

    def identifier(self) -> tuple[Kind, str, int]:
        first = self.take()
        start = first.position
        prefix = first.text.lower() if first.kind == "word" else None
        after = self.peek()
        if prefix in _PREFIXES and after is not None and after.text == ".":
            self.index += 1
            kind = _PREFIXES[prefix]
            key = self.name(self.take())
            # An unquoted key may hold dots (``metrics.val.loss``).
            while kind != "attribute" and (dot := self.peek()) is not None and dot.text == ".":
                if self.tokens[self.index - 1].kind == "backtick":
                    break
                self.index += 1
                key += "." + self.name(self.take())
        elif first.kind == "word":
            kind, key = "attribute", first.text
        else:
            raise _error(
                self.text,
                start,
                f"expected metrics.NAME, params.NAME, tags.NAME or an attribute,"
                f" found {first.text!r}",
            )
        if kind == "attribute":
            key = _ATTRIBUTE_ALIASES.get(key.lower(), key.lower())
            if key not in ATTRIBUTES:
                raise _error(
                    self.text,
                    start,
                    f"unknown attribute {key!r}; use one of {', '.join(sorted(ATTRIBUTES))},"
                    " or metrics., params., tags.",
                )
        return kind, key, start

    def operator(self) -> tuple[str, int]:
        token = self.take()
        if token.kind == "operator":
            return {"==": "=", "<>": "!="}.get(token.text, token.text), token.position
        word = token.text.upper() if token.kind == "word" else ""
        if word in ("LIKE", "ILIKE", "IN"):
            return word, token.position
        if word == "NOT" and self.is_word(self.peek(), "IN"):
            self.index += 1
            return "NOT IN", token.position
        raise _error(self.text, token.position, f"expected an operator, found {token.text!r}")

    def value(self, operator: str, numeric: bool) -> float | str | tuple[str, ...]:
        if operator in ("IN", "NOT IN"):
            return self.value_list()
        token = self.take()
        if numeric:
            if token.kind != "number":
                raise _error(self.text, token.position, f"expected a number, found {token.text!r}")
            return float(token.text)
        if token.kind != "string":
            raise _error(
                self.text, token.position, f"expected a quoted string, found {token.text!r}"
            )
        return _unquote(token.text)

    def value_list(self) -> tuple[str, ...]:
        opening = self.take()
        if opening.text != "(":
            raise _error(self.text, opening.position, "expected '(' after IN")
        values: list[str] = []
        while True:
            token = self.take()
            if token.kind not in ("string", "number"):
                raise _error(self.text, token.position, f"expected a value, found {token.text!r}")
            values.append(_unquote(token.text) if token.kind == "string" else token.text)
            closing = self.take()
            if closing.text == ")":
                return tuple(values)
            if closing.text != ",":
                raise _error(self.text, closing.position, "expected ',' or ')' in the list")

    def comparison(self) -> Comparison:
        kind, key, _start = self.identifier()
        operator, at = self.operator()
        numeric = kind == "metric" or (kind == "attribute" and key in NUMERIC_ATTRIBUTES)
        allowed = _NUMBER_OPERATORS if numeric else _STRING_OPERATORS
        if operator not in allowed:
            what = f"{kind} {key!r}" if kind != "attribute" else f"attribute {key!r}"
            raise _error(
                self.text,
                at,
                f"{operator} does not apply to {what}; use {', '.join(sorted(allowed))}",
            )
        return Comparison(kind, key, operator, self.value(operator, numeric))


def _unquote(text: str) -> str:
    body = text[1:-1]
    return re.sub(r"\\(.)", r"\1", body)


def parse_filter(text: str | None) -> list[Comparison]:
    """The clauses of a filter (all must hold); none for an empty or blank filter.

    Raises:
        ValidationError: the filter does not parse; the message names the position.

    Example:
        >>> parse_filter("params.lr = '0.1' and metrics.acc > 0.9")[1]
        Comparison(kind='metric', key='acc', operator='>', value=0.9)
    """
    if text is None or not text.strip():
        return []
    parser = _Parser(text)
    clauses = [parser.comparison()]
    while (token := parser.peek()) is not None:
        if not parser.is_word(token, "AND"):
            raise _error(text, token.position, f"expected AND, found {token.text!r}")
        parser.index += 1
        clauses.append(parser.comparison())
    return clauses


def parse_order(clauses: str | list[str] | tuple[str, ...] | None) -> list[OrderKey]:
    """The keys of an order: ``"metrics.acc DESC"``, ``["params.lr", "start_time ASC"]``
    (a comma-separated string or a list); ascending unless said.

    Raises:
        ValidationError: a key does not parse; the message names the position.
    """
    if clauses is None:
        return []
    items = clauses.split(",") if isinstance(clauses, str) else list(clauses)
    keys: list[OrderKey] = []
    for item in items:
        if not item.strip():
            continue
        parser = _Parser(item)
        kind, key, _start = parser.identifier()
        descending = False
        token = parser.peek()
        if token is not None:
            direction = token.text.upper()
            if direction not in ("ASC", "DESC"):
                raise _error(item, token.position, f"expected ASC or DESC, found {token.text!r}")
            descending = direction == "DESC"
            parser.index += 1
            if (extra := parser.peek()) is not None:
                raise _error(item, extra.position, f"unexpected {extra.text!r} after the order")
        keys.append(OrderKey(kind, key, descending))
    return keys
