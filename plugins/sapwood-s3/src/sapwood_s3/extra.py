"""The S3 backend's own settings: what ``ObjectStoreConfig.extra`` may hold for ``s3``.

Import-light on purpose (msgspec only): the plugin module names this Struct when it
registers the backend, long before boto3 is imported.
"""

from __future__ import annotations

from typing import Annotated, Literal

import msgspec

__all__ = ["MIB", "S3Extra"]

MIB = 1024 * 1024
_MIN_PART = 5 * MIB
"""S3 refuses multipart parts below 5 MiB (except the last one)."""
_MAX_PART = 5 * 1024 * MIB

AddressingStyle = Literal["auto", "virtual", "path"]


class S3Extra(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings only the S3 backend knows, validated from ``ObjectStoreConfig.extra``.

    ``addressing_style``: ``path`` (``host/bucket/key``) or ``virtual``
    (``bucket.host/key``); unset means ``path`` with a custom ``endpoint_url`` (emulators,
    MinIO) and botocore's ``auto`` otherwise.
    ``profile``: a profile of ``~/.aws/config`` used when no sapwood credentials are given.
    ``max_connections``: the HTTP connection pool, and the worker threads running boto3 calls.
    ``multipart_threshold_bytes`` / ``multipart_part_bytes``: objects larger than the
    threshold are uploaded in parts of this size, ``transfer_concurrency`` at a time; with
    ``parallel_get`` (the default), whole objects larger than one part are downloaded as
    parallel ranged GETs the same way (turn it off for servers that read the whole object
    for every range, as moto does).
    ``connect_timeout_seconds`` / ``read_timeout_seconds``: per HTTP request.
    ``list_page_size``: keys per ListObjectsV2 request (S3 returns at most 1,000).
    ``max_attempts``: botocore's own attempts per request; 1 (the default) leaves retries to
    sapwood's object layer, so an unreachable endpoint fails at once.
    """

    addressing_style: AddressingStyle | None = None
    profile: str | None = None
    max_connections: Annotated[int, msgspec.Meta(ge=1, le=1024)] = 32
    multipart_threshold_bytes: Annotated[int, msgspec.Meta(ge=_MIN_PART, le=_MAX_PART)] = 32 * MIB
    multipart_part_bytes: Annotated[int, msgspec.Meta(ge=_MIN_PART, le=_MAX_PART)] = 16 * MIB
    transfer_concurrency: Annotated[int, msgspec.Meta(ge=1, le=256)] = 8
    parallel_get: bool = True
    connect_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=600)] = 5.0
    read_timeout_seconds: Annotated[float, msgspec.Meta(gt=0, le=3600)] = 60.0
    list_page_size: Annotated[int, msgspec.Meta(ge=1, le=1000)] = 1000
    max_attempts: Annotated[int, msgspec.Meta(ge=1, le=10)] = 1
