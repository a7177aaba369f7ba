"""Content-defined chunking: streaming equals whole-file cutting, and edits re-upload little."""

from __future__ import annotations

import random
from collections.abc import Mapping

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from sapwood.config import ChunkingConfig, RepositoryConfig
from sapwood.engine.blobs import BlobStore
from sapwood.engine.chunking import ChunkingPolicy, StreamingChunker
from sapwood.engine.content import ContentReader, ContentWriter
from sapwood.engine.format import Entry
from sapwood.errors import ConfigError
from sapwood.layer import ObjectLayer
from sapwood.storage import ObjectMeta, PutMode
from sapwood_memory.storage import MemoryStorage

POLICY = ChunkingPolicy(inline_threshold=16, chunk_threshold=4096, average_chunk=1024)


def test_the_policy_comes_from_the_config() -> None:
    config = RepositoryConfig(
        inline_chunk_threshold_bytes=10,
        chunking=ChunkingConfig(chunk_threshold_bytes=2048, average_chunk_bytes=512),
    )
    policy = ChunkingPolicy.from_config(config)
    assert (policy.inline_threshold, policy.chunk_threshold, policy.average_chunk) == (
        10,
        2048,
        512,
    )
    assert policy.min_chunk == 128
    assert policy.max_chunk == 2048


def test_an_average_chunk_size_fastcdc_cannot_use_is_a_config_error() -> None:
    config = RepositoryConfig(chunking=ChunkingConfig(average_chunk_bytes=64 * 1024 * 1024))
    with pytest.raises(ConfigError) as caught:
        ChunkingPolicy.from_config(config)
    assert caught.value.field == "chunking.average_chunk_bytes"


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32), st.lists(st.integers(1, 30_000), min_size=1, max_size=20))
def test_streaming_cuts_equal_whole_cuts(seed: int, pieces: list[int]) -> None:
    data = random.Random(seed).randbytes(sum(pieces))
    chunker = StreamingChunker(POLICY)
    streamed: list[bytes] = []
    position = 0
    for size in pieces:
        streamed += chunker.feed(data[position : position + size])
        position += size
    streamed += chunker.finish()
    assert streamed == [bytes(c) for c in POLICY.split(data)]
    assert b"".join(streamed) == data


class CountingMemory(MemoryStorage):
    """A memory store counting blob puts."""

    def __init__(self, name: str) -> None:
        super().__init__(name)
        self.blob_puts = 0
        self.blob_bytes = 0

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
            self.blob_puts += 1
            self.blob_bytes += len(data)
        return await super().put(key, data, mode=mode, content_type=content_type, metadata=metadata)


async def write(blobs: BlobStore, data: bytes, known: list[bytes], pieces: int = 7) -> Entry:
    writer = ContentWriter(blobs, POLICY, known_chunks=known)
    step = max(1, len(data) // pieces)
    for start in range(0, len(data), step):
        await writer.write(data[start : start + step])
    done = await writer.finish()
    return Entry("f", done.size, done.checksum, 0, inline=done.inline, chunks=done.chunks)


async def test_layouts_follow_the_thresholds(memory_name: str) -> None:
    blobs = BlobStore(ObjectLayer(MemoryStorage(memory_name)))
    tiny = await write(blobs, b"0123456789", [])
    single = await write(blobs, b"y" * 3000, [])
    chunked = await write(blobs, random.Random(1).randbytes(20_000), [])
    assert tiny.inline == b"0123456789"
    assert tiny.chunks is None
    assert single.chunks is not None
    assert len(single.chunks) == 1
    assert single.chunks[0].id == single.checksum
    assert chunked.chunks is not None
    assert len(chunked.chunks) > 3
    assert sum(c.size for c in chunked.chunks) == 20_000


async def test_an_edit_in_a_large_file_uploads_only_nearby_chunks(memory_name: str) -> None:
    store = CountingMemory(memory_name)
    blobs = BlobStore(ObjectLayer(store))
    original = random.Random(2).randbytes(200_000)
    first = await write(blobs, original, [])
    assert first.chunks is not None
    uploaded_first = store.blob_bytes
    edited = original[:100_000] + b"an insertion" + original[100_000:]
    store.blob_puts = store.blob_bytes = 0
    second = await write(blobs, edited, [c.id for c in first.chunks])
    assert second.chunks is not None
    assert store.blob_bytes < uploaded_first / 10
    assert store.blob_puts <= 3
    reader = ContentReader(second, blobs)
    assert await reader.read() == edited


async def test_a_ranged_read_fetches_only_the_chunks_it_covers(memory_name: str) -> None:
    blobs = BlobStore(ObjectLayer(MemoryStorage(memory_name)))
    data = random.Random(3).randbytes(50_000)
    stored = await write(blobs, data, [])
    assert stored.chunks is not None
    assert len(stored.chunks) > 10
    reader = ContentReader(stored, blobs, keep_chunks=2)
    assert await reader.read(25_000, 25_010) == data[25_000:25_010]
    assert reader.chunks_fetched <= 2
    assert await reader.read(49_990, 60_000) == data[49_990:]
    assert await reader.read(60_000, 70_000) == b""
    assert reader.chunks_fetched <= 4
