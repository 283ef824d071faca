"""The settings of retrying: the retry horizon and the HTTP timeout, read from the
environment, and refused with a clear error when they are not numbers of seconds."""

from __future__ import annotations

import pytest

from runlab.errors import BackendError, ValidationError
from runlab.store._http import TIMEOUT_ENV, http_timeout
from runlab.tracking.buffer import (
    RETRY_HORIZON_ENV,
    RETRY_HORIZON_S,
    retry_horizon_s,
    retrying_backend,
)


def test_the_retry_horizon_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(RETRY_HORIZON_ENV, raising=False)
    assert retry_horizon_s() == RETRY_HORIZON_S
    monkeypatch.setenv(RETRY_HORIZON_ENV, "2.5")
    assert retry_horizon_s() == 2.5
    for bad in ("soon", "-1", "nan"):
        monkeypatch.setenv(RETRY_HORIZON_ENV, bad)
        with pytest.raises(ValidationError, match=RETRY_HORIZON_ENV):
            retry_horizon_s()


def test_the_http_timeout_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TIMEOUT_ENV, raising=False)
    assert http_timeout(60.0) == 60.0
    monkeypatch.setenv(TIMEOUT_ENV, "3")
    assert http_timeout(60.0) == 3.0
    for bad in ("0", "x", "inf"):
        monkeypatch.setenv(TIMEOUT_ENV, bad)
        with pytest.raises(ValidationError, match=TIMEOUT_ENV):
            http_timeout(60.0)


def test_a_backend_error_is_retried_until_it_passes_or_the_horizon_ends() -> None:
    calls: list[int] = []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise BackendError("the store is away")
        return "stored"

    assert retrying_backend(flaky, what="store", horizon_s=30) == "stored"
    assert len(calls) == 3

    def always_away() -> None:
        raise BackendError("still away")

    with pytest.raises(BackendError, match="still away"):
        retrying_backend(always_away, what="store", horizon_s=0.5)

    def refused() -> None:
        calls.append(1)
        raise ValidationError("bad input is never retried")

    calls.clear()
    with pytest.raises(ValidationError):
        retrying_backend(refused, what="store", horizon_s=30)
    assert len(calls) == 1
