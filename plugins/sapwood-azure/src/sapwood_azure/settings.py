"""What an ``azure`` store config means: the ``extra`` settings and the account location.

Import-light on purpose (msgspec only): the registry validates ``extra`` with
:class:`AzureExtra` without importing the Azure SDK.
"""

from __future__ import annotations

import ipaddress
import re
from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlsplit

import msgspec

from sapwood.config import ObjectStoreConfig, mask_text
from sapwood.errors import ConfigError
from sapwood.kit.endpoints import checked_endpoint, is_loopback_host

__all__ = [
    "DEV_ACCOUNT_KEY",
    "DEV_ACCOUNT_NAME",
    "AzureExtra",
    "AzureLocation",
    "is_loopback_host",
    "resolve_location",
]

MIB = 1024 * 1024

DEV_ACCOUNT_NAME = "devstoreaccount1"
DEV_ACCOUNT_KEY = (
    "Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw=="
)
"""The published key of the Azurite / Storage Emulator development account (not a secret)."""

_Positive = Annotated[int, msgspec.Meta(gt=0)]
_NonNegative = Annotated[int, msgspec.Meta(ge=0)]
_Seconds = Annotated[float, msgspec.Meta(gt=0)]

_CONTAINER = re.compile(r"^(?:\$root|[a-z0-9](?:[a-z0-9]|-(?=[a-z0-9])){2,62})$")
_ACCOUNT = re.compile(r"^[a-z0-9]{3,24}$")
_LOOPBACK_NAMES = {"localhost", "localhost.localdomain"}


class AzureExtra(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    """Settings only the ``azure`` backend knows, given as ``ObjectStoreConfig.extra``.

    ``account_name`` names the storage account when the credentials and the endpoint do not.
    Transfers: objects up to ``max_single_put_bytes`` go up in one request, larger ones in
    ``block_bytes`` blocks, ``max_concurrency`` at a time (downloads likewise, in
    ``get_chunk_bytes`` chunks after a first ``max_single_get_bytes`` request).
    ``delete_batch_size`` keys go in one blob-batch request (Azure allows 256);
    ``batch_delete=False`` deletes one key per request, ``delete_concurrency`` at a time.
    ``max_retries`` bounds the SDK's own quick retries of one request (the object layer
    retries whole operations on top); ``connect_timeout_seconds`` and
    ``read_timeout_seconds`` bound each request. ``list_page_size`` is the listing page
    (Azure's maximum is 5,000). ``server_start_from`` lets listings after a key ask the
    service to start there (``startFrom``); results are filtered client-side either way.
    ``ca_bundle`` is a PEM file of certificate authorities to trust instead of the system's
    (a private endpoint, or an emulator with a self-signed certificate). ``trust_env`` makes
    each request consult proxy variables and ``~/.netrc`` (two thread
    hops per request in aiohttp); left unset, it is on only when a proxy variable or a netrc
    file exists.
    """

    account_name: str | None = None
    max_concurrency: _Positive = 8
    max_single_put_bytes: _Positive = 32 * MIB
    block_bytes: Annotated[int, msgspec.Meta(gt=0, le=4000 * MIB)] = 8 * MIB
    max_single_get_bytes: _Positive = 32 * MIB
    get_chunk_bytes: _Positive = 8 * MIB
    batch_delete: bool = True
    delete_batch_size: Annotated[int, msgspec.Meta(ge=1, le=256)] = 256
    delete_concurrency: _Positive = 16
    max_retries: _NonNegative = 3
    retry_backoff_seconds: Annotated[float, msgspec.Meta(ge=0)] = 0.3
    connect_timeout_seconds: _Seconds = 10.0
    read_timeout_seconds: _Seconds = 120.0
    list_page_size: Annotated[int, msgspec.Meta(ge=1, le=5000)] = 5000
    server_start_from: bool = True
    trust_env: bool | None = None
    ca_bundle: str | None = None


@dataclass(frozen=True)
class AzureLocation:
    """Where the store lives: the account's blob endpoint, the container and a key prefix.

    ``account_url`` is None when only a connection string (read at connect time) can say.
    """

    container: str
    prefix: str
    account_name: str | None
    account_url: str | None
    endpoint_is_custom: bool


def _account_from_endpoint(endpoint: str) -> str | None:
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    first_segment = parts.path.strip("/").split("/", 1)[0]
    is_ip = True
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        is_ip = False
    # Emulators and IP endpoints carry the account as the first path segment, as Azurite
    # does (http://127.0.0.1:10000/devstoreaccount1); real endpoints as the host's first label.
    if is_ip or host.lower() in _LOOPBACK_NAMES:
        return first_segment or None
    if host.endswith((".blob.core.windows.net", ".dfs.core.windows.net")) or ".blob." in host:
        return host.split(".", 1)[0]
    return first_segment or None


def resolve_location(
    config: ObjectStoreConfig, extra: AzureExtra, credential_account: str | None
) -> AzureLocation:
    """The account, endpoint, container and prefix a config names (no I/O).

    The container is ``config.bucket``; ``abfs://container@account.dfs.core.windows.net/``
    also names the account. The account comes from the credentials (``access_key_id``),
    then ``extra.account_name``, then the endpoint, then the URL's host.
    """
    bucket = config.bucket or ""
    host_account: str | None = None
    if "@" in bucket:
        bucket, _, host = bucket.partition("@")
        host_account = host.split(".", 1)[0] or None
    if not bucket:
        raise ConfigError(
            "an azure store needs a container: write az://CONTAINER/optional/prefix",
            field="bucket",
        )
    if not _CONTAINER.match(bucket):
        raise ConfigError(
            f"{bucket!r} is not a valid Azure container name: use 3-63 lowercase letters, "
            "digits and single hyphens, starting and ending with a letter or digit",
            field="bucket",
        )
    endpoint = None
    if config.endpoint_url:
        if urlsplit(config.endpoint_url).query:
            # Most likely a SAS token, which would then show in every message naming the
            # endpoint.
            raise ConfigError(
                f"endpoint_url {mask_text(config.endpoint_url)!r} carries a query string; give "
                "the bare endpoint, and a SAS token as StaticCredentials(bearer_token=...)",
                field="endpoint_url",
            )
        endpoint = checked_endpoint(
            config.endpoint_url,
            allow_http=config.allow_http,
            service="Azure Blob",
            example="https://ACCOUNT.blob.core.windows.net or "
            "http://127.0.0.1:10000/devstoreaccount1",
        )
    account = (
        credential_account
        or extra.account_name
        or (_account_from_endpoint(endpoint) if endpoint else None)
        or host_account
    )
    if account is not None and not _ACCOUNT.match(account):
        raise ConfigError(
            f"{account!r} is not a valid Azure storage account name: use 3-24 lowercase "
            "letters and digits",
            field="extra.account_name",
        )
    if endpoint is not None:
        account_url: str | None = endpoint
    elif account is not None:
        account_url = f"https://{account}.blob.core.windows.net"
    else:
        account_url = None
    return AzureLocation(
        container=bucket,
        prefix=config.prefix.strip("/"),
        account_name=account,
        account_url=account_url,
        endpoint_is_custom=endpoint is not None,
    )
