"""Writing a file's bytes into blobs, and reading any part of them back.

:class:`ContentWriter` takes a file in pieces, hashes it as it goes and decides its layout
(see :mod:`sapwood.engine.chunking`): inline bytes for tiny files, one blob up to the chunk
threshold, content-defined chunks above it, uploaded while later pieces still arrive.
:class:`ContentReader` serves byte ranges, fetching only the chunks a range covers.
"""

from __future__ import annotations

import asyncio
import bisect
import hashlib
from collections.abc import Awaitable, Callable, Collection, Iterable
from dataclasses import dataclass
from typing import TypeAlias

import cachetools

from sapwood.engine.blobs import BlobStore
from sapwood.engine.chunking import ChunkingPolicy, StreamingChunker
from sapwood.engine.format import ChunkRef, Entry, VirtualRef
from sapwood.engine.ids import content_id

__all__ = ["ContentReader", "ContentWriter", "VirtualFetch", "WrittenContent"]

VirtualFetch: TypeAlias = Callable[[VirtualRef, int, int], Awaitable[bytes]]
"""Reads ``[start, stop)`` of a virtual object (offsets relative to the object)."""


@dataclass(frozen=True)
class WrittenContent:
    """Where a written file's bytes went."""

    size: int
    checksum: bytes
    inline: bytes | None
    chunks: tuple[ChunkRef, ...] | None


class ContentWriter:
    """Streams one file's bytes into the repository's blobs.

    ``known_chunks`` (or what ``load_known`` returns, asked once the file turns out to need
    chunking) are blob ids a live snapshot already references, such as the chunks of the
    previous version of the same path; they are not uploaded again.
    """

    def __init__(
        self,
        blobs: BlobStore,
        policy: ChunkingPolicy,
        *,
        known_chunks: Collection[bytes] = (),
        load_known: Callable[[], Awaitable[Collection[bytes]]] | None = None,
        max_in_flight: int = 4,
    ) -> None:
        self.blobs = blobs
        self.policy = policy
        self._known = set(known_chunks)
        self._load_known = load_known
        self._max_in_flight = max(1, max_in_flight)
        self._hash = hashlib.sha256()
        self._size = 0
        self._head = bytearray()
        self._chunker: StreamingChunker | None = None
        self._chunks: list[ChunkRef] = []
        self._pending: set[asyncio.Task[bytes]] = set()
        self._finished = False

    @property
    def size(self) -> int:
        """Bytes written so far."""
        return self._size

    async def write(self, data: bytes | bytearray | memoryview) -> None:
        """Add the next piece of the file."""
        if self._finished:
            raise ValueError("this writer is closed")
        if not data:
            return
        self._hash.update(data)
        self._size += len(data)
        if self._chunker is None:
            if len(self._head) + len(data) <= self.policy.chunk_threshold:
                self._head += data
                return
            self._chunker = StreamingChunker(self.policy)
            if self._load_known is not None:
                self._known.update(await self._load_known())
            head, self._head = self._head, bytearray()
            await self._upload(self._chunker.feed(head))
        await self._upload(self._chunker.feed(data))

    async def _upload(self, chunks: Iterable[bytes]) -> None:
        for chunk in chunks:
            chunk_id = content_id(chunk)
            self._chunks.append(ChunkRef(chunk_id, len(chunk)))
            if chunk_id in self._known:
                continue
            self._known.add(chunk_id)
            while len(self._pending) >= self._max_in_flight:
                await self._wait(asyncio.FIRST_COMPLETED)
            self._pending.add(asyncio.ensure_future(self.blobs.put(chunk, chunk_id)))

    async def _wait(self, when: str) -> None:
        done, self._pending = await asyncio.wait(self._pending, return_when=when)
        for task in done:
            task.result()

    async def finish(self) -> WrittenContent:
        """Upload what is left and say where the file's bytes are."""
        if self._finished:
            raise ValueError("this writer is closed")
        self._finished = True
        checksum = self._hash.digest()
        try:
            if self._chunker is None:
                data = bytes(self._head)
                self._head = bytearray()
                if len(data) <= self.policy.inline_threshold:
                    return WrittenContent(len(data), checksum, data, None)
                if checksum not in self._known:
                    await self.blobs.put(data, checksum)
                return WrittenContent(len(data), checksum, None, (ChunkRef(checksum, len(data)),))
            await self._upload(self._chunker.finish())
            if self._pending:
                await self._wait(asyncio.ALL_COMPLETED)
        except BaseException:
            await self.abort()
            raise
        return WrittenContent(self._size, checksum, None, tuple(self._chunks))

    async def abort(self) -> None:
        """Stop uploading; the blobs already written become garbage for GC."""
        self._finished = True
        for task in self._pending:
            task.cancel()
        if self._pending:
            await asyncio.gather(*self._pending, return_exceptions=True)
        self._pending = set()
        self._head = bytearray()


class ContentReader:
    """Random access to one object's bytes.

    Chunks are fetched whole (so each can be verified), concurrently when a read spans
    several, and the most recent few are kept for the next read, until :meth:`close`.

    A file stored as one blob (small enough not to be chunked) is read through the object
    layer's cache, so reading it again is served from memory; the chunks of a chunked
    (large) file are not, so reading one large file cannot flush manifests, snapshots and
    small files out of the cache.
    """

    def __init__(
        self,
        entry: Entry,
        blobs: BlobStore,
        *,
        virtual_fetch: VirtualFetch | None = None,
        concurrency: int = 10,
        keep_chunks: int = 4,
    ) -> None:
        self.entry = entry
        self.blobs = blobs
        self._virtual_fetch = virtual_fetch
        self._semaphore = asyncio.Semaphore(max(1, concurrency))
        self._recent: cachetools.LRUCache[int, bytes] = cachetools.LRUCache(max(1, keep_chunks))
        chunks = entry.chunks or ()
        self._cache_blobs = len(chunks) == 1
        self._starts: list[int] = []
        position = 0
        for chunk in chunks:
            self._starts.append(position)
            position += chunk.size
        self.chunks_fetched = 0

    @property
    def size(self) -> int:
        """The object's size in bytes."""
        return self.entry.size

    def close(self) -> None:
        """Drop the chunks kept for the next read (a later read fetches them again)."""
        self._recent.clear()

    async def read(self, start: int = 0, stop: int | None = None) -> bytes:
        """Bytes ``[start, stop)``, clipped to the object."""
        size = self.entry.size
        stop = size if stop is None else min(stop, size)
        start = max(0, min(start, size))
        if start >= stop:
            return b""
        entry = self.entry
        if entry.inline is not None:
            return entry.inline[start:stop]
        if entry.virtual is not None:
            if self._virtual_fetch is None:
                raise RuntimeError("no virtual chunk reader configured")
            return await self._virtual_fetch(entry.virtual, start, stop)
        first = bisect.bisect_right(self._starts, start) - 1
        last = bisect.bisect_left(self._starts, stop) - 1
        offset = self._starts[first]
        if first == last:
            whole = await self._chunk(first)
            return (
                whole
                if (start - offset, stop - offset) == (0, len(whole))
                else (whole[start - offset : stop - offset])
            )
        pieces = await asyncio.gather(*(self._chunk(i) for i in range(first, last + 1)))
        return b"".join(pieces)[start - offset : stop - offset]

    async def _chunk(self, index: int) -> bytes:
        cached = self._recent.get(index)
        if cached is not None:
            return cached
        assert self.entry.chunks is not None
        async with self._semaphore:
            data = await self.blobs.get(self.entry.chunks[index].id, cache=self._cache_blobs)
        self.chunks_fetched += 1
        self._recent[index] = data
        return data
