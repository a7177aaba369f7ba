"""The ``fifo`` cache: evicts the oldest entry first and never holds more than its bound."""

from __future__ import annotations

from sapwood.config import CachingConfig, RepositoryConfig
from sapwood.extensions import CacheStats

__all__ = ["FifoCache"]


class FifoCache:
    """Keeps at most ``max_bytes`` bytes, and no value over ``max_object_bytes``.

    Each method runs to completion without awaiting, so concurrent tasks never see it
    half-updated.
    """

    def __init__(self, config: CachingConfig) -> None:
        defaults = RepositoryConfig.default().caching
        resolved = defaults.merge(config) if defaults is not None else config  # fields left unset
        self.max_bytes = resolved.max_bytes or 0
        self.max_object_bytes = resolved.max_object_bytes
        self.entries: dict[str, bytes] = {}  # in insertion order: the oldest first
        self.size = self.hits = self.misses = 0

    def _fits(self, value: bytes) -> bool:
        if self.max_object_bytes is not None and len(value) > self.max_object_bytes:
            return False
        return len(value) <= self.max_bytes

    async def get(self, key: str) -> bytes | None:
        value = self.entries.get(key)
        if value is None:
            self.misses += 1
        else:
            self.hits += 1
        return value

    async def set(self, key: str, value: bytes) -> None:
        self._forget(key)
        if not self._fits(value):
            return  # too large to cache at all
        while self.size + len(value) > self.max_bytes:
            self._forget(next(iter(self.entries)))
        self.entries[key] = bytes(value)
        self.size += len(value)

    async def delete(self, key: str) -> None:
        self._forget(key)

    async def clear(self) -> None:
        self.entries.clear()
        self.size = 0

    def stats(self) -> CacheStats:
        return CacheStats(
            hits=self.hits,
            misses=self.misses,
            entries=len(self.entries),
            size_bytes=self.size,
            max_bytes=self.max_bytes,
        )

    def _forget(self, key: str) -> None:
        value = self.entries.pop(key, None)
        if value is not None:
            self.size -= len(value)
