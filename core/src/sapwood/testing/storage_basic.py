"""Conformance: reading, writing, heading and deleting single objects."""

from __future__ import annotations

from datetime import datetime

import pytest

from sapwood.errors import NotFoundError
from sapwood.storage import Capabilities, ObjectMeta, Storage
from sapwood.testing._suite import ConformanceSuite
from sapwood.testing._support import collect, object_keys

__all__ = ["ReadWriteTests"]

ODD_KEYS: tuple[str, ...] = (
    "ünïcødé/日本語/ファイル.bin",
    "with space/and more  spaces.txt",
    "deep/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/leaf.dat",
    "symbols/a+b=c&d@e,f;g$h!i'j(k)l~m%20n.txt",
    "emoji/🌳-sapwood",
)
"""Keys every backend must store and list back unchanged. None is a prefix folder of
another key, so folder-backed stores can hold them all."""


class ReadWriteTests(ConformanceSuite):
    """get, put, head, get_with_meta, delete and delete_many on single keys."""

    async def test_store_follows_the_storage_protocol(self, store: Storage) -> None:
        assert isinstance(store, Storage)
        assert isinstance(store.capabilities, Capabilities)
        assert store.capabilities.max_delete_batch >= 1

    async def test_put_then_get_returns_the_same_bytes(self, store: Storage) -> None:
        meta = await store.put("greeting.txt", b"hello, sapwood")
        assert await store.get("greeting.txt") == b"hello, sapwood"
        assert meta.key == "greeting.txt"
        assert meta.size == len(b"hello, sapwood")
        assert meta.etag, "put must return the new object's etag"

    async def test_head_describes_the_object_put(self, store: Storage) -> None:
        written = await store.put("a/b.bin", b"\x00\x01\x02" * 100)
        meta = await store.head("a/b.bin")
        assert meta.key == "a/b.bin"
        assert meta.size == 300
        assert meta.etag == written.etag, "head must report the etag put returned"
        assert isinstance(meta.last_modified, datetime)
        assert meta.last_modified.tzinfo is not None, "last_modified must be timezone-aware"

    async def test_overwrite_replaces_content_and_etag(self, store: Storage) -> None:
        first = await store.put("k", b"first")
        second = await store.put("k", b"second, longer")
        assert await store.get("k") == b"second, longer"
        assert (await store.head("k")).size == len(b"second, longer")
        assert first.etag != second.etag

    async def test_get_with_meta_matches_head(self, store: Storage) -> None:
        written = await store.put("gwm", b"payload")
        data, meta = await store.get_with_meta("gwm")
        assert data == b"payload"
        assert meta.etag == written.etag == (await store.head("gwm")).etag
        assert meta.size == 7

    async def test_get_of_a_missing_key_is_not_found(self, store: Storage) -> None:
        with pytest.raises(NotFoundError):
            await store.get("missing/key")

    async def test_not_found_is_a_file_not_found_error(self, store: Storage) -> None:
        with pytest.raises(FileNotFoundError):
            await store.get("missing")

    async def test_head_of_a_missing_key_is_not_found(self, store: Storage) -> None:
        with pytest.raises(NotFoundError):
            await store.head("missing/key")

    async def test_get_with_meta_of_a_missing_key_is_not_found(self, store: Storage) -> None:
        with pytest.raises(NotFoundError):
            await store.get_with_meta("missing/key")

    async def test_delete_removes_the_object(self, store: Storage) -> None:
        await store.put("doomed", b"x")
        await store.delete("doomed")
        with pytest.raises(NotFoundError):
            await store.get("doomed")
        with pytest.raises(NotFoundError):
            await store.head("doomed")
        assert await collect(store.list()) == []

    async def test_delete_of_a_missing_key_is_not_an_error(self, store: Storage) -> None:
        await store.delete("never/existed")
        await store.put("kept", b"x")
        await store.delete("never/existed")
        assert await store.get("kept") == b"x"

    async def test_delete_many_removes_only_the_given_keys(self, store: Storage) -> None:
        for key in ("d/1", "d/2", "d/3", "keep/1"):
            await store.put(key, key.encode())
        await store.delete_many(["d/1", "d/3", "d/not-there"])
        assert object_keys(await collect(store.list())) == ["d/2", "keep/1"]
        await store.delete_many([])
        await store.delete_many(iter(["d/2"]))
        assert object_keys(await collect(store.list())) == ["keep/1"]

    async def test_content_type_and_metadata_round_trip(self, store: Storage) -> None:
        metadata = {"author": "ada", "run_id": "42", "note": "plain ascii value"}
        written = await store.put(
            "typed.json", b"{}", content_type="application/json", metadata=metadata
        )
        assert written.content_type == "application/json"
        meta = await store.head("typed.json")
        assert meta.content_type == "application/json"
        assert meta.metadata == metadata
        _, with_data = await store.get_with_meta("typed.json")
        assert with_data.content_type == "application/json"
        assert with_data.metadata == metadata

    async def test_overwrite_replaces_metadata(self, store: Storage) -> None:
        await store.put("m", b"1", content_type="text/plain", metadata={"old": "yes"})
        await store.put("m", b"2", content_type="application/octet-stream", metadata={"new": "1"})
        meta = await store.head("m")
        assert meta.content_type == "application/octet-stream"
        assert meta.metadata == {"new": "1"}

    async def test_no_metadata_reads_back_empty(self, store: Storage) -> None:
        await store.put("plain", b"x")
        assert (await store.head("plain")).metadata == {}

    @pytest.mark.parametrize("key", ODD_KEYS)
    async def test_unusual_keys_round_trip(self, store: Storage, key: str) -> None:
        payload = key.encode()
        written = await store.put(key, payload)
        assert written.key == key
        assert await store.get(key) == payload
        assert (await store.head(key)).key == key
        listed = await collect(store.list())
        assert object_keys(listed) == [key], "listing must return the key exactly as written"
        await store.delete(key)
        with pytest.raises(NotFoundError):
            await store.head(key)

    async def test_all_unusual_keys_coexist_and_list_in_order(self, store: Storage) -> None:
        for key in ODD_KEYS:
            await store.put(key, key.encode())
        assert object_keys(await collect(store.list())) == sorted(ODD_KEYS)
        for key in ODD_KEYS:
            assert await store.get(key) == key.encode()

    async def test_empty_object(self, store: Storage) -> None:
        written = await store.put("empty", b"")
        assert written.size == 0
        assert await store.get("empty") == b""
        assert (await store.head("empty")).size == 0
        listed = [e for e in await collect(store.list()) if isinstance(e, ObjectMeta)]
        assert [(m.key, m.size) for m in listed] == [("empty", 0)]

    async def test_binary_content_is_kept_byte_for_byte(self, store: Storage) -> None:
        payload = bytes(range(256)) * 16 + b"\r\n\x00\xff"
        await store.put("bin", payload)
        assert await store.get("bin") == payload
