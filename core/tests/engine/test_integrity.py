"""Stored bytes are verified when read: tampering is an IntegrityError, never wrong data."""

from __future__ import annotations

import pytest

from sapwood.aio import AsyncRepository
from sapwood.engine.keys import BLOBS, MANIFESTS, SNAPSHOTS
from sapwood.errors import IntegrityError
from sapwood_memory.storage import MemoryStorage


async def keys_under(store: MemoryStorage, prefix: str) -> list[str]:
    return [item.key async for item in store.list(prefix)]  # type: ignore[union-attr]


async def tamper(store: MemoryStorage, key: str) -> None:
    data = bytearray(await store.get(key))
    data[len(data) // 2] ^= 0xFF
    await store.put(key, bytes(data))


async def committed(name: str) -> AsyncRepository:
    repo = await AsyncRepository.create(f"memory://{name}")
    branch = repo.branch("main")
    await branch.upload(b"a" * 5000, "data/big.bin")
    await branch.upload(b"small", "data/small.txt")
    await branch.commit_changes("data")
    return repo


async def reopened(name: str) -> AsyncRepository:
    return await AsyncRepository.open(f"memory://{name}")


async def test_a_tampered_blob_is_an_integrity_error(memory_name: str) -> None:
    await committed(memory_name)
    store = MemoryStorage(memory_name)
    (blob,) = await keys_under(store, BLOBS)
    await tamper(store, blob)
    repo = await reopened(memory_name)
    with pytest.raises(IntegrityError, match="damaged"):
        await repo.branch("main").download("data/big.bin")
    assert await repo.branch("main").download("data/small.txt") == b"small"


async def test_a_missing_blob_is_an_integrity_error(memory_name: str) -> None:
    await committed(memory_name)
    store = MemoryStorage(memory_name)
    (blob,) = await keys_under(store, BLOBS)
    await store.delete(blob)
    repo = await reopened(memory_name)
    with pytest.raises(IntegrityError, match="missing"):
        await repo.branch("main").download("data/big.bin")


async def test_a_tampered_manifest_pack_is_an_integrity_error(memory_name: str) -> None:
    await committed(memory_name)
    store = MemoryStorage(memory_name)
    for key in await keys_under(store, MANIFESTS):
        await tamper(store, key)
    repo = await reopened(memory_name)
    with pytest.raises(IntegrityError):
        await repo.branch("main").download("data/small.txt")


async def test_a_tampered_snapshot_is_an_integrity_error(memory_name: str) -> None:
    repo = await committed(memory_name)
    head = (await repo.branch("main").get_commit()).id
    store = MemoryStorage(memory_name)
    await tamper(store, f"{SNAPSHOTS}{head}")
    fresh = await reopened(memory_name)
    with pytest.raises(IntegrityError):
        await fresh.branch("main").get_commit()
