"""The local backend's async face: blocking calls run in worker threads, except small
reads and small deferred writes, which take a few microseconds from the page cache and
would spend far longer handing off to a thread (several thread switches on a busy
machine) than doing the work."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator, Callable, Iterable, Iterator, Mapping
from typing import TypeVar

from sapwood.kit.threads import off_the_loop
from sapwood.storage import (
    BaseStorage,
    ByteRange,
    Capabilities,
    ListEntry,
    ObjectMeta,
    PutMode,
    durability_deferred,
)
from sapwood_local import durability
from sapwood_local.folder import LocalFolder
from sapwood_local.listing import iter_entries
from sapwood_local.paths import resolve_root

__all__ = ["LocalStorage"]

_LIST_BATCH = 500
INLINE_BYTES = 256 * 1024
"""Objects up to this size are read, and deferred writes of up to this size are made, on
the event loop's own thread."""

T = TypeVar("T")


def _take(entries: Iterator[ListEntry], count: int) -> list[ListEntry]:
    batch: list[ListEntry] = []
    for entry in entries:
        batch.append(entry)
        if len(batch) == count:
            break
    return batch


class LocalStorage(BaseStorage):
    """Objects as plain files under the folder ``root`` (created on the first write if its
    parent exists). Conditional writes hold across threads and processes; nothing is ever
    read or written outside ``root``."""

    capabilities = Capabilities(
        conditional_create=True,
        conditional_update=True,
        byte_ranges=True,
        delimiter_listing=True,
        presigned_urls=False,
        max_delete_batch=1000,
    )

    def __init__(self, root: str, *, fsync: bool = True) -> None:
        self.folder = LocalFolder(resolve_root(root), fsync=fsync)

    @property
    def root(self) -> str:
        """The absolute path of the store's folder."""
        return self.folder.root

    def __repr__(self) -> str:
        return f"LocalStorage({self.folder.root!r})"

    def _small_read(self, key: str, byte_range: ByteRange | None) -> bool:
        """Whether reading ``key`` (or the range) stays under :data:`INLINE_BYTES`: a hint
        only (the folder checks the key itself), so any doubt says no."""
        if byte_range is not None and byte_range.last is not None:
            return byte_range.last <= INLINE_BYTES
        if byte_range is not None and byte_range.end is not None:
            return byte_range.end - byte_range.start <= INLINE_BYTES
        try:
            return os.stat(os.path.join(self.folder.root, key)).st_size <= INLINE_BYTES
        except (OSError, ValueError):
            return False

    async def _read(self, key: str, byte_range: ByteRange | None, call: Callable[[], T]) -> T:
        if self._small_read(key, byte_range):
            return call()
        return await asyncio.to_thread(call)

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects."""
        return await self._read(key, byte_range, lambda: self.folder.get(key, byte_range))

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata: a stat and at most a small sidecar, read inline."""
        return self.folder.head(key)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one and the same version."""
        return await self._read(
            key,
            byte_range,
            lambda: self.folder.read_version(key, byte_range, with_data=True),
        )

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        """Store ``data`` atomically as ``mode`` allows."""
        data = bytes(data)
        if (
            mode == "overwrite"
            and len(data) <= INLINE_BYTES
            and (not self.folder.fsync or durability_deferred())
        ):
            # No fsync waits here (see sapwood_local.durability): only page-cache work.
            return self.folder.put(key, data, mode, content_type, metadata)
        return await asyncio.to_thread(self.folder.put, key, data, mode, content_type, metadata)

    async def delete(self, key: str) -> None:
        """Remove the object; a missing key is not an error."""
        await asyncio.to_thread(self.folder.delete, key)

    async def delete_many(self, keys: Iterable[str]) -> None:
        """Remove many objects in one worker-thread call."""
        await asyncio.to_thread(self.folder.delete_many, list(keys))

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        """Objects and common prefixes under ``prefix``, in key order, read lazily."""
        entries = iter_entries(self.folder, prefix, delimiter, start_after)
        while True:
            batch = await asyncio.to_thread(_take, entries, _LIST_BATCH)
            for entry in batch:
                yield entry
            if len(batch) < _LIST_BATCH:
                return

    async def close(self) -> None:
        """Make the writes whose fsync was deferred durable (see
        :mod:`sapwood_local.durability`)."""
        if self.folder.fsync:
            # off_the_loop: also at interpreter exit (an unclosed repository's finalizer).
            await off_the_loop(durability.flush_pending)
