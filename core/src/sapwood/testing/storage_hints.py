"""Conformance: writes made inside the storage contract's hint blocks
(:func:`~sapwood.storage.content_addressed_writes`,
:func:`~sapwood.storage.deferred_durability`) behave as any other write does to a reader,
whatever shortcut the backend takes for them."""

from __future__ import annotations

import asyncio

import pytest

from sapwood.errors import AlreadyExistsError, NotFoundError
from sapwood.storage import (
    ObjectMeta,
    Storage,
    content_addressed_writes,
    deferred_durability,
    immutable_object_writes,
    writes_content_addressed,
)
from sapwood.testing._suite import ConformanceSuite
from sapwood.testing._support import assert_refused

__all__ = ["HintedWriteTests"]

BLOB = bytes(range(256)) * 16
"""A 4 KiB object, as a Zarr chunk would be."""


class HintedWriteTests(ConformanceSuite):
    """Writes of immutable keys inside the hint blocks read back as any write does;
    conditional writes and metadata keep their meaning there. (Racing writers of one key
    are left to each backend's own tests: some emulators fail concurrent writes of one
    key outright.)"""

    async def test_the_hint_holds_only_inside_its_block(self, store: Storage) -> None:
        assert writes_content_addressed() is False
        with content_addressed_writes():
            assert writes_content_addressed() is True
            assert await asyncio.to_thread(writes_content_addressed) is True
        assert writes_content_addressed() is False

    async def test_an_immutable_write_reads_back(self, store: Storage) -> None:
        with immutable_object_writes():
            meta = await store.put("blobs/ab/abcdef", BLOB)
        assert await store.get("blobs/ab/abcdef") == BLOB
        head = await store.head("blobs/ab/abcdef")
        assert head.size == meta.size == len(BLOB)
        assert meta.etag, "put must return the new object's etag"
        assert head.etag == meta.etag, "head must report the etag put returned"
        data, seen = await store.get_with_meta("blobs/ab/abcdef")
        assert data == BLOB
        assert seen.etag == meta.etag

    async def test_rewriting_an_immutable_key_keeps_its_bytes(self, store: Storage) -> None:
        with content_addressed_writes():
            await store.put("same", BLOB)
            again = await store.put("same", BLOB)
        assert await store.get("same") == BLOB
        assert (await store.head("same")).etag == again.etag

    async def test_an_immutable_key_can_be_deleted_and_written_again(self, store: Storage) -> None:
        with immutable_object_writes():
            await store.put("blobs/cd/cdef", BLOB)
        await store.delete("blobs/cd/cdef")
        with pytest.raises(NotFoundError):
            await store.get("blobs/cd/cdef")
        with immutable_object_writes():
            await store.put("blobs/cd/cdef", BLOB)
        assert await store.get("blobs/cd/cdef") == BLOB

    async def test_many_immutable_keys_list_back(self, store: Storage) -> None:
        keys = [f"blobs/{i % 4:02x}/{i:04x}" for i in range(40)]
        with immutable_object_writes():
            await asyncio.gather(*(store.put(key, BLOB) for key in keys))
        listed = sorted([e.key async for e in store.list("blobs/") if isinstance(e, ObjectMeta)])
        assert listed == sorted(keys)

    async def test_conditional_create_keeps_its_meaning_inside_the_hint(
        self, store: Storage
    ) -> None:
        await store.put("taken", b"original")
        with content_addressed_writes(), deferred_durability():
            if not store.capabilities.conditional_create:
                await assert_refused(store.put("taken", b"x", mode="create"), "conditional create")
            else:
                with pytest.raises(AlreadyExistsError):
                    await store.put("taken", b"intruder", mode="create")
        assert await store.get("taken") == b"original"

    async def test_metadata_written_inside_the_hint_is_kept(self, store: Storage) -> None:
        with content_addressed_writes():
            await store.put(
                "described", BLOB, content_type="application/x-test", metadata={"k": "v"}
            )
        head = await store.head("described")
        assert head.content_type == "application/x-test"
        assert head.metadata == {"k": "v"}
