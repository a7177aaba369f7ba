"""Repeated reads of immutable content are served by the cache, not the backend: counted
at the backend, under the object layer, by a forwarding store."""

from __future__ import annotations

import os
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping

import pytest

from sapwood.aio import AsyncRepository
from sapwood.config import CachingConfig, ChunkingConfig, RepositoryConfig
from sapwood.engine.keys import BLOBS
from sapwood.layer import ObjectLayer
from sapwood.objectstore import AsyncObjectClient, Usecase
from sapwood.storage import ByteRange, ForwardingStorage, ObjectMeta, PutMode
from sapwood_memory.storage import MemoryStorage, drop_bucket

FILE = os.urandom(100 * 1024)


class CountingStorage(ForwardingStorage):
    """Counts the requests that reach the store, by operation and by key."""

    def __init__(self, name: str) -> None:
        super().__init__(MemoryStorage(name))
        self.requests: Counter[tuple[str, str]] = Counter()

    def reads_of(self, prefix: str) -> int:
        """Requests that returned bytes of keys under ``prefix``."""
        return sum(
            n
            for (op, key), n in self.requests.items()
            if op in ("get", "get_with_meta") and key.startswith(prefix)
        )

    def count(self, operation: str, key: str) -> int:
        """Requests of ``operation`` on ``key``."""
        return self.requests[(operation, key)]

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        self.requests[("get", key)] += 1
        return await super().get(key, byte_range)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        self.requests[("get_with_meta", key)] += 1
        return await super().get_with_meta(key, byte_range)

    async def head(self, key: str) -> ObjectMeta:
        self.requests[("head", key)] += 1
        return await super().head(key)

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        self.requests[("put", key)] += 1
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)


@pytest.fixture
def bucket() -> Iterator[str]:
    name = f"cache-use-{uuid.uuid4().hex[:12]}"
    yield name
    drop_bucket(name)


async def test_ten_downloads_of_one_file_read_its_blob_once(bucket: str) -> None:
    writer = await AsyncRepository.create(MemoryStorage(bucket))
    await writer.branch("main").upload(FILE, "data/file.bin")
    await writer.branch("main").commit_changes("one file")
    await writer.close()

    counted = CountingStorage(bucket)
    repo = await AsyncRepository.open(counted)
    main = repo.branch("main")
    for _ in range(10):
        assert await main.download("data/file.bin") == FILE
    assert counted.reads_of(BLOBS) == 1
    await repo.close()


async def test_a_large_chunked_file_is_read_past_the_cache(bucket: str) -> None:
    # Chunked files are not kept (see test_blob_cache.py): each read reaches the backend.
    writer = await AsyncRepository.create(MemoryStorage(bucket))
    config = RepositoryConfig(
        chunking=ChunkingConfig(chunk_threshold_bytes=32 * 1024, average_chunk_bytes=16 * 1024)
    )
    await writer.close()
    counted = CountingStorage(bucket)
    repo = await AsyncRepository.open(counted, config=config)
    await repo.branch("main").upload(FILE, "big.bin")
    await repo.branch("main").commit_changes("chunked")
    before = counted.reads_of(BLOBS)
    await repo.branch("main").download("big.bin")
    once = counted.reads_of(BLOBS) - before
    await repo.branch("main").download("big.bin")
    assert once > 1
    assert counted.reads_of(BLOBS) - before == 2 * once
    await repo.close()


async def test_ten_object_client_gets_of_one_key_read_its_payload_once(bucket: str) -> None:
    writer = AsyncObjectClient(MemoryStorage(bucket))
    await writer.session(Usecase("things"), org="1").put(FILE, key="k")
    counted = CountingStorage(bucket)
    client = AsyncObjectClient(counted)
    session = client.session(Usecase("things"), org="1")
    full = session.storage_key("k")
    for _ in range(10):
        assert (await session.get("k")).payload.read() == FILE
    # One payload read; the other gets revalidate with a head, so other writers are seen.
    assert counted.reads_of(full) == 1
    assert counted.count("head", full) == 9
    await client.close()


async def test_an_object_client_get_after_its_own_put_reads_no_payload(bucket: str) -> None:
    counted = CountingStorage(bucket)
    client = AsyncObjectClient(counted)
    session = client.session(Usecase("things"), org="1")
    await session.put(FILE, key="k")
    assert (await session.get("k")).payload.read() == FILE
    assert counted.reads_of(session.storage_key("k")) == 0
    await client.close()


async def test_object_client_sees_another_writers_change_on_the_next_get(bucket: str) -> None:
    client = AsyncObjectClient(CountingStorage(bucket))
    other = AsyncObjectClient(MemoryStorage(bucket))
    mine = client.session(Usecase("things"), org="1")
    theirs = other.session(Usecase("things"), org="1")
    await mine.put(b"first", key="k")
    assert (await mine.get("k")).payload.read() == b"first"
    await theirs.put(b"second", key="k")
    assert (await mine.get("k")).payload.read() == b"second"
    await theirs.delete("k")
    with pytest.raises(FileNotFoundError):
        await mine.get("k")
    await client.close()


async def test_object_client_trusts_metadata_for_the_ref_ttl(bucket: str) -> None:
    counted = CountingStorage(bucket)
    config = RepositoryConfig(caching=CachingConfig(ref_ttl_seconds=3600))
    client = AsyncObjectClient(counted, config=config)
    session = client.session(Usecase("things"), org="1")
    await session.put(FILE, key="k")
    full = session.storage_key("k")
    for _ in range(10):
        assert (await session.get("k")).payload.read() == FILE
    requests = counted.reads_of(full) + counted.count("head", full)
    assert requests == 1
    await session.put(b"new", key="k")  # a write through this client is seen at once
    assert (await session.get("k")).payload.read() == b"new"
    await client.close()


async def test_a_range_of_a_compressed_immutable_object_keeps_it_whole(bucket: str) -> None:
    counted = CountingStorage(bucket)
    layer = ObjectLayer(counted)
    text = b"compressible words, again and again. " * 1000
    await layer.put("blobs/t", text, immutable=True, cache=False)
    assert await layer.get("blobs/t", ByteRange(10, 20), immutable=True) == text[10:20]
    reads = counted.reads_of("blobs/t")
    assert await layer.get("blobs/t", ByteRange(500, 600), immutable=True) == text[500:600]
    assert counted.reads_of("blobs/t") == reads
    await layer.close()
