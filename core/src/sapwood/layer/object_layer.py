"""The :class:`ObjectLayer` facade the engine talks to.

The work is done by small wrappers over the storage contract, one idea each (caching,
compressing, single_flight, retrying, limiting, timeouts, metered), composed in
:mod:`sapwood.layer.stack`. The facade only picks the pre-composed stack that fits what
the caller says about a key (immutable or not, compressed or not, cached or not)::

    metrics -> cache -> compression -> single-flight -> retries -> limiter
            -> attempt timeout -> storage
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Iterable, Mapping

from sapwood.config import RepositoryConfig
from sapwood.errors import ConfigError
from sapwood.extensions import Cache, Clock, Limiter, MetricsBackend
from sapwood.layer.cache import NoCache, RefCache, build_lru_cache
from sapwood.layer.clock import SYSTEM_CLOCK
from sapwood.layer.compression import ZstdCodec
from sapwood.layer.framing import SelfDescribingKeys
from sapwood.layer.limits import TokenBucketLimiter
from sapwood.layer.metrics import NoopMetrics
from sapwood.layer.retries import Retrier, RetryPolicy
from sapwood.layer.stack import LayerStacks
from sapwood.storage import (
    ByteRange,
    Capabilities,
    ListEntry,
    ObjectMeta,
    PutMode,
    Storage,
    immutable_object_writes,
    reads_meta_in_one_request,
)

__all__ = ["ObjectLayer", "reads_meta_in_one_request"]


class ObjectLayer:
    """One storage, wrapped with the object layer's services.

    ``immutable=True`` on a read or write says the key's content never changes once written
    (blobs, manifests, snapshots), which makes it safe to cache; refs are read without it.
    Writes marked immutable are compressed (``compress=`` overrides that either way).

    The services are instances handed in by whoever builds the layer (the composition
    root): ``cache``, ``limiter`` and ``metrics``; ``None`` builds the built-in default
    from ``config`` (:class:`LruCache` sized by ``caching``, or :class:`NoCache` for
    ``cache="none"``; :class:`TokenBucketLimiter` from ``limits``; :class:`NoopMetrics`).
    The layer never looks anything up in the plugin registry. ``clock`` drives limiters,
    backoff and the ref TTL; ``rng`` is the jitter source; ``metrics_tags`` are added to
    every measurement.
    """

    def __init__(
        self,
        storage: Storage,
        config: RepositoryConfig | None = None,
        *,
        cache: Cache | None = None,
        limiter: Limiter | None = None,
        metrics: MetricsBackend | None = None,
        clock: Clock | None = None,
        rng: random.Random | None = None,
        metrics_tags: Mapping[str, str] | None = None,
    ) -> None:
        if isinstance(metrics, str):
            raise ConfigError(
                f"metrics={metrics!r}: the object layer takes a MetricsBackend instance, "
                "such as sapwood.layer.MemoryMetrics(); backends are resolved by name when "
                "a repository is opened from its config"
            )
        self.storage = storage
        self.config = (config or RepositoryConfig()).resolved()
        self.clock: Clock = clock or SYSTEM_CLOCK
        self.metrics: MetricsBackend = metrics if metrics is not None else NoopMetrics()
        self.metrics_tags = dict(metrics_tags or {})
        caching = self.config.caching
        assert caching is not None
        self.cache: Cache = cache if cache is not None else self._default_cache()
        self.ref_cache = RefCache(caching.ref_ttl_seconds or 0.0, self.clock)
        self.limiter: Limiter = limiter if limiter is not None else self._default_limiter()
        self.codec = ZstdCodec(self.config.compression)
        self.policy = RetryPolicy.from_config(self.config.retries, self.config.timeouts)
        self.retrier = Retrier(self.policy, self.clock, rng)
        self.stacks = LayerStacks(
            storage,
            cache=self.cache,
            ref_cache=self.ref_cache,
            limiter=self.limiter,
            codec=self.codec,
            retrier=self.retrier,
            metrics=self.metrics,
            metrics_tags=self.metrics_tags,
        )
        self._mutable = self.stacks.pick(False, False, True)

    @property
    def self_describing(self) -> SelfDescribingKeys:
        """The key prefixes whose objects are stored self-describing (the stored bytes say
        whether they are a zstd frame; no encoding in metadata). None at first; the engine
        names a repository's blob and snapshot prefixes when its format says so. Keys
        under them must be immutable."""
        return self.stacks.self_describing

    def _default_cache(self) -> Cache:
        caching = self.config.caching
        assert caching is not None
        name = caching.cache or "lru"
        if name == "lru":
            return build_lru_cache(caching)
        if name == "none":
            return NoCache()
        raise ConfigError(
            f"caching.cache={name!r} names a cache plugin, which the object layer does not "
            "look up itself; open the repository from its config (which resolves plugins) "
            "or pass the instance as ObjectLayer(..., cache=...)"
        )

    def _default_limiter(self) -> Limiter:
        limits = self.config.limits
        assert limits is not None
        name = limits.limiter or "token-bucket"
        if name != "token-bucket":
            raise ConfigError(
                f"limits.limiter={name!r} names a limiter plugin, which the object layer "
                "does not look up itself; open the repository from its config (which "
                "resolves plugins) or pass the instance as ObjectLayer(..., limiter=...)"
            )
        return TokenBucketLimiter(limits, self.clock)

    def __repr__(self) -> str:
        return f"ObjectLayer({self.storage!r})"

    @property
    def capabilities(self) -> Capabilities:
        """What the wrapped storage supports."""
        return self.storage.capabilities

    # reads ---------------------------------------------------------------------------

    async def get(
        self,
        key: str,
        byte_range: ByteRange | None = None,
        *,
        immutable: bool = False,
        cache: bool | None = None,
    ) -> bytes:
        """The object's bytes (or a range of them), decompressed if the layer compressed it.

        Immutable keys are served from and kept in the cache unless ``cache`` is False;
        concurrent identical reads share one request.
        """
        stack = self.stacks.pick(immutable, immutable, cache is not False)
        return await stack.get(key, byte_range)

    async def get_with_meta(
        self, key: str, *, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one version; never cached (used for mutable refs)."""
        return await self._mutable.get_with_meta(key, byte_range)

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata, with its uncompressed size and the caller's own metadata.

        For a self-describing key the uncompressed size is in the stored frame's header,
        so this reads the object's first bytes too (in the same request where the backend
        returns bytes and metadata together)."""
        return await self._mutable.head(key)

    async def head_as_stored(self, key: str) -> ObjectMeta:
        """The object's metadata with its size as stored (as listings report it) for a
        self-describing key: one metadata request on every backend. For checks of
        existence and age, which need no uncompressed size."""
        return await self.stacks.as_stored.head(key)

    # writes --------------------------------------------------------------------------

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
        immutable: bool = False,
        compress: bool | None = None,
        cache: bool | None = None,
    ) -> ObjectMeta:
        """Store ``data``, compressed when ``compress`` (default: ``immutable``) and worth it.
        An immutable object is kept in the cache unless ``cache`` is False (file data being
        streamed in, which would only push out what is read back soon).

        A conditional write (``create`` or ``Update``) whose earlier attempt failed
        ambiguously and whose retry then loses its condition is checked: if the stored
        object is exactly what this call wrote, the earlier attempt landed and the call
        succeeds.
        """
        stack = self.stacks.pick(
            immutable, immutable if compress is None else compress, cache is not False
        )
        if not immutable:
            return await stack.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )
        # Immutable objects are reachable only once a ref (written without this) moves,
        # and every write of one of their keys stores the same bytes.
        with immutable_object_writes():
            return await stack.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )

    async def delete(self, key: str) -> None:
        """Remove one object (a missing key is not an error)."""
        await self._mutable.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects; a retry re-sends the whole batch (deleting is idempotent)."""
        await self._mutable.delete_many(keys)

    # listing -------------------------------------------------------------------------

    def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """List keys under ``prefix`` in key order (sizes are as stored).

        A listing that fails part way is resumed after the last entry it yielded, so no
        entry is lost or repeated.
        """
        return self._mutable.list(prefix, delimiter, start_after)

    # lifecycle -----------------------------------------------------------------------

    async def close(self) -> None:
        """Close the wrapped storage."""
        await self.storage.close()
