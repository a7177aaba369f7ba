"""Sequential read-ahead: a download loop walking a snapshot's paths in order gets the
next blobs fetched concurrently; any other access fetches nothing ahead; a failed fetch
ahead surfaces only from the read of that object; ``read_ahead_max_objects=0`` turns it
off. Counted at the store (every blob GET that reached the memory backend)."""

from __future__ import annotations

import asyncio
import hashlib
import random
from collections import Counter

import pytest

from sapwood.aio import AsyncRepository
from sapwood.config import CachingConfig, ChunkingConfig, RepositoryConfig, RetriesConfig
from sapwood.engine.keys import blob_key
from sapwood.errors import StorageError
from sapwood.layer import MemoryMetrics
from sapwood.storage import ByteRange, ForwardingStorage, ObjectMeta
from sapwood_memory.storage import MemoryStorage

COUNT = 12
SIZE = 1024  # above the inline threshold: each file is one blob


def _content(index: int) -> bytes:
    return random.Random(index).randbytes(SIZE)


def _path(index: int) -> str:
    return f"data/{index:03d}.bin"


def _blob(index: int) -> str:
    return blob_key(hashlib.sha256(_content(index)).digest())


class BlobGets(ForwardingStorage):
    """Records every blob read that reaches the store; fails those in ``failing`` (each
    key as many times as its count says, ``-1``: always)."""

    def __init__(self, inner: MemoryStorage) -> None:
        super().__init__(inner)
        self.gets: Counter[str] = Counter()
        self.failing: dict[str, int] = {}
        self.arrived = asyncio.Condition()

    async def _seen(self, key: str) -> None:
        if not key.startswith("blobs/"):
            return
        async with self.arrived:
            self.gets[key] += 1
            self.arrived.notify_all()
        left = self.failing.get(key, 0)
        if left:
            self.failing[key] = left - 1 if left > 0 else left
            raise StorageError(f"refusing {key} (test)", key=key)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        await self._seen(key)
        return await super().get(key, byte_range)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        await self._seen(key)
        return await super().get_with_meta(key, byte_range)

    async def requested(self, keys: set[str]) -> None:
        """Wait until every key in ``keys`` was asked for."""
        async with self.arrived:
            await self.arrived.wait_for(lambda: keys <= set(self.gets))


async def _written(memory_name: str, count: int = COUNT) -> None:
    small_ranges = RepositoryConfig(chunking=ChunkingConfig(manifest_range_entries=16))
    repo = await AsyncRepository.create(MemoryStorage(memory_name), config=small_ranges)
    main = repo.branch("main")
    for index in range(count):
        await main.upload(_content(index), _path(index))
    await main.commit_changes("files")
    await repo.close()


async def _reopened(
    memory_name: str, caching: CachingConfig | None = None, count: int = COUNT
) -> tuple[AsyncRepository, BlobGets, MemoryMetrics]:
    await _written(memory_name, count)
    store = BlobGets(MemoryStorage(memory_name))
    config = RepositoryConfig(retries=RetriesConfig(max_attempts=1), caching=caching)
    repo = await AsyncRepository.open(store, config=config)
    metrics = MemoryMetrics()
    repo.engine.layer.metrics = metrics  # read-ahead records through the layer's backend
    return repo, store, metrics


def _count(metrics: MemoryMetrics, name: str) -> int:
    return len(metrics.values(name))


async def test_a_sequential_loop_fetches_the_successors_once_each(memory_name: str) -> None:
    repo, store, metrics = await _reopened(memory_name)
    main = repo.branch("main")
    assert await main.download(_path(0)) == _content(0)
    assert await main.download(_path(1)) == _content(1)
    # the second download was the first one's successor: the next two are on their way
    await asyncio.wait_for(store.requested({_blob(2), _blob(3)}), timeout=60)
    for index in range(2, COUNT):
        assert await main.download(_path(index)) == _content(index)
    assert store.gets == Counter({_blob(i): 1 for i in range(COUNT)})
    assert _count(metrics, "readahead.used") == COUNT - 2
    assert _count(metrics, "readahead.issued") == COUNT - 2
    await repo.close()


async def test_a_loop_over_many_manifest_ranges_reads_each_blob_once(memory_name: str) -> None:
    count = 70  # more than four ranges of 16 entries
    repo, store, metrics = await _reopened(memory_name, count=count)
    main = repo.branch("main")
    for index in range(count):
        assert await main.download(_path(index)) == _content(index)
    assert store.gets == Counter({_blob(i): 1 for i in range(count)})
    assert _count(metrics, "readahead.used") == count - 2
    await repo.close()


