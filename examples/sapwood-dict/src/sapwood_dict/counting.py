"""A wrapper rather than a store: counts the reads that reach the store it wraps."""

from __future__ import annotations

from sapwood.storage import ByteRange, ForwardingStorage, Storage

__all__ = ["CountingStorage"]


class CountingStorage(ForwardingStorage):
    """Forwards every call to ``inner``; counts the ``get`` calls on the way."""

    def __init__(self, inner: Storage) -> None:
        super().__init__(inner)
        self.gets = 0

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        self.gets += 1
        return await super().get(key, byte_range)
