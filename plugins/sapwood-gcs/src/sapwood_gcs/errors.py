"""Mapping google-cloud-storage, google-auth and requests failures to sapwood's errors.

Every message names the object (``gs://bucket/key``) or the endpoint and says what to do;
none carries a token (the SDK's messages hold the URL and the response body, never the
request's headers).
"""

from __future__ import annotations

import requests
from google.api_core import exceptions as api
from google.auth import exceptions as auth_errors
from google.cloud.storage.exceptions import DataCorruption, InvalidResponse

from sapwood.errors import (
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    SapwoodError,
    StorageError,
)
from sapwood.kit.errors import RETRYABLE_STATUS, short_reason, unreachable_endpoint

__all__ = ["RETRYABLE_STATUS", "map_error", "status_of"]


def status_of(exc: BaseException) -> int | None:
    """The HTTP status an SDK error carries, if any."""
    if isinstance(exc, api.GoogleAPICallError):
        code = exc.code
        return int(code) if isinstance(code, int) else None
    if isinstance(exc, InvalidResponse):
        response = exc.response
        status = getattr(response, "status_code", None)
        return status if isinstance(status, int) else None
    return None


def map_error(
    exc: BaseException, *, what: str, key: str | None, endpoint: str, auth_source: str
) -> SapwoodError:
    """The sapwood error for ``exc``, raised while doing ``what`` (``"reading gs://b/k"``).

    404 and 412 are mapped by the caller, which knows whether a create, an update or a read
    was meant; here they become a plain NotFoundError / StorageError.
    """
    if isinstance(exc, SapwoodError):
        return exc
    status = status_of(exc)
    if status == 404:
        return NotFoundError(f"{what}: not found", key=key)
    if status in (401, 403):
        return PermissionDeniedError(
            f"{what}: access denied ({status}) for {auth_source}; grant the identity "
            f"storage access to the bucket or use other credentials ({short_reason(exc)})",
            key=key,
        )
    if status is not None:
        return StorageError(
            f"{what}: GCS answered {status} ({short_reason(exc)})",
            retryable=status in RETRYABLE_STATUS,
            key=key,
        )
    if isinstance(exc, auth_errors.RefreshError):
        return CredentialsError(f"{what}: refreshing {auth_source} failed: {short_reason(exc)}")
    if isinstance(exc, auth_errors.DefaultCredentialsError):
        return CredentialsError(f"{what}: {short_reason(exc)}")
    if isinstance(exc, requests.Timeout | auth_errors.TransportError | requests.ConnectionError):
        return unreachable_endpoint(what, service="GCS", endpoint=endpoint, exc=exc, key=key)
    if isinstance(exc, requests.RequestException | DataCorruption | ConnectionError):
        return StorageError(
            f"{what}: transfer failed ({short_reason(exc)})", retryable=True, key=key
        )
    return StorageError(f"{what}: {short_reason(exc)}", key=key)
