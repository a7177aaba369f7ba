"""TigrisStorage: the S3 store with Tigris's endpoint, region and consistency headers."""

from __future__ import annotations

from typing import Any

from sapwood.config import ObjectStoreConfig
from sapwood.credentials import CredentialProvider
from sapwood_s3.settings import resolve_settings
from sapwood_s3.storage import S3Storage
from sapwood_tigris.settings import Consistency, TigrisExtra

__all__ = ["CONSISTENT_HEADER", "TIGRIS_ENDPOINT", "TIGRIS_REGION", "TigrisStorage"]

TIGRIS_ENDPOINT = "https://t3.storage.dev"
"""Tigris's single global S3 endpoint (from Fly.io machines, fly.storage.tigris.dev works too)."""
TIGRIS_REGION = "auto"
"""Tigris routes by itself; SigV4 still needs a region name, and ``auto`` is the convention."""
CONSISTENT_HEADER = "X-Tigris-Consistent"

_READS = frozenset({"GET", "HEAD"})


class ConsistencyHeaders:
    """A botocore ``before-sign`` handler adding ``X-Tigris-Consistent: true`` where the
    mode asks, before signing so the header is covered by the signature. Presigned URLs
    never get it: whoever fetches them could not send it."""

    def __init__(self, mode: Consistency) -> None:
        self.mode = mode

    def wanted(self, method: str, headers: Any) -> bool:
        """Whether a request with this method and these headers gets the header."""
        if self.mode == "all":
            return True
        if self.mode == "off":
            return False
        conditional = "If-Match" in headers or "If-None-Match" in headers
        return conditional and method.upper() not in _READS

    def __call__(self, request: Any, signature_version: Any = None, **_: Any) -> None:
        if isinstance(signature_version, str) and signature_version.endswith("-query"):
            return
        if self.wanted(str(request.method), request.headers):
            request.headers[CONSISTENT_HEADER] = "true"


class TigrisStorage(S3Storage):
    """A Tigris bucket (and optional key prefix) as a sapwood store."""

    @classmethod
    def from_config(
        cls, config: ObjectStoreConfig, credentials: CredentialProvider | None = None
    ) -> TigrisStorage:
        """The store ``config`` describes (``object_store="tigris"``). No I/O happens here."""
        settings = resolve_settings(
            config,
            TigrisExtra,
            service="Tigris",
            default_endpoint=TIGRIS_ENDPOINT,
            default_region=TIGRIS_REGION,
            default_addressing="virtual",
        )
        return cls(settings, credentials)

    @property
    def consistency(self) -> Consistency:
        """Which requests carry ``X-Tigris-Consistent: true``."""
        extra = self.settings.extra
        return extra.consistency if isinstance(extra, TigrisExtra) else "conditional"

    def _configure_client(self, client: Any) -> None:
        client.meta.events.register("before-sign.s3", ConsistencyHeaders(self.consistency))
