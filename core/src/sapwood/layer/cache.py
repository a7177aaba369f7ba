"""Caches: the built-in ``lru`` cache of immutable objects, and the short-lived ref cache.

The object layer caches only what the caller marks immutable (blobs, manifests, snapshots):
such a key's bytes never change, so a cached copy is never stale. Mutable refs go through
:class:`RefCache` instead, which keeps them ``CachingConfig.ref_ttl_seconds`` at most (``0``,
the default, keeps nothing).
"""

from __future__ import annotations

import threading

import cachetools

from sapwood.config import CachingConfig, RepositoryConfig
from sapwood.extensions import CacheStats, Clock

__all__ = ["LruCache", "NoCache", "RefCache", "build_lru_cache", "build_no_cache"]


def _caching_defaults(config: CachingConfig) -> CachingConfig:
    defaults = RepositoryConfig.default().caching
    assert defaults is not None
    return defaults.merge(config)


class LruCache:
    """Least-recently-used byte cache bounded by the total size of its values.

    Values above ``max_object_bytes`` are not kept, so one large object cannot flush
    everything else.
    """

    def __init__(self, max_bytes: int, max_object_bytes: int | None = None) -> None:
        self.max_bytes = max_bytes
        self.max_object_bytes = max_bytes if max_object_bytes is None else max_object_bytes
        self._lock = threading.Lock()
        self._data: cachetools.LRUCache[str, bytes] = cachetools.LRUCache(
            maxsize=max(1, max_bytes), getsizeof=len
        )
        self._hits = 0
        self._misses = 0

    async def get(self, key: str) -> bytes | None:
        """The cached bytes, or None."""
        with self._lock:
            value = self._data.get(key)
            if value is None:
                self._misses += 1
            else:
                self._hits += 1
            return value

    async def set(self, key: str, value: bytes) -> None:
        """Keep ``value`` unless it is larger than the per-object or total bound."""
        if self.max_bytes <= 0 or len(value) > min(self.max_object_bytes, self.max_bytes):
            return
        with self._lock:
            self._data[key] = bytes(value)

    async def delete(self, key: str) -> None:
        """Forget ``key``."""
        with self._lock:
            self._data.pop(key, None)

    async def clear(self) -> None:
        """Forget everything (the counters stay)."""
        with self._lock:
            self._data.clear()

    def stats(self) -> CacheStats:
        """Hits, misses, entries and bytes held."""
        with self._lock:
            return CacheStats(
                hits=self._hits,
                misses=self._misses,
                entries=len(self._data),
                size_bytes=int(self._data.currsize),
                max_bytes=self.max_bytes,
            )


class NoCache:
    """Keeps nothing; every lookup is a miss."""

    def __init__(self) -> None:
        self._misses = 0

    async def get(self, key: str) -> bytes | None:
        """Always None."""
        self._misses += 1
        return None

    async def set(self, key: str, value: bytes) -> None:
        """Drop the value."""

    async def delete(self, key: str) -> None:
        """Nothing to forget."""

    async def clear(self) -> None:
        """Nothing to forget."""

    def stats(self) -> CacheStats:
        """Only misses."""
        return CacheStats(misses=self._misses)


def build_lru_cache(config: CachingConfig) -> LruCache:
    """The ``lru`` cache plugin's factory."""
    resolved = _caching_defaults(config)
    assert resolved.max_bytes is not None
    return LruCache(resolved.max_bytes, resolved.max_object_bytes)


def build_no_cache(config: CachingConfig) -> NoCache:
    """The ``none`` cache plugin's factory."""
    return NoCache()


class RefCache:
    """Mutable objects kept for at most ``ttl_seconds`` by ``clock`` (0 keeps nothing)."""

    def __init__(self, ttl_seconds: float, clock: Clock, max_entries: int = 4096) -> None:
        self.ttl_seconds = ttl_seconds
        self._lock = threading.Lock()
        self._data: cachetools.TTLCache[str, bytes] | None = (
            cachetools.TTLCache(maxsize=max_entries, ttl=ttl_seconds, timer=clock.monotonic)
            if ttl_seconds > 0
            else None
        )

    def get(self, key: str) -> bytes | None:
        """The value if it was set less than ``ttl_seconds`` ago."""
        if self._data is None:
            return None
        with self._lock:
            return self._data.get(key)

    def set(self, key: str, value: bytes) -> None:
        """Keep ``value`` until the TTL runs out."""
        if self._data is None:
            return
        with self._lock:
            self._data[key] = value

    def forget(self, key: str) -> None:
        """Drop ``key`` (after a write or delete through the layer)."""
        if self._data is None:
            return
        with self._lock:
            self._data.pop(key, None)
