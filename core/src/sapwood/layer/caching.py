"""The caching wrappers: immutable objects through the pluggable :class:`Cache`, mutable
refs through the short-lived :class:`~sapwood.layer.cache.RefCache`.

A cache in front of a store is only correct if every write to a key it may hold passes
through it: :class:`CachingStorage` drops a key before writing or deleting it (and, when
``fill_on_write``, keeps the written bytes once the write succeeded). The object layer
uses it for keys whose bytes never change once written (blobs, manifests, snapshots), so
a cached copy is never stale even when other processes write; over any other store it
is correct for a single writer, which is what its conformance test checks.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sapwood.extensions import Cache
from sapwood.layer.cache import RefCache
from sapwood.layer.recording import current_call
from sapwood.storage import ByteRange, ForwardingStorage, ObjectMeta, PutMode, Storage, clip_range

__all__ = ["CachingStorage", "RefCachingStorage"]


def _slice(data: bytes, byte_range: ByteRange | None) -> bytes:
    if byte_range is None:
        return data
    start, stop = clip_range(byte_range, len(data))
    return data if (start, stop) == (0, len(data)) else data[start:stop]


class CachingStorage(ForwardingStorage):
    """Whole-object reads served from and kept in ``cache`` (when ``read``); writes and
    deletes drop the key, and with ``fill_on_write`` a write keeps what it wrote.

    ``read=False`` and ``fill_on_write=False`` leave only the invalidation, for stacks that
    write keys a caching stack may hold. ``immutable_keys=True`` says a key is never
    written with other bytes than it holds, so a write need not drop the cached copy
    first (deletes still do)."""

    def __init__(
        self,
        inner: Storage,
        cache: Cache,
        *,
        read: bool = True,
        fill_on_write: bool = True,
        immutable_keys: bool = False,
    ) -> None:
        super().__init__(inner)
        self.cache = cache
        self.read = read
        self.fill_on_write = fill_on_write
        self.immutable_keys = immutable_keys

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """From the cache if there; otherwise read and, for a whole object, keep it."""
        if not self.read:
            return await self.inner.get(key, byte_range)
        found = await self.cache.get(key)
        record = current_call()
        if found is not None:
            if record is not None:
                record.event("cache.hits")
                record.stored_bytes = 0
            return _slice(found, byte_range)
        if record is not None:
            record.event("cache.misses")
        data = await self.inner.get(key, byte_range)
        if byte_range is None:
            await self.cache.set(key, data)
        return data

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Write, keeping no stale copy (and the new bytes when ``fill_on_write``)."""
        if not self.immutable_keys:
            await self.cache.delete(key)
        meta = await self.inner.put(
            key, data, mode=mode, content_type=content_type, metadata=metadata
        )
        if self.fill_on_write:
            await self.cache.set(key, data)
        return meta

    async def delete(self, key: str) -> None:
        """Drop the cached copy, then delete."""
        await self.cache.delete(key)
        await self.inner.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Drop the cached copies, then delete the batch."""
        batch = list(keys)
        for key in batch:
            await self.cache.delete(key)
        await self.inner.delete_many(batch)


class RefCachingStorage(ForwardingStorage):
    """Whole-object reads kept for ``ref_cache.ttl_seconds`` (a bounded staleness the
    caller opted into); writes and deletes through it forget the key at once. With
    ``read=False`` only the forgetting is left."""

    def __init__(self, inner: Storage, ref_cache: RefCache, *, read: bool = True) -> None:
        super().__init__(inner)
        self.ref_cache = ref_cache
        self.read = read

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """A copy younger than the TTL, or a fresh read (kept when ``read``)."""
        if not self.read:
            return await self.inner.get(key, byte_range)
        found = self.ref_cache.get(key)
        record = current_call()
        if found is not None:
            if record is not None:
                record.event("cache.hits")
                record.stored_bytes = 0
            return _slice(found, byte_range)
        if record is not None:
            record.event("cache.misses")
        data = await self.inner.get(key, byte_range)
        if byte_range is None:
            self.ref_cache.set(key, data)
        return data

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Write and forget the kept copy."""
        self.ref_cache.forget(key)
        try:
            return await self.inner.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )
        finally:
            self.ref_cache.forget(key)

    async def delete(self, key: str) -> None:
        """Delete and forget the kept copy."""
        self.ref_cache.forget(key)
        try:
            await self.inner.delete(key)
        finally:
            self.ref_cache.forget(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Delete the batch and forget the kept copies."""
        batch = list(keys)
        try:
            await self.inner.delete_many(batch)
        finally:
            for key in batch:
                self.ref_cache.forget(key)
