"""The limiting wrapper: every request to the store takes a slot of a :class:`Limiter`.

Writes are charged their size up front; reads are charged what they returned, after the
fact (see :mod:`sapwood.layer.limits`). Below the retry wrapper, each attempt takes its
own slot, and above the attempt timeout, so waiting for a slot is never timed out.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping

from sapwood.extensions import Limiter
from sapwood.storage import ByteRange, ForwardingStorage, ListEntry, ObjectMeta, PutMode, Storage

__all__ = ["LimitedStorage"]


class LimitedStorage(ForwardingStorage):
    """Each call to ``inner`` runs inside one of ``limiter``'s slots."""

    def __init__(self, inner: Storage, limiter: Limiter) -> None:
        super().__init__(inner)
        self.limiter = limiter

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """A limited read, charged the bytes it returned."""
        async with self.limiter.slot("read") as slot:
            data = await self.inner.get(key, byte_range)
            await slot.charge(len(data))
            return data

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """A limited read of bytes and metadata, charged the bytes it returned."""
        async with self.limiter.slot("read") as slot:
            found = await self.inner.get_with_meta(key, byte_range)
            await slot.charge(len(found[0]))
            return found

    async def head(self, key: str) -> ObjectMeta:
        """A limited head."""
        async with self.limiter.slot("other"):
            return await self.inner.head(key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """A limited write, charged its size before it starts."""
        async with self.limiter.slot("write", len(data)):
            return await self.inner.put(
                key, data, mode=mode, content_type=content_type, metadata=metadata
            )

    async def delete(self, key: str) -> None:
        """A limited delete."""
        async with self.limiter.slot("other"):
            await self.inner.delete(key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """A limited batch delete (one request)."""
        async with self.limiter.slot("other"):
            await self.inner.delete_many(keys)

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """A listing whose first request takes a slot (later pages ride on it)."""
        source = self.inner.list(prefix, delimiter, start_after)
        try:
            async with self.limiter.slot("other"):
                try:
                    first = await anext(source)
                except StopAsyncIteration:
                    return
            yield first
            async for entry in source:
                yield entry
        finally:
            closer = getattr(source, "aclose", None)
            if closer is not None:
                await closer()
