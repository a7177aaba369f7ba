"""The local backend's async face: every blocking call runs in a worker thread."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterable, Iterator, Mapping

from sapwood.storage import (
    BaseStorage,
    ByteRange,
    Capabilities,
    ListEntry,
    ObjectMeta,
    PutMode,
)
from sapwood_local.folder import LocalFolder
from sapwood_local.listing import iter_entries
from sapwood_local.paths import resolve_root

__all__ = ["LocalStorage"]

_LIST_BATCH = 500


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

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        """The object's bytes, or the part ``byte_range`` selects."""
        return await asyncio.to_thread(self.folder.get, key, byte_range)

    async def head(self, key: str) -> ObjectMeta:
        """The object's metadata."""
        return await asyncio.to_thread(self.folder.head, key)

    async def get_with_meta(
        self, key: str, byte_range: ByteRange | None = None
    ) -> tuple[bytes, ObjectMeta]:
        """Bytes and metadata of one and the same version."""
        return await asyncio.to_thread(self.folder.read_version, key, byte_range, with_data=True)

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
        return await asyncio.to_thread(
            self.folder.put, key, bytes(data), mode, content_type, metadata
        )

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
