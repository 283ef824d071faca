"""What every metadata store interface promises, whatever its concept.

Each concept of the metadata store has its own interface (see :mod:`runlab.store.base`); they
all derive from :class:`BaseStore`, which holds the contract they share and the store's
lifetime (``uri``, ``close``, ``with``).
"""

from __future__ import annotations

import abc
from collections.abc import Sequence
from typing import Self

from runlab.errors import ValidationError

__all__ = ["BaseStore", "str_list"]


class BaseStore(abc.ABC):
    """The part of the contract every store interface shares.

    * **Thread and process safety.** One store object may be used from several threads at
      once, and several processes (and machines, for a server-backed store) may open the same
      store at once. Every method is a single transaction: it is atomic and sees a consistent
      state. Transient contention (SQLite's "database is locked", serialization failures) is
      retried inside the backend and never reaches the caller.
    * **Errors.** Only :mod:`runlab.errors` types are raised: ``NotFoundError`` for something
      that does not exist; ``AlreadyExistsError`` for a duplicate id or name, or an add-only
      value that exists with another value; ``InvalidStateError`` for a change the current
      state does not allow; ``ValidationError`` for malformed arguments; ``BackendError`` for
      anything the storage itself failed at, with the original exception as its
      ``__cause__``. Each interface's methods say which of these they raise.
    """

    @property
    @abc.abstractmethod
    def uri(self) -> str:
        """Where the store lives, with any password masked."""

    def close(self) -> None:  # noqa: B027 - most backends hold nothing to release
        """Release connections. The store must not be used afterwards."""

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def str_list(values: object, what: str) -> list[str]:
    """``values`` as a list of str.

    Raises:
        ValidationError: it is a str itself, or not a sequence of str.
    """
    if isinstance(values, str) or not isinstance(values, Sequence):
        raise ValidationError(f"{what} must be a list of str, not {values!r}")
    if not all(isinstance(value, str) for value in values):
        raise ValidationError(f"{what} must be a list of str, not {values!r}")
    return list(values)
