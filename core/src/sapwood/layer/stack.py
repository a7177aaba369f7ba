"""Where the object layer's wrappers are composed, in one place.

Every stack runs, top to bottom::

    metrics -> cache -> compression -> single-flight -> retries -> limiter
            -> attempt timeout -> storage

The part from single-flight down is built once and shared by all stacks, so a write
through any stack makes later reads of that key start fresh, and one limiter sees every
request. Above it, the stacks differ only in what the caller said about the key:

- *immutable* (blobs, manifests, snapshots): whole reads served from and kept in the
  :class:`~sapwood.extensions.Cache`; the encoding of each key remembered, so a range
  of a compressed object is read without asking for metadata again;
- *mutable* (refs): no cache unless ``ref_ttl_seconds`` is set, and writes drop any
  cached copy of the key;
- whether writes are compressed, and whether the cache is used at all for the call.

All stacks share one :class:`~sapwood.layer.framing.SelfDescribingKeys` (``self_describing``):
the key prefixes stored self-describing rather than with their encoding in metadata.

The metrics wrapper is left out when the backend is :class:`NoopMetrics`, and the timeout
wrapper when no attempt timeout is configured, so neither costs anything when off.
"""

from __future__ import annotations

import cachetools

from sapwood.extensions import Cache, Limiter, MetricsBackend
from sapwood.layer.cache import RefCache
from sapwood.layer.caching import CachingStorage, RefCachingStorage
from sapwood.layer.compressing import CompressingStorage
from sapwood.layer.compression import ZstdCodec
from sapwood.layer.framing import SelfDescribingKeys
from sapwood.layer.limiting import LimitedStorage
from sapwood.layer.metered import MeteredStorage
from sapwood.layer.metrics import NoopMetrics
from sapwood.layer.retries import Retrier
from sapwood.layer.retrying import RetryingStorage
from sapwood.layer.single_flight import SingleFlightStorage
from sapwood.layer.timeouts import TimedStorage
from sapwood.storage import Storage

__all__ = ["LayerStacks", "StackChoice"]

StackChoice = tuple[bool, bool, bool]
"""``(immutable, compress, cache)``: what selects one of the pre-composed stacks."""

_ENCODINGS_REMEMBERED = 65536


class LayerStacks:
    """The eight pre-composed stacks over one storage, picked by :meth:`pick`."""

    def __init__(
        self,
        storage: Storage,
        *,
        cache: Cache,
        ref_cache: RefCache,
        limiter: Limiter,
        codec: ZstdCodec,
        retrier: Retrier,
        metrics: MetricsBackend,
        metrics_tags: dict[str, str],
    ) -> None:
        timeout = retrier.policy.attempt_timeout_seconds
        bottom: Storage = TimedStorage(storage, timeout) if timeout else storage
        self.shared = SingleFlightStorage(RetryingStorage(LimitedStorage(bottom, limiter), retrier))
        encodings: cachetools.LRUCache[str, str] = cachetools.LRUCache(_ENCODINGS_REMEMBERED)
        self.self_describing = SelfDescribingKeys()
        self._stacks: dict[StackChoice, Storage] = {}
        for immutable in (True, False):
            for compress in (True, False):
                for use_cache in (True, False):
                    stack: Storage = CompressingStorage(
                        self.shared,
                        codec,
                        compress=compress,
                        immutable=immutable,
                        encodings=encodings,
                        keep_whole=cache if immutable and use_cache else None,
                        self_describing=self.self_describing,
                    )
                    if immutable:
                        stack = CachingStorage(
                            stack,
                            cache,
                            read=use_cache,
                            fill_on_write=use_cache,
                            immutable_keys=True,
                        )
                    else:
                        if ref_cache.ttl_seconds > 0:
                            stack = RefCachingStorage(stack, ref_cache, read=use_cache)
                        stack = CachingStorage(stack, cache, read=False, fill_on_write=False)
                    if not isinstance(metrics, NoopMetrics):
                        stack = MeteredStorage(stack, metrics, metrics_tags)
                    self._stacks[(immutable, compress, use_cache)] = stack

        # Metadata as stored: the self-describing form never consulted, so a head is one
        # metadata request even where reading a frame header would cost another.
        as_stored: Storage = CompressingStorage(self.shared, codec, compress=False)
        if not isinstance(metrics, NoopMetrics):
            as_stored = MeteredStorage(as_stored, metrics, metrics_tags)
        self.as_stored = as_stored

    def pick(self, immutable: bool, compress: bool, cache: bool) -> Storage:
        """The stack for keys that are (or not) ``immutable``, with writes compressed or
        not, using the cache or not."""
        return self._stacks[(immutable, compress, cache)]
