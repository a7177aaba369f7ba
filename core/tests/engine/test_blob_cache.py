"""File contents are not cached on write, and the chunks of a large (chunked) file are not
cached on read: a large file read through keeps only small metadata (manifests,
snapshots) in the cache. Small files stored as one blob are cached on read (see
core/tests/layer/test_cache_use.py)."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator

import pytest

from sapwood.aio import AsyncRepository
from sapwood.config import ChunkingConfig, RepositoryConfig
from sapwood.layer import ObjectLayer
from sapwood.storage import ByteRange
from sapwood_memory.storage import MemoryStorage, drop_bucket

# Chunks well under the cache's per-object bound, so each one would be cached if allowed.
SMALL_CHUNKS = RepositoryConfig(
    chunking=ChunkingConfig(chunk_threshold_bytes=256 * 1024, average_chunk_bytes=64 * 1024)
)
FILE_BYTES = 8 * 1024 * 1024
METADATA_BOUND = 256 * 1024


@pytest.fixture
def store_name() -> Iterator[str]:
    name = f"blob-cache-{uuid.uuid4().hex[:12]}"
    yield name
    drop_bucket(name)


async def test_reading_a_large_file_does_not_fill_the_cache(store_name: str) -> None:
    content = os.urandom(FILE_BYTES)
    writer = await AsyncRepository.create(MemoryStorage(store_name), config=SMALL_CHUNKS)
    await writer.save_config()
    main = writer.branch("main")
    await main.upload(content, "big.bin")
    await main.commit_changes("big")
    await writer.close()

    repo = await AsyncRepository.open(MemoryStorage(store_name))
    cache = repo.engine.layer.cache
    main = repo.branch("main")
    assert len((await main.stat_object("big.bin")).checksum) == 64
    metadata_only = cache.stats().size_bytes
    assert 0 < metadata_only < METADATA_BOUND  # manifests and snapshots stay cached
    assert await main.download("big.bin") == content
    async with main.open("big.bin") as reader:
        reader.seek(FILE_BYTES // 2)
        assert await reader.read(1000) == content[FILE_BYTES // 2 : FILE_BYTES // 2 + 1000]
    assert cache.stats().size_bytes == metadata_only
    await repo.close()


async def test_get_without_cache_neither_reads_nor_fills_it(store_name: str) -> None:
    layer = ObjectLayer(MemoryStorage(store_name))
    await layer.put("blobs/ab/cd", b"x" * 1000, immutable=True, cache=False)
    assert await layer.get("blobs/ab/cd", immutable=True, cache=False) == b"x" * 1000
    assert await layer.cache.get("blobs/ab/cd") is None
    assert (
        await layer.get("blobs/ab/cd", ByteRange(10, 20), immutable=True, cache=False) == b"x" * 10
    )
    assert await layer.cache.get("blobs/ab/cd") is None
    assert await layer.get("blobs/ab/cd", immutable=True) == b"x" * 1000
    assert await layer.cache.get("blobs/ab/cd") == b"x" * 1000
    await layer.close()
