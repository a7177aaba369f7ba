"""A kit for storage backend authors: the parts every cloud backend needs.

- :mod:`sapwood.kit.prefixing`: a store rooted at a key prefix inside a bucket, and listings
  that honour ``prefix``, ``delimiter`` and ``start_after`` on services that cannot.
- :mod:`sapwood.kit.threads`: a base for stores over a blocking SDK (a bounded thread pool
  owned by the store, a closed state, an idempotent ``close()``).
- :mod:`sapwood.kit.renewal`: keeps an SDK client in step with a credential provider,
  rebuilding it when the provider hands out new credentials.
- :mod:`sapwood.kit.endpoints`: checking ``endpoint_url`` (http(s), plain http only where
  allowed).
- :mod:`sapwood.kit.errors`: turning HTTP statuses and SDK failures into sapwood's storage
  errors, with messages that name the endpoint and key and never carry a secret.

The kit depends only on the storage contract (``sapwood.storage``, ``sapwood.errors``,
``sapwood.credentials``), so a backend built on it depends on nothing above that.
"""

from __future__ import annotations

from sapwood.kit.endpoints import checked_endpoint, is_loopback_host
from sapwood.kit.errors import (
    RETRYABLE_STATUS,
    WriteKind,
    error_for_status,
    is_retryable_status,
    redact,
    short_reason,
    unreachable_endpoint,
)
from sapwood.kit.prefixing import KeyPrefix, ListingWindow, after_every_key_in, merge_in_key_order
from sapwood.kit.renewal import ClientRenewal
from sapwood.kit.threads import ThreadPoolStorage

__all__ = [
    "RETRYABLE_STATUS",
    "ClientRenewal",
    "KeyPrefix",
    "ListingWindow",
    "ThreadPoolStorage",
    "WriteKind",
    "after_every_key_in",
    "checked_endpoint",
    "error_for_status",
    "is_loopback_host",
    "is_retryable_status",
    "merge_in_key_order",
    "redact",
    "short_reason",
    "unreachable_endpoint",
]
