"""Uploads write behind: the call returns once the blob write has started, and nothing is
lost on the way (reads wait, commits wait and fail loudly, the next upload reports)."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import Mapping

import pytest

from sapwood.aio import AsyncRepository
from sapwood.config import RepositoryConfig, RetriesConfig
from sapwood.errors import StorageError
from sapwood.storage import ForwardingStorage, ObjectMeta, PutMode
from sapwood_memory.storage import MemoryStorage

NO_RETRIES = RepositoryConfig(retries=RetriesConfig(max_attempts=1))
CONTENT = b"x" * 4096
CONTENT_ID = hashlib.sha256(CONTENT).hexdigest()


class GatedBlobs(ForwardingStorage):
    """Holds blob writes until ``gate`` opens; fails them while ``failing`` is set."""

    def __init__(self, inner: MemoryStorage) -> None:
        super().__init__(inner)
        self.gate = asyncio.Event()
        self.gate.set()
        self.failing = False

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        if key.startswith("blobs/"):
            await self.gate.wait()
            if self.failing:
                raise StorageError(f"refusing {key} (test)", key=key)
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)


async def _repository(memory_name: str) -> tuple[AsyncRepository, GatedBlobs]:
    store = GatedBlobs(MemoryStorage(memory_name))
    return await AsyncRepository.create(store, config=NO_RETRIES), store


async def test_upload_returns_before_the_blob_lands_and_reads_wait_for_it(
    memory_name: str,
) -> None:
    repo, store = await _repository(memory_name)
    main = repo.branch("main")
    store.gate.clear()
    await asyncio.wait_for(main.upload(CONTENT, "a.bin"), timeout=30)  # not held by the gate
    reading = asyncio.ensure_future(main.download("a.bin"))
    await asyncio.sleep(0.05)
    assert not reading.done()  # waits for the write, rather than calling the blob missing
    store.gate.set()
    assert await reading == CONTENT
    await main.commit_changes("a")
    await repo.close()


async def test_a_commit_waits_for_its_blobs(memory_name: str) -> None:
    repo, store = await _repository(memory_name)
    main = repo.branch("main")
    store.gate.clear()
    await main.upload(CONTENT, "a.bin")
    committing = asyncio.ensure_future(main.commit_changes("a"))
    await asyncio.sleep(0.05)
    assert not committing.done()
    store.gate.set()
    await committing
    fresh = await AsyncRepository.open(store.inner)
    assert await fresh.branch("main").download("a.bin") == CONTENT
    await fresh.close()
    await repo.close()


async def test_a_failed_write_fails_the_commit_and_the_next_upload(memory_name: str) -> None:
    repo, store = await _repository(memory_name)
    main = repo.branch("main")
    store.failing = True
    await main.upload(CONTENT, "a.bin")
    await asyncio.sleep(0.05)
    with pytest.raises(StorageError, match="earlier upload"):
        await main.upload(b"y" * 4096, "b.bin")
    with pytest.raises(StorageError, match="upload that file again"):
        await main.commit_changes("lost?")
    newest = [c async for c in main.log(max_amount=1)]
    assert newest[0].message != "lost?"
    store.failing = False
    await main.upload(CONTENT, "a.bin")  # the same content again: stored this time
    await main.commit_changes("a")
    fresh = await AsyncRepository.open(store.inner)
    assert await fresh.branch("main").download("a.bin") == CONTENT
    await fresh.close()
    await repo.close()


async def test_a_handle_sees_its_own_commit_at_once_and_others_within_the_bound(
    memory_name: str,
) -> None:
    repo = await AsyncRepository.create(f"memory://{memory_name}")
    other = await AsyncRepository.open(f"memory://{memory_name}")
    main, elsewhere = repo.branch("main"), other.branch("main")
    await main.upload(b"one", "f")
    await main.commit_changes("one")
    assert await main.download("f") == b"one"  # read-your-writes
    assert await elsewhere.download("f") == b"one"
    await main.upload(b"two", "f")
    await main.commit_changes("two")
    assert await main.download("f") == b"two"
    ttl = other.engine.refs.head_max_age
    assert ttl > 0
    await asyncio.sleep(ttl * 1.5)
    assert await elsewhere.download("f") == b"two"  # revalidated after the bound
    await other.close()
    await repo.close()


async def test_a_fork_writes_through_so_its_blobs_land_before_it_travels(
    memory_name: str,
) -> None:
    repo, store = await _repository(memory_name)
    session = await repo.writable_session("main")
    await session.repository()
    fork = session.fork()
    store.gate.clear()
    uploading = asyncio.ensure_future(fork.upload(CONTENT, "a.bin"))
    await asyncio.sleep(0.05)
    assert not uploading.done()  # held until the blob is stored
    store.gate.set()
    await uploading
    assert await store.inner.get(f"blobs/{CONTENT_ID[:2]}/{CONTENT_ID}")
    await repo.close()
