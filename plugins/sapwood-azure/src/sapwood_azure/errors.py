"""Turning Azure SDK exceptions into sapwood's storage errors.

Messages name the operation, the key, the container and the endpoint, and say what to
do; they never carry a secret (the SDK's own text is left out where it could echo a
signature, and anything that looks like a SAS signature is masked).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from azure.core.exceptions import (
    AzureError,
    ClientAuthenticationError,
    HttpResponseError,
    ResourceExistsError,
    ResourceModifiedError,
    ResourceNotFoundError,
    ServiceRequestError,
    ServiceResponseError,
)

from sapwood.errors import (
    AlreadyExistsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    StorageError,
)
from sapwood.kit.errors import is_retryable_status, redact, unreachable_endpoint

__all__ = ["Intent", "Where", "error_code", "map_azure_error", "redact", "status_code"]

Intent: TypeAlias = Literal["read", "write", "create", "update", "delete", "list", "presign"]
"""What the failed request was doing; a 412 means different things to each."""

_RETRYABLE_CODES = {"ServerBusy", "OperationTimedOut", "InternalError"}
_AUTH_CODES = {
    "AuthenticationFailed",
    "AuthorizationFailure",
    "AuthorizationPermissionMismatch",
    "AuthorizationResourceTypeMismatch",
    "AuthorizationServiceMismatch",
    "AuthorizationProtocolMismatch",
    "AuthorizationSourceIPMismatch",
    "InsufficientAccountPermissions",
    "InvalidAuthenticationInfo",
    "NoAuthenticationInformation",
    "PublicAccessNotPermitted",
}


@dataclass(frozen=True)
class Where:
    """The place a request went to, for error messages."""

    container: str
    endpoint: str


def status_code(exc: BaseException) -> int | None:
    """The HTTP status of an SDK error, if it got an answer."""
    status = getattr(exc, "status_code", None)
    return status if isinstance(status, int) else None


def error_code(exc: BaseException) -> str | None:
    """Azure's ``x-ms-error-code`` (``BlobNotFound``, ``ConditionNotMet``...), if any."""
    code = getattr(exc, "error_code", None)
    if code is None:
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        if headers is not None:
            code = headers.get("x-ms-error-code")
    if code is None:
        return None
    value = getattr(code, "value", code)
    return str(value)


def map_azure_error(
    exc: BaseException, *, intent: Intent, key: str | None, where: Where
) -> StorageError:
    """The sapwood error for an Azure SDK failure of a request doing ``intent`` on ``key``."""
    container = f"container {where.container!r}"
    target = f"{key!r} in {container}" if key else container
    at = f"at {where.endpoint}"
    code = error_code(exc)
    status = status_code(exc)
    detail = f"HTTP {status}, {code}" if status else (code or type(exc).__name__)

    if isinstance(exc, ServiceRequestError | ServiceResponseError) and status is None:
        reason = redact(str(exc).splitlines()[0] if str(exc) else type(exc).__name__)
        if "not permitted for non-TLS" in reason:
            return PermissionDeniedError(
                f"OAuth bearer tokens are only sent over https; {where.endpoint} is plain "
                "HTTP: use an https endpoint, an account key or a SAS token",
                key=key,
            )
        return unreachable_endpoint(
            f"Azure Blob request ({intent}) on {target}",
            service="Azure Blob",
            endpoint=where.endpoint,
            exc=exc,
            key=key,
        )
    if code == "ContainerNotFound":
        return StorageError(
            f"container {where.container!r} does not exist {at}; create it (az storage "
            "container create) or fix the bucket in the store URL",
            key=key,
        )
    if code == "InvalidRange" or status == 416:
        return StorageError(f"invalid byte range for {target} {at}", key=key)
    if isinstance(exc, ClientAuthenticationError) or status in (401, 403) or code in _AUTH_CODES:
        if status is None and "base64" in str(exc).lower():
            return PermissionDeniedError(
                f"the account key for {where.endpoint} is not valid base64; pass the storage "
                "account key as secret_access_key",
                key=key,
            )
        return PermissionDeniedError(
            f"access to {target} {at} was denied ({detail}); check the account name and key, "
            "or that the SAS token or OAuth identity grants this operation and has not expired",
            key=key,
        )
    if (isinstance(exc, ResourceExistsError) or code == "BlobAlreadyExists") and intent in (
        "create",
        "write",
        "update",
    ):
        return AlreadyExistsError(f"{target} already exists {at}", key=key)
    if isinstance(exc, ResourceModifiedError) or status == 412 or code == "ConditionNotMet":
        if intent == "create":
            return AlreadyExistsError(f"{target} already exists {at}", key=key)
        if intent == "update":
            return PreconditionFailedError(
                f"{target} changed since its etag was read {at}; read it again and retry",
                key=key,
            )
        return StorageError(
            f"{target} changed while it was being read {at}; try again", retryable=True, key=key
        )
    if isinstance(exc, ResourceNotFoundError) or status == 404:
        return NotFoundError(f"no object {target} {at}", key=key)
    if code == "InvalidMetadata" or code == "MetadataTooLarge":
        return StorageError(
            f"Azure refused the metadata of {target} ({detail}): keys must be identifiers "
            "and all metadata must fit in 8 KiB",
            key=key,
        )
    retryable = is_retryable_status(status) or code in _RETRYABLE_CODES
    if isinstance(exc, HttpResponseError | AzureError):
        return StorageError(
            f"Azure Blob request ({intent}) on {target} {at} failed ({detail})",
            retryable=retryable,
            key=key,
        )
    return StorageError(
        f"Azure Blob request ({intent}) on {target} {at} failed: {type(exc).__name__}: "
        f"{redact(str(exc))}",
        retryable=isinstance(exc, TimeoutError | ConnectionError),
        key=key,
    )
