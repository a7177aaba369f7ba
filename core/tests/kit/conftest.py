"""A small store over a blocking "SDK" for the kit's tests."""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Mapping

import pytest

from sapwood.errors import NotFoundError
from sapwood.kit.threads import ThreadPoolStorage
from sapwood.storage import ByteRange, ListEntry, ObjectMeta, PutMode


class BlockingDictStorage(ThreadPoolStorage):
    """A store whose "SDK" is a dict guarded by a lock, called only from worker threads."""

    def __init__(self, max_workers: int = 2) -> None:
        super().__init__(max_workers=max_workers, thread_name_prefix="kit-test")
        self.objects: dict[str, bytes] = {}
        self.threads: set[str] = set()
        self.releases = 0

    def __repr__(self) -> str:
        return "BlockingDictStorage(test)"

    def _read(self, key: str) -> bytes:
        self.threads.add(threading.current_thread().name)
        try:
            return self.objects[key]
        except KeyError:
            raise NotFoundError(f"no {key!r}", key=key) from None

    async def get(self, key: str, byte_range: ByteRange | None = None) -> bytes:
        return await self.run_blocking(lambda: self._read(key), operation="get", key=key)

    async def head(self, key: str) -> ObjectMeta:
        return ObjectMeta(key=key, size=len(await self.get(key)))

    async def put(
        self,
        key: str,
        data: bytes,
        *,
        mode: PutMode = "overwrite",
        content_type: str | None = None,
        metadata: Mapping[str, str] | None = None,
    ) -> ObjectMeta:
        await self.run_blocking(lambda: self.objects.__setitem__(key, data), operation="put")
        return ObjectMeta(key=key, size=len(data))

    async def delete(self, key: str) -> None:
        await self.run_blocking(lambda: self.objects.pop(key, None), operation="delete")

    async def list(
        self, prefix: str = "", delimiter: str | None = None, start_after: str | None = None
    ) -> AsyncIterator[ListEntry]:
        for key in sorted(await self.run_blocking(lambda: list(self.objects))):
            yield ObjectMeta(key=key, size=0)

    async def release(self) -> None:
        self.releases += 1


@pytest.fixture
def make_store() -> type[BlockingDictStorage]:
    """The test store's class: call it (``max_workers=``) for a fresh store."""
    return BlockingDictStorage
