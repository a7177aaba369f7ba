"""Conformance: listing by prefix, with a delimiter, after a key, and across pages."""

from __future__ import annotations

import random
from typing import ClassVar

from sapwood.storage import CommonPrefix, ObjectMeta, Storage
from sapwood.testing._suite import ConformanceSuite
from sapwood.testing._support import (
    assert_refused,
    collect,
    common_prefixes,
    entry_names,
    gather_bounded,
    object_keys,
)

__all__ = ["ListingTests"]

TREE: tuple[str, ...] = ("data/a", "data/b/c", "data/b/d", "data2/x", "other")

ORDER_KEYS: tuple[str, ...] = (
    "A",
    "B",
    "a!",
    "a-b",
    "a.b",
    "a/b",
    "a0",
    "aa",
    "b",
    "z~",
    "é",
    "日本",
)
"""Already in code-point order (UTF-8 byte order), which every listing must follow."""


class ListingTests(ConformanceSuite):
    """``list(prefix, delimiter, start_after)``.

    ``MANY_KEYS`` keys are written ``WRITE_CONCURRENCY`` at a time to cross the 1,000-key
    page size most services use.
    """

    MANY_KEYS: ClassVar[int] = 1100
    WRITE_CONCURRENCY: ClassVar[int] = 32

    async def _tree(self, store: Storage) -> None:
        for key in TREE:
            await store.put(key, key.encode())

    async def test_list_of_an_empty_store_is_empty(self, store: Storage) -> None:
        assert await collect(store.list()) == []
        assert await collect(store.list("nothing/here/")) == []

    async def test_list_everything(self, store: Storage) -> None:
        await self._tree(store)
        listed = await collect(store.list())
        assert entry_names(listed) == list(TREE)
        assert all(isinstance(e, ObjectMeta) for e in listed)

    async def test_listed_meta_matches_head(self, store: Storage) -> None:
        await store.put("m/one", b"12345", content_type="text/plain")
        (listed,) = await collect(store.list("m/"))
        assert isinstance(listed, ObjectMeta)
        head = await store.head("m/one")
        assert (listed.key, listed.size) == ("m/one", 5)
        if listed.etag is not None:
            assert listed.etag == head.etag, "a listed etag must be the one head reports"

    async def test_list_by_folder_prefix(self, store: Storage) -> None:
        await self._tree(store)
        assert object_keys(await collect(store.list("data/"))) == ["data/a", "data/b/c", "data/b/d"]
        assert object_keys(await collect(store.list("data/b/"))) == ["data/b/c", "data/b/d"]

    async def test_prefix_is_a_plain_string_prefix(self, store: Storage) -> None:
        await self._tree(store)
        assert object_keys(await collect(store.list("data"))) == [
            "data/a",
            "data/b/c",
            "data/b/d",
            "data2/x",
        ]
        assert object_keys(await collect(store.list("oth"))) == ["other"]
        assert object_keys(await collect(store.list("data/b/c"))) == ["data/b/c"]

    async def test_list_with_delimiter_groups_common_prefixes(self, store: Storage) -> None:
        await self._tree(store)
        if not store.capabilities.delimiter_listing:
            await assert_refused(collect(store.list("", "/")), "delimiter listing")
            return
        top = await collect(store.list("", "/"))
        assert top == [CommonPrefix("data/"), CommonPrefix("data2/"), _meta_named(top, "other")]
        inner = await collect(store.list("data/", "/"))
        assert entry_names(inner) == ["data/a", "data/b/"]
        assert isinstance(inner[0], ObjectMeta)
        assert inner[1] == CommonPrefix("data/b/")
        assert entry_names(await collect(store.list("data/b/", "/"))) == ["data/b/c", "data/b/d"]
        assert entry_names(await collect(store.list("da", "/"))) == ["data/", "data2/"]

    async def test_start_after(self, store: Storage) -> None:
        await self._tree(store)
        after = await collect(store.list(start_after="data/b/c"))
        assert entry_names(after) == ["data/b/d", "data2/x", "other"]
        absent = await collect(store.list(start_after="data/aa"))
        assert entry_names(absent) == ["data/b/c", "data/b/d", "data2/x", "other"]
        assert await collect(store.list(start_after="zzz")) == []
        within = await collect(store.list("data/", start_after="data/a"))
        assert entry_names(within) == ["data/b/c", "data/b/d"]
        before_prefix = await collect(store.list("data2/", start_after="a"))
        assert entry_names(before_prefix) == ["data2/x"]

    async def test_start_after_with_delimiter(self, store: Storage) -> None:
        await self._tree(store)
        if not store.capabilities.delimiter_listing:
            await assert_refused(collect(store.list("", "/", "data")), "delimiter listing")
            return
        listed = await collect(store.list("", "/", start_after="data/b/c"))
        assert entry_names(listed) == ["data/", "data2/", "other"]
        listed = await collect(store.list("", "/", start_after="data2/x"))
        assert entry_names(listed) == ["other"]

    async def test_listing_follows_code_point_order(self, store: Storage) -> None:
        shuffled = list(ORDER_KEYS)
        random.Random(3).shuffle(shuffled)
        for key in shuffled:
            await store.put(key, b"")
        assert object_keys(await collect(store.list())) == sorted(ORDER_KEYS)

    async def test_listing_across_many_pages(self, store: Storage) -> None:
        count = self.MANY_KEYS
        keys = [f"many/g{i // 100:02d}/k{i:05d}" for i in range(count)]
        shuffled = list(keys)
        random.Random(11).shuffle(shuffled)
        await gather_bounded(
            (store.put(key, b"x") for key in shuffled), limit=self.WRITE_CONCURRENCY
        )
        await store.put("outside", b"y")

        everything = object_keys(await collect(store.list("many/")))
        assert len(everything) == count
        assert everything == keys

        middle = keys[count // 2]
        after = object_keys(await collect(store.list("many/", start_after=middle)))
        assert after == keys[count // 2 + 1 :]

        if store.capabilities.delimiter_listing:
            groups = sorted({key.rsplit("/", 1)[0] + "/" for key in keys})
            folded = await collect(store.list("many/", "/"))
            assert common_prefixes(folded) == groups
            assert object_keys(folded) == []
            assert entry_names(await collect(store.list("", "/"))) == ["many/", "outside"]

        await store.delete_many(keys)
        assert entry_names(await collect(store.list())) == ["outside"]


def _meta_named(entries: list[CommonPrefix | ObjectMeta], key: str) -> ObjectMeta:
    for entry in entries:
        if isinstance(entry, ObjectMeta) and entry.key == key:
            return entry
    raise AssertionError(f"{key!r} missing from listing {entry_names(entries)}")
