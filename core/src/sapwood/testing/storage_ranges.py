"""Conformance: reading part of an object with :class:`~sapwood.storage.ByteRange`."""

from __future__ import annotations

import pytest

from sapwood.errors import NotFoundError, StorageError
from sapwood.storage import ByteRange, Storage
from sapwood.testing._suite import ConformanceSuite
from sapwood.testing._support import sample_bytes

__all__ = ["ByteRangeTests"]

_SIZE = 1000

RANGE_CASES: tuple[tuple[str, ByteRange, slice], ...] = (
    ("start-end", ByteRange(10, 20), slice(10, 20)),
    ("from zero", ByteRange(0, 1), slice(0, 1)),
    ("whole object", ByteRange(0, _SIZE), slice(0, _SIZE)),
    ("open-ended", ByteRange(990), slice(990, None)),
    ("open-ended from zero", ByteRange(0), slice(0, None)),
    ("suffix", ByteRange.suffix(10), slice(_SIZE - 10, None)),
    ("suffix longer than object", ByteRange.suffix(5000), slice(0, None)),
    ("suffix of zero", ByteRange.suffix(0), slice(0, 0)),
    ("end past the end is clipped", ByteRange(995, 2000), slice(995, None)),
    ("start at the end", ByteRange(_SIZE), slice(0, 0)),
    ("start past the end", ByteRange(1500, 1600), slice(0, 0)),
    ("empty range", ByteRange(5, 5), slice(0, 0)),
)


class ByteRangeTests(ConformanceSuite):
    """Ranged reads; a backend without ``byte_ranges`` either emulates them exactly or
    refuses with a StorageError."""

    @pytest.mark.parametrize(
        ("byte_range", "expected"),
        [pytest.param(r, s, id=name) for name, r, s in RANGE_CASES],
    )
    async def test_ranged_get(self, store: Storage, byte_range: ByteRange, expected: slice) -> None:
        payload = sample_bytes(_SIZE, seed=7)
        await store.put("ranged", payload)
        try:
            got = await store.get("ranged", byte_range)
        except StorageError:
            if store.capabilities.byte_ranges:
                raise
            return
        assert got == payload[expected]

    async def test_ranged_get_with_meta(self, store: Storage) -> None:
        payload = sample_bytes(_SIZE, seed=8)
        written = await store.put("ranged", payload)
        if not store.capabilities.byte_ranges:
            try:
                data, _ = await store.get_with_meta("ranged", ByteRange(100, 200))
            except StorageError:
                return
            assert data == payload[100:200]
            return
        data, meta = await store.get_with_meta("ranged", ByteRange(100, 200))
        assert data == payload[100:200]
        assert meta.etag == written.etag
        assert meta.size == _SIZE, "meta.size is the whole object's size, not the range's"

    async def test_range_of_an_empty_object_is_empty(self, store: Storage) -> None:
        await store.put("empty", b"")
        for byte_range in (ByteRange(0, 10), ByteRange(0), ByteRange.suffix(4)):
            try:
                assert await store.get("empty", byte_range) == b""
            except StorageError:
                if store.capabilities.byte_ranges:
                    raise

    async def test_range_of_a_missing_key_is_not_found(self, store: Storage) -> None:
        with pytest.raises(NotFoundError):
            await store.get("missing", ByteRange(0, 10))
