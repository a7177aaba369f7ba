"""Behaviour specific to the memory backend: naming, sharing, prefixes, threads."""

from __future__ import annotations

import asyncio
import threading
import uuid

import pytest

from sapwood.config import ObjectStoreConfig
from sapwood.errors import ConfigError, InvalidPathError, NotFoundError, PreconditionFailedError
from sapwood.storage import ObjectMeta, Storage, Update
from sapwood.stores import open_storage
from sapwood_memory import MemoryStorage, bucket_names, drop_bucket


def _name() -> str:
    return f"t-{uuid.uuid4().hex}"


def test_url_parses_to_memory_config() -> None:
    config = ObjectStoreConfig.from_url("memory://scratch")
    assert (config.object_store, config.bucket, config.prefix) == ("memory", "scratch", "")


async def test_open_storage_from_url_gives_a_memory_store() -> None:
    name = _name()
    store = open_storage(f"memory://{name}")
    assert isinstance(store, Storage)
    await store.put("k", b"v")
    assert await MemoryStorage(name).get("k") == b"v"
    drop_bucket(name)


async def test_same_name_shares_data_and_other_names_do_not() -> None:
    name, other = _name(), _name()
    await MemoryStorage(name).put("k", b"shared")
    assert await MemoryStorage(name).get("k") == b"shared"
    with pytest.raises(NotFoundError):
        await MemoryStorage(other).get("k")
    drop_bucket(name)
    drop_bucket(other)


async def test_prefix_stores_keys_under_it() -> None:
    name = _name()
    inner = open_storage(f"memory://{name}/some/prefix")
    meta = await inner.put("a/b", b"x")
    assert meta.key == "a/b"
    outer = MemoryStorage(name)
    assert await outer.get("some/prefix/a/b") == b"x"
    keys = [e.key async for e in inner.list() if isinstance(e, ObjectMeta)]
    assert keys == ["a/b"]
    await outer.put("elsewhere", b"y")
    assert [e.key async for e in inner.list() if isinstance(e, ObjectMeta)] == ["a/b"]
    drop_bucket(name)


def test_a_store_needs_a_name() -> None:
    with pytest.raises(ConfigError):
        MemoryStorage("")


async def test_empty_key_is_rejected() -> None:
    with pytest.raises(InvalidPathError):
        await MemoryStorage(_name()).put("", b"x")


async def test_drop_bucket_forgets_everything() -> None:
    name = _name()
    await MemoryStorage(name).put("k", b"v")
    assert name in bucket_names()
    drop_bucket(name)
    assert name not in bucket_names()
    with pytest.raises(NotFoundError):
        await MemoryStorage(name).get("k")
    drop_bucket(name)


async def test_returned_metadata_cannot_change_the_stored_object() -> None:
    store = MemoryStorage(_name())
    meta = await store.put("k", b"v", metadata={"a": "1"})
    meta.metadata["a"] = "changed"
    (await store.head("k")).metadata["a"] = "changed too"
    assert (await store.head("k")).metadata == {"a": "1"}
    drop_bucket(store.name)


def test_threads_with_their_own_event_loops_share_one_store_without_lost_updates() -> None:
    name = _name()
    asyncio.run(MemoryStorage(name).put("counter", b"0"))

    async def increment(times: int) -> None:
        store = MemoryStorage(name)
        done = 0
        while done < times:
            data, meta = await store.get_with_meta("counter")
            assert meta.etag is not None
            try:
                await store.put("counter", b"%d" % (int(data) + 1), mode=Update(meta.etag))
            except PreconditionFailedError:
                continue
            done += 1

    threads = [threading.Thread(target=asyncio.run, args=(increment(50),)) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert asyncio.run(MemoryStorage(name).get("counter")) == b"400"
    drop_bucket(name)


async def test_listing_stays_correct_through_deletes_and_recreates() -> None:
    store = MemoryStorage(_name())
    for i in range(100):
        await store.put(f"k{i:03d}", b"")
    assert len([e async for e in store.list()]) == 100
    await store.delete_many(f"k{i:03d}" for i in range(0, 100, 2))
    for i in range(0, 20, 2):
        await store.put(f"k{i:03d}", b"again")
    keys = [e.key async for e in store.list() if isinstance(e, ObjectMeta)]
    expected = sorted(
        {f"k{i:03d}" for i in range(1, 100, 2)} | {f"k{i:03d}" for i in range(0, 20, 2)}
    )
    assert keys == expected
    await store.clear()
    assert [e async for e in store.list()] == []
    drop_bucket(store.name)