async def test_every_handle_kind_reads_ahead(memory_name: str) -> None:
    repo, store, _ = await _reopened(memory_name)
    session = await repo.readonly_session("main")
    for index in range(3):
        assert await session.download(_path(index)) == _content(index)
    await asyncio.wait_for(store.requested({_blob(3), _blob(4)}), timeout=60)
    await repo.close()


async def test_non_sequential_access_fetches_nothing_ahead(memory_name: str) -> None:
    repo, store, metrics = await _reopened(memory_name)
    main = repo.branch("main")
    order = [0, 2, 4, 6, 8, 10, 11, 9, 7, 5, 3, 1, 0]  # never a path's successor next
    for index in order:
        assert await main.download(_path(index)) == _content(index)
    assert set(store.gets) == {_blob(i) for i in order}
    assert _count(metrics, "readahead.issued") == 0
    await repo.close()


async def test_a_jump_cancels_the_window_and_starts_over(memory_name: str) -> None:
    repo, _store, metrics = await _reopened(memory_name)
    main = repo.branch("main")
    for index in (0, 1, 2):
        await main.download(_path(index))
    issued = _count(metrics, "readahead.issued")
    assert issued > 0
    assert await main.download(_path(9)) == _content(9)  # not the successor of 002
    assert _count(metrics, "readahead.issued") == issued
    assert _count(metrics, "readahead.dropped") + _count(metrics, "readahead.used") == issued
    await repo.close()


async def test_a_failed_fetch_ahead_surfaces_only_from_its_own_read(memory_name: str) -> None:
    repo, store, _metrics = await _reopened(memory_name)
    store.failing[_blob(3)] = -1
    main = repo.branch("main")
    for index in range(3):
        assert await main.download(_path(index)) == _content(index)
    await asyncio.wait_for(store.requested({_blob(3), _blob(4)}), timeout=60)
    with pytest.raises(StorageError, match="refusing"):
        await main.download(_path(3))
    assert store.gets[_blob(3)] == 2  # fetched ahead, then read again by its download
    for index in range(4, COUNT):
        assert await main.download(_path(index)) == _content(index)
    await repo.close()


async def test_a_fetch_ahead_that_failed_once_is_read_again(memory_name: str) -> None:
    repo, store, _ = await _reopened(memory_name)
    store.failing[_blob(3)] = 1
    main = repo.branch("main")
    for index in range(3):
        await main.download(_path(index))
    await asyncio.wait_for(store.requested({_blob(3)}), timeout=60)
    assert await main.download(_path(3)) == _content(3)
    await repo.close()


@pytest.mark.parametrize(
    "caching",
    [CachingConfig(read_ahead_max_objects=0), CachingConfig(read_ahead_max_bytes=0)],
    ids=["max_objects=0", "max_bytes=0"],
)
async def test_the_off_switch_fetches_only_what_is_read(
    memory_name: str, caching: CachingConfig
) -> None:
    repo, store, metrics = await _reopened(memory_name, caching)
    main = repo.branch("main")
    for index in range(COUNT):
        assert await main.download(_path(index)) == _content(index)
        assert set(store.gets) == {_blob(i) for i in range(index + 1)}
    assert _count(metrics, "readahead.issued") == 0
    await repo.close()


async def test_the_window_and_bytes_stay_within_their_bounds(memory_name: str) -> None:
    caching = CachingConfig(read_ahead_max_objects=3, read_ahead_max_bytes=2 * SIZE)
    repo, _store, metrics = await _reopened(memory_name, caching)
    main = repo.branch("main")
    for index in range(COUNT):
        assert await main.download(_path(index)) == _content(index)
        unread = (
            _count(metrics, "readahead.issued")
            - _count(metrics, "readahead.used")
            - _count(metrics, "readahead.dropped")
        )
        assert unread <= 2  # the bytes bound (2 files) is tighter than the window (3)
    assert _count(metrics, "readahead.used") == COUNT - 2
    await repo.close()


async def test_closing_the_repository_drops_fetches_in_flight(memory_name: str) -> None:
    repo, _store, metrics = await _reopened(memory_name)
    main = repo.branch("main")
    for index in range(3):
        await main.download(_path(index))
    await repo.close()
    assert _count(metrics, "readahead.dropped") > 0


async def test_concurrent_downloads_on_one_handle_read_only_what_they_ask(
    memory_name: str,
) -> None:
    repo, store, _metrics = await _reopened(memory_name)
    main = repo.branch("main")
    for index in range(3):  # a sequential start: fetches ahead are in flight
        await main.download(_path(index))
    wanted = list(range(3, COUNT))
    got = await asyncio.gather(*(main.download(_path(i)) for i in wanted))
    assert got == [_content(i) for i in wanted]
    assert store.gets == Counter({_blob(i): 1 for i in range(COUNT)})  # nothing read twice
    await repo.close()
