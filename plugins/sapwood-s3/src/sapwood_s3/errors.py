"""Turning botocore's exceptions into sapwood's error types, with messages that say what to do.

Only the error code, the HTTP status and sapwood's own context (operation, key, bucket,
endpoint) go into a message: never a request's headers, which carry signatures.
"""

from __future__ import annotations

from botocore.exceptions import (
    BotoCoreError,
    ClientError,
    ConnectionError,
    ConnectTimeoutError,
    CredentialRetrievalError,
    EndpointConnectionError,
    NoCredentialsError,
    PartialCredentialsError,
    ReadTimeoutError,
)

from sapwood.errors import (
    AlreadyExistsError,
    CredentialsError,
    NotFoundError,
    PermissionDeniedError,
    PreconditionFailedError,
    SapwoodError,
    StorageError,
)
from sapwood.kit.errors import WriteKind, is_retryable_status, unreachable_endpoint
from sapwood_s3.settings import S3Settings

__all__ = ["WriteKind", "error_code", "is_invalid_range", "map_error"]

_NOT_FOUND = {"NoSuchKey", "404", "NotFound", "NoSuchUpload"}
_PRECONDITION = {"PreconditionFailed", "412", "ConditionalRequestConflict", "409"}
_RETRYABLE = {
    "SlowDown",
    "Throttling",
    "ThrottlingException",
    "RequestTimeout",
    "InternalError",
    "ServiceUnavailable",
}
_STATUS_CODES = {"500", "502", "503", "504"}
"""Bodiless answers carry their status as the code."""
_REJECTED_CREDENTIALS = {
    "InvalidAccessKeyId": "the access key id is not known to the service",
    "SignatureDoesNotMatch": "the secret access key does not match the access key id",
    "ExpiredToken": "the session token has expired; refresh the credentials",
    "TokenRefreshRequired": "the session token must be refreshed",
    "InvalidToken": "the session token is malformed or invalid",
}


def error_code(exc: ClientError) -> str:
    """The service's error code (``NoSuchKey``), or the HTTP status for bodiless answers."""
    error = exc.response.get("Error", {})
    code = str(error.get("Code") or "")
    return code or str(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", ""))


def _status(exc: ClientError) -> int:
    return int(exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode") or 0)


def _not_s3(exc: ClientError, code: str) -> bool:
    """True for an answer no S3 service gives: an error with a body that is an HTML page
    (what a web server says for any path it does not have), no S3 error code in it and no
    ``x-amz-`` header. HEAD answers carry no body, so they are never judged."""
    headers = exc.response.get("ResponseMetadata", {}).get("HTTPHeaders", {}) or {}
    if str(getattr(exc, "operation_name", "")).startswith("Head"):
        return False
    if code and not code.isdigit():
        return False
    if any(name.lower().startswith("x-amz-") for name in headers):
        return False
    content_type = str(headers.get("content-type", "")).lower()
    return "html" in content_type


def is_invalid_range(exc: BaseException) -> bool:
    """True for the 416 S3 answers to a range that starts at or past the end."""
    return isinstance(exc, ClientError) and (
        error_code(exc) == "InvalidRange" or _status(exc) == 416
    )


def map_error(
    exc: BaseException,
    settings: S3Settings,
    *,
    operation: str,
    key: str | None = None,
    write: WriteKind = "other",
) -> SapwoodError:
    """The sapwood error for a botocore exception raised by ``operation`` on ``key``."""
    if isinstance(exc, SapwoodError):
        return exc
    service = settings.service
    what = f"{operation} {key!r} in {settings.where}" if key else f"{operation} in {settings.where}"
    if isinstance(exc, ClientError):
        return _map_client_error(exc, settings, what=what, key=key, write=write)
    if isinstance(exc, NoCredentialsError | PartialCredentialsError | CredentialRetrievalError):
        return CredentialsError(
            f"{what}: no usable {service} credentials ({type(exc).__name__}); pass "
            "StaticCredentials, set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or "
            "SAPWOOD_ACCESS_KEY_ID and SAPWOOD_SECRET_ACCESS_KEY), name a profile in "
            "extra={'profile': ...}, or set anonymous=True for a public bucket"
        )
    if isinstance(exc, EndpointConnectionError | ConnectTimeoutError):
        endpoint = settings.endpoint_url or "the default AWS endpoint"
        return unreachable_endpoint(what, service=service, endpoint=endpoint, exc=exc, key=key)
    if isinstance(exc, ReadTimeoutError):
        return StorageError(
            f"{what}: the {service} endpoint stopped answering (read timeout after "
            f"{settings.extra.read_timeout_seconds:g} s)",
            retryable=True,
            key=key,
        )
    if isinstance(exc, ConnectionError | OSError):
        return StorageError(
            f"{what}: the connection to {service} failed ({type(exc).__name__})",
            retryable=True,
            key=key,
        )
    if isinstance(exc, BotoCoreError):
        return StorageError(f"{what}: {type(exc).__name__}: {exc}", key=key)
    return StorageError(f"{what}: unexpected {type(exc).__name__}: {exc}", key=key)


def _map_client_error(
    exc: ClientError, settings: S3Settings, *, what: str, key: str | None, write: WriteKind
) -> SapwoodError:
    code = error_code(exc)
    status = _status(exc)
    message = str(exc.response.get("Error", {}).get("Message") or "")
    detail = f"{code}: {message}" if message and message != code else code
    if code == "NoSuchBucket":
        return StorageError(
            f"{what}: the {settings.service} bucket {settings.bucket!r} does not exist; create it "
            "first or fix "
            "the bucket name",
            key=key,
        )
    if code in _PRECONDITION or status in (409, 412):
        if write == "create":
            return AlreadyExistsError(f"{what}: the key already exists ({detail})", key=key)
        return PreconditionFailedError(
            f"{what}: the object changed since its etag was read ({detail}); read it again "
            "and retry",
            key=key,
        )
    if status == 404 and _not_s3(exc, code):
        endpoint = settings.endpoint_url or "the endpoint"
        return StorageError(
            f"{what}: {endpoint} answered HTTP 404 with a web page and no S3 headers, so "
            f"it does not look like an {settings.service} API endpoint; check endpoint_url (a "
            "website or console address is not the API's)",
            key=key,
        )
    if code in _NOT_FOUND or status == 404:
        return NotFoundError(f"{what}: no such key", key=key)
    if code in _REJECTED_CREDENTIALS:
        return PermissionDeniedError(
            f"{what}: {settings.service} rejected the credentials ({code}): "
            f"{_REJECTED_CREDENTIALS[code]}",
            key=key,
        )
    if code in ("AccessDenied", "AllAccessDisabled", "AccountProblem") or status == 403:
        return PermissionDeniedError(
            f"{what}: access denied ({detail}); the credentials in use may not do this",
            key=key,
        )
    if code in _RETRYABLE or is_retryable_status(status) or code in _STATUS_CODES:
        return StorageError(
            f"{what}: {settings.service} answered {detail}", retryable=True, key=key
        )
    return StorageError(f"{what}: {settings.service} answered {detail} (HTTP {status})", key=key)
