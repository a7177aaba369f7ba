"""The lakeFS importer's options, filled in from lakectl's environment variables.

Import-light (msgspec only): the plugin module uses it before boto3 is imported.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import Any

import msgspec

from sapwood.credentials import mask
from sapwood.errors import ConfigError

__all__ = ["ENV_ACCESS_KEY_ID", "ENV_ENDPOINT_URL", "ENV_SECRET_ACCESS_KEY", "LakeFSImportOptions"]

ENV_ENDPOINT_URL = "LAKECTL_SERVER_ENDPOINT_URL"
ENV_ACCESS_KEY_ID = "LAKECTL_CREDENTIALS_ACCESS_KEY_ID"
ENV_SECRET_ACCESS_KEY = "LAKECTL_CREDENTIALS_SECRET_ACCESS_KEY"
_API_SUFFIX = "/api/v1"
"""lakectl's endpoint may name the API path; the S3 gateway answers at the server's root."""


class LakeFSImportOptions(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Where the lakeFS server is and the lakeFS access key to sign with.

    ``endpoint_url``: the lakeFS server (``http://localhost:8000``; a trailing ``/api/v1``
    is dropped). ``region``: what requests are signed for (lakeFS accepts any).
    Each unset value is read from lakectl's environment variable.
    """

    endpoint_url: str | None = None
    access_key_id: str | None = None
    secret_access_key: str | None = None
    region: str = "us-east-1"

    def __repr__(self) -> str:
        return (
            f"LakeFSImportOptions(endpoint_url={self.endpoint_url!r}, "
            f"access_key_id={self.access_key_id!r}, "
            f"secret_access_key={mask(self.secret_access_key)!r}, region={self.region!r})"
        )


def resolve_options(options: Mapping[str, Any]) -> LakeFSImportOptions:
    """Validate ``options`` and fill what is unset from the environment; ConfigError names
    what is wrong or missing and how to set it."""
    try:
        given = msgspec.convert(dict(options), LakeFSImportOptions)
    except msgspec.ValidationError as exc:
        raise ConfigError(
            f"invalid lakefs importer options: {exc}; known options are endpoint_url, "
            "access_key_id, secret_access_key and region",
            field="options",
        ) from None
    endpoint = given.endpoint_url or os.environ.get(ENV_ENDPOINT_URL)
    key_id = given.access_key_id or os.environ.get(ENV_ACCESS_KEY_ID)
    secret = given.secret_access_key or os.environ.get(ENV_SECRET_ACCESS_KEY)
    if not endpoint:
        raise ConfigError(
            f"the lakefs importer needs the lakeFS server's URL: set {ENV_ENDPOINT_URL} "
            "(e.g. http://localhost:8000) or the endpoint_url option",
            field="endpoint_url",
        )
    if not endpoint.startswith(("http://", "https://")):
        raise ConfigError(
            f"the lakeFS endpoint {endpoint!r} is not an http(s) URL; write one such as "
            "http://localhost:8000",
            field="endpoint_url",
        )
    if not key_id or not secret:
        raise ConfigError(
            f"the lakefs importer needs a lakeFS access key: set {ENV_ACCESS_KEY_ID} and "
            f"{ENV_SECRET_ACCESS_KEY}, or the access_key_id and secret_access_key options",
            field="access_key_id" if not key_id else "secret_access_key",
        )
    endpoint = endpoint.rstrip("/")
    if endpoint.endswith(_API_SUFFIX):
        endpoint = endpoint[: -len(_API_SUFFIX)]
    return LakeFSImportOptions(
        endpoint_url=endpoint,
        access_key_id=key_id,
        secret_access_key=secret,
        region=given.region,
    )
