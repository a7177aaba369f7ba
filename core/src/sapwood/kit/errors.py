"""Helpers for turning a service's answers into sapwood's storage errors.

A backend maps what its SDK raised to one of :class:`~sapwood.errors.NotFoundError`,
:class:`~sapwood.errors.AlreadyExistsError`, :class:`~sapwood.errors.PreconditionFailedError`,
:class:`~sapwood.errors.PermissionDeniedError` or :class:`~sapwood.errors.StorageError` with
``retryable`` set. :func:`error_for_status` does it for an HTTP status; :func:`redact` and
:func:`short_reason` keep an SDK's text short and free of secrets (signatures, keys and
tokens are masked), so messages can name the endpoint and the key safely.
"""

from __future__ import annotations

import re
from typing import Literal, TypeAlias

from sapwood.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
)

__all__ = [
    "RETRYABLE_STATUS",
    "WriteKind",
    "error_for_status",
    "is_retryable_status",
    "redact",
    "short_reason",
    "unreachable_endpoint",
]

RETRYABLE_STATUS = frozenset({408, 429, 500, 502, 503, 504})
"""Statuses after which the same request may succeed: timeouts, throttling, server errors."""

WriteKind: TypeAlias = Literal["create", "update", "other"]
"""What a failed request was: a create-only write, a compare-and-swap, or anything else.
A 409 or 412 means "the key exists" to the first and "the etag moved" to the second."""

_SECRETISH = re.compile(
    r"(sig=|signature=|AccountKey=|SharedAccessSignature=|X-Amz-Signature=|"
    r"X-Amz-Security-Token=|X-Goog-Signature=|access_token=|Bearer\s+)[^&;\s'\"]+",
    re.IGNORECASE,
)
_REASON_CHARS = 300


def redact(text: str) -> str:
    """``text`` with signatures, account keys and bearer tokens replaced by ``***``."""
    return _SECRETISH.sub(lambda match: f"{match.group(1)}***", text)


def short_reason(exc: BaseException) -> str:
    """``"TypeName: first line"`` of an exception, shortened and redacted."""
    text = str(exc).split("\n", 1)[0][:_REASON_CHARS]
    return f"{type(exc).__name__}: {redact(text)}" if text else type(exc).__name__


def is_retryable_status(status: int | None) -> bool:
    """True for throttling, timeouts and server errors (408, 429 and every 5xx)."""
    return status is not None and (status in RETRYABLE_STATUS or status >= 500)


def error_for_status(
    status: int,
    what: str,
    *,
    key: str | None = None,
    write: WriteKind = "other",
    detail: str = "",
) -> StorageError:
    """The sapwood error for an HTTP ``status`` answered to ``what`` (``"get 'k' at URL"``).

    404 is NotFoundError; 409 and 412 are AlreadyExistsError for a create and
    PreconditionFailedError otherwise; 401 and 403 are PermissionDeniedError; 408, 429 and
    5xx are retryable StorageErrors; anything else a plain StorageError. ``detail`` (the
    service's error code, say) is appended in parentheses, redacted.
    """
    note = f" ({redact(detail)})" if detail else ""
    if status == 404:
        return NotFoundError(f"{what}: not found{note}", key=key)
    if status in (409, 412):
        if write == "create":
            return AlreadyExistsError(f"{what}: the key already exists{note}", key=key)
        return PreconditionFailedError(
            f"{what}: the object changed since its etag was read{note}; read it again and retry",
            key=key,
        )
    if status in (401, 403):
        return PermissionDeniedError(
            f"{what}: access denied (HTTP {status}){note}; the credentials in use may not do "
            "this, or have expired",
            key=key,
        )
    retryable = is_retryable_status(status)
    return StorageError(
        f"{what}: the service answered HTTP {status}{note}", retryable=retryable, key=key
    )


def unreachable_endpoint(
    what: str, *, service: str, endpoint: str, exc: BaseException, key: str | None = None
) -> StorageError:
    """The retryable StorageError for a request that got no answer: the SDK's connection or
    timeout exception ``exc`` (a backend lists its SDK's classes for these) while doing
    ``what``. Names the endpoint, so a wrong ``endpoint_url`` is easy to spot."""
    return StorageError(
        f"{what}: cannot reach the {service} endpoint {endpoint} ({short_reason(exc)}); check "
        "endpoint_url and that the service is reachable",
        retryable=True,
        key=key,
    )
