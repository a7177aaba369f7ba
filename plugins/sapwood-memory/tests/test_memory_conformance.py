"""The memory backend passes the whole storage conformance suite, with and without a prefix."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator

import pytest_asyncio

from sapwood.storage import Storage
from sapwood.stores import open_storage
from sapwood.testing import StorageConformance
from sapwood_memory import MemoryStorage, drop_bucket


class TestMemoryConformance(StorageConformance):
    """A bare memory store."""

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self, memory_store: MemoryStorage) -> AsyncIterator[Storage]:
        yield memory_store


class TestMemoryUnderPrefixConformance(StorageConformance):
    """A memory store opened by URL under a prefix, beside objects outside the prefix."""

    LARGE_OBJECT_SIZE = 1024 * 1024  # the bare-store class covers 64 MiB already

    @pytest_asyncio.fixture(loop_scope="function")
    async def store(self) -> AsyncIterator[Storage]:
        name = f"test-{uuid.uuid4().hex}"
        await MemoryStorage(name).put("neighbour/outside-the-prefix", b"x")
        await MemoryStorage(name).put("tenant", b"a key equal to the prefix without slash")
        storage = open_storage(f"memory://{name}/tenant/data")
        yield storage
        await storage.close()
        drop_bucket(name)
