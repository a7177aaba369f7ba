"""The object client's read cache: payloads kept by version, revalidated by etag.

An object client's keys can be overwritten and deleted, by this client or by any other
writer, so a payload cannot be cached under its key alone. It is cached under its key
*and etag* in the object layer's (pluggable) cache: the bytes of one version never change,
so such an entry is never wrong, only possibly unused. A read first asks the store for the
key's metadata (a ``head``, no payload); if the etag is the one whose bytes are cached, the
cache answers. Another writer's change is therefore seen on the very next read.

With ``caching.ref_ttl_seconds`` above 0 the metadata itself is trusted for that long
after it was checked, so repeated reads within it make no request at all; another
writer's change is then seen at most that many seconds late (writes and deletes through
this client are seen at once).
"""

from __future__ import annotations

import cachetools

from sapwood.errors import NotFoundError
from sapwood.extensions import Clock
from sapwood.layer import ObjectLayer
from sapwood.storage import ObjectMeta

__all__ = ["VersionedPayloads"]

_KEYS_REMEMBERED = 65536


class VersionedPayloads:
    """Reads through ``layer`` whose payloads are cached per version (see module doc)."""

    def __init__(self, layer: ObjectLayer, trust_seconds: float, clock: Clock) -> None:
        self.layer = layer
        self._etags: cachetools.LRUCache[str, str] = cachetools.LRUCache(_KEYS_REMEMBERED)
        self._trusted: cachetools.TTLCache[str, ObjectMeta] | None = (
            cachetools.TTLCache(_KEYS_REMEMBERED, ttl=trust_seconds, timer=clock.monotonic)
            if trust_seconds > 0
            else None
        )

    async def read(self, key: str) -> tuple[bytes, ObjectMeta]:
        """The current version's bytes and metadata (NotFoundError if there is none)."""
        known = self._etags.get(key)
        if known is not None:
            meta = self._trusted.get(key) if self._trusted is not None else None
            if meta is None:
                try:
                    meta = await self.layer.head(key)
                except NotFoundError:
                    self.forget(key)
                    raise
            if meta.etag == known:
                data = await self.layer.cache.get(_version_key(key, known))
                if data is not None:
                    if self._trusted is not None:
                        self._trusted[key] = meta
                    return data, meta
        data, meta = await self.layer.get_with_meta(key)
        await self.remember(key, data, meta)
        return data, meta

    async def remember(
        self, key: str, data: bytes, meta: ObjectMeta, *, complete: bool = True
    ) -> None:
        """Keep ``data`` as the bytes of the version ``meta`` describes. ``complete=False``
        says ``meta`` may lack fields (what a put returns), so it is checked before use."""
        self.forget(key)
        if meta.etag is None:
            return
        await self.layer.cache.set(_version_key(key, meta.etag), data)
        self._etags[key] = meta.etag
        if self._trusted is not None and complete:
            self._trusted[key] = meta

    def forget(self, key: str) -> None:
        """Stop answering reads of ``key`` from memory (it was written or deleted)."""
        self._etags.pop(key, None)
        if self._trusted is not None:
            self._trusted.pop(key, None)


def _version_key(key: str, etag: str) -> str:
    # NUL never occurs in a storage key, so this cannot collide with one.
    return f"{key}\x00{etag}"
