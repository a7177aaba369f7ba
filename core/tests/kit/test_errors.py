"""The error-mapping helpers: statuses to sapwood's error types, and no secret in a message."""

from __future__ import annotations

import pytest

from sapwood.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.kit.errors import (
    WriteKind,
    error_for_status,
    is_retryable_status,
    redact,
    short_reason,
    unreachable_endpoint,
)

WHAT = "get 'k' at https://storage.example"


@pytest.mark.parametrize(
    ("status", "write", "kind"),
    [
        (404, "other", NotFoundError),
        (412, "create", AlreadyExistsError),
        (409, "create", AlreadyExistsError),
        (412, "update", PreconditionFailedError),
        (409, "other", PreconditionFailedError),
        (401, "other", PermissionDeniedError),
        (403, "update", PermissionDeniedError),
        (400, "other", StorageError),
    ],
)
def test_statuses_map_to_sapwood_types(status: int, write: WriteKind, kind: type) -> None:
    error = error_for_status(status, WHAT, key="k", write=write)
    assert type(error) is kind
    assert error.key == "k"
    assert not error.retryable
    assert "https://storage.example" in str(error)
    assert "'k'" in str(error)


@pytest.mark.parametrize("status", [408, 429, 500, 502, 503, 504, 599])
def test_throttling_timeouts_and_server_errors_are_retryable(status: int) -> None:
    error = error_for_status(status, WHAT, key="k")
    assert type(error) is StorageError
    assert error.retryable
    assert f"HTTP {status}" in str(error)
    assert is_retryable_status(status)


@pytest.mark.parametrize("status", [None, 200, 400, 404, 412])
def test_other_statuses_are_not_retryable(status: int | None) -> None:
    assert not is_retryable_status(status)


SECRET = "c2VjcmV0LWtleS1tYXRlcmlhbA"


@pytest.mark.parametrize(
    "text",
    [
        f"https://acct.blob.core.windows.net/c/k?sv=2024&sig={SECRET}&se=1",
        f"DefaultEndpointsProtocol=https;AccountName=a;AccountKey={SECRET};",
        f"Authorization: Bearer {SECRET}",
        f"https://b.s3.amazonaws.com/k?X-Amz-Signature={SECRET}",
        f"https://storage.googleapis.com/b/k?X-Goog-Signature={SECRET}&x=1",
    ],
)
def test_secrets_are_masked(text: str) -> None:
    masked = redact(text)
    assert SECRET not in masked
    assert "***" in masked
    error = error_for_status(403, WHAT, key="k", detail=text)
    assert SECRET not in str(error)
    assert SECRET not in short_reason(RuntimeError(text + "\nsecond line"))


def test_short_reason_keeps_the_first_line_short() -> None:
    reason = short_reason(ValueError("x" * 1000 + "\nmore"))
    assert reason.startswith("ValueError: x")
    assert len(reason) < 400
    assert "more" not in reason
    assert short_reason(TimeoutError()) == "TimeoutError"


def test_an_unreachable_endpoint_is_named_and_retryable() -> None:
    cause = ConnectionRefusedError(f"connect to https://h/k?sig={SECRET} refused")
    error = unreachable_endpoint(
        "get 'k'", service="Svc", endpoint="https://h:9", exc=cause, key="k"
    )
    assert type(error) is StorageError
    assert error.retryable
    assert error.key == "k"
    assert "cannot reach the Svc endpoint https://h:9" in str(error)
    assert "ConnectionRefusedError" in str(error)
    assert SECRET not in str(error)
