"""Conformance: one large object, whole and in ranges."""

from __future__ import annotations

from typing import ClassVar

from sapwood.errors import StorageError
from sapwood.storage import ByteRange, Storage
from sapwood.testing._suite import ConformanceSuite
from sapwood.testing._support import digest, sample_bytes

__all__ = ["LargeObjectTests"]

MIB = 1024 * 1024


class LargeObjectTests(ConformanceSuite):
    """A ``LARGE_OBJECT_SIZE`` object (64 MiB by default) round-trips, whole and ranged.

    A subclass may lower ``LARGE_OBJECT_SIZE`` for a slow emulator, saying why.
    """

    LARGE_OBJECT_SIZE: ClassVar[int] = 64 * MIB

    async def test_large_object_round_trip(self, store: Storage) -> None:
        size = self.LARGE_OBJECT_SIZE
        payload = sample_bytes(size, seed=64)
        written = await store.put("large/blob.bin", payload)
        assert written.size == size
        meta = await store.head("large/blob.bin")
        assert meta.size == size
        assert meta.etag == written.etag
        assert digest(await store.get("large/blob.bin")) == digest(payload)

        start, end = max(0, size // 2 - 1000), size // 2 + 5000
        ranges = [
            (ByteRange(start, end), payload[start:end]),
            (
                ByteRange(max(0, size // 4 - 7), size * 3 // 4 + 3),
                payload[max(0, size // 4 - 7) : size * 3 // 4 + 3],
            ),
            (ByteRange.suffix(4096), payload[-4096:]),
            (ByteRange(max(0, size - 10)), payload[-10:]),
        ]
        for byte_range, expected in ranges:
            try:
                got = await store.get("large/blob.bin", byte_range)
            except StorageError:
                if store.capabilities.byte_ranges:
                    raise
                continue
            assert digest(got) == digest(expected), f"range {byte_range}"
