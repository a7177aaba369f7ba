"""The S3 backend's settings: what ``ObjectStoreConfig.extra`` may hold for ``s3``
(:class:`S3Extra`), and the checked, defaulted settings one store runs with
(:class:`S3Settings`).

Import-light on purpose (msgspec only): the plugin module names :class:`S3Extra` when it
registers the backend, long before boto3 is imported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

import msgspec

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.errors import ConfigError
from sapwood.kit.endpoints import checked_endpoint
from sapwood.kit.prefixing import KeyPrefix

__all__ = ["MIB", "AddressingStyle", "S3Extra", "S3Settings", "resolve_settings"]

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


@dataclass(frozen=True)
class S3Settings:
    """Everything an :class:`~sapwood_s3.storage.S3Storage` needs, checked and defaulted.

    ``service`` names the service in error messages (``S3``, ``Tigris``).
    """

    bucket: str
    keys: KeyPrefix
    region: str | None
    endpoint_url: str | None
    addressing_style: AddressingStyle
    anonymous: bool
    extra: S3Extra
    service: str = "S3"

    @property
    def where(self) -> str:
        """The bucket and endpoint, as error messages name them."""
        endpoint = self.endpoint_url or "the default AWS endpoint"
        return f"bucket {self.bucket!r} at {endpoint}"

    @property
    def root(self) -> str:
        """The bucket folder holding the store's keys (``""`` or ``"some/prefix/"``)."""
        return self.keys.root

    def full_key(self, key: str) -> str:
        """The object key in the bucket for a store key."""
        return self.keys.full(key)

    def store_key(self, full_key: str) -> str:
        """The store key for an object key in the bucket (the inverse of :meth:`full_key`)."""
        return self.keys.store_key(full_key)


def resolve_settings(
    config: ObjectStoreConfig,
    extra_type: type[S3Extra] = S3Extra,
    *,
    service: str = "S3",
    default_endpoint: str | None = None,
    default_region: str | None = None,
    default_addressing: AddressingStyle = "auto",
) -> S3Settings:
    """Check ``config`` for an S3-API store and fill in defaults; ConfigError names a bad field."""
    if not config.bucket:
        raise ConfigError(
            f"a {service} store needs a bucket: write s3://BUCKET/prefix or set bucket=",
            field="bucket",
        )
    extra = convert_config(config.extra, extra_type, what="ObjectStoreConfig.extra")
    endpoint = config.endpoint_url or default_endpoint
    if endpoint is not None:
        endpoint = checked_endpoint(
            endpoint, allow_http=config.allow_http, service=service, example="https://HOST[:PORT]"
        )
    addressing = extra.addressing_style
    if addressing is None:
        addressing = "path" if config.endpoint_url else default_addressing
    return S3Settings(
        bucket=config.bucket,
        keys=KeyPrefix(config.prefix),
        region=config.region or default_region,
        endpoint_url=endpoint,
        addressing_style=addressing,
        anonymous=config.anonymous,
        extra=extra,
        service=service,
    )
