"""Resolving an ``ObjectStoreConfig`` into the concrete settings one S3 store runs with."""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from urllib.parse import urlsplit

from sapwood.config import ObjectStoreConfig, convert_config
from sapwood.errors import ConfigError
from sapwood_s3.extra import AddressingStyle, S3Extra

__all__ = ["S3Settings", "resolve_settings"]


@dataclass(frozen=True)
class S3Settings:
    """Everything an :class:`~sapwood_s3.storage.S3Storage` needs, checked and defaulted.

    ``service`` names the service in error messages (``S3``, ``Tigris``).
    """

    bucket: str
    root: str
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

    def full_key(self, key: str) -> str:
        """The object key in the bucket for a store key."""
        return self.root + key

    def store_key(self, full_key: str) -> str:
        """The store key for an object key in the bucket (the inverse of :meth:`full_key`)."""
        return full_key[len(self.root) :]


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
        _check_endpoint(endpoint, allow_http=config.allow_http, service=service)
    addressing = extra.addressing_style
    if addressing is None:
        addressing = "path" if config.endpoint_url else default_addressing
    prefix = config.prefix.strip("/")
    return S3Settings(
        bucket=config.bucket,
        root=f"{prefix}/" if prefix else "",
        region=config.region or default_region,
        endpoint_url=endpoint.rstrip("/") if endpoint else None,
        addressing_style=addressing,
        anonymous=config.anonymous,
        extra=extra,
        service=service,
    )


def _check_endpoint(endpoint: str, *, allow_http: bool, service: str) -> None:
    parts = urlsplit(endpoint)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ConfigError(
            f"endpoint_url {endpoint!r} is not an http(s) URL; write https://HOST[:PORT]",
            field="endpoint_url",
        )
    if parts.scheme == "http" and not allow_http and not _is_loopback(parts.hostname):
        raise ConfigError(
            f"endpoint_url {endpoint!r} uses plain http, which sends {service} data "
            "unencrypted; use https, or set allow_http=True to accept it",
            field="allow_http",
        )


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
